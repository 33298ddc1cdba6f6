// Package bookkeeping and the install checks pm makes before "Success".
#include "devsim/phone/package_manager.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/binary_xml.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/zip_reader.h"

namespace benchlab::devsim {
namespace {

constexpr const char* kSystemPackages[] = {
    "android",
    "com.android.bluetooth",
    "com.android.chrome",
    "com.android.phone",
    "com.android.providers.settings",
    "com.android.settings",
    "com.android.shell",
    "com.android.systemui",
    "com.google.android.gms",
    "com.google.android.gsf",
};

// The platform's rule for a manifest package: at least two dot-separated parts, each a
// letter followed by letters, digits or '_'.
bool ValidPackageName(absl::string_view name) {
  int parts = 0;
  for (absl::string_view part : absl::StrSplit(name, '.')) {
    if (part.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(part[0]))) return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    }
    ++parts;
  }
  return parts >= 2;
}

}  // namespace

PackageManager::PackageManager(uint64_t seed, int sdk, Vfs& fs, LogBuffer& logs)
    : sdk_(sdk),
      fs_(fs), logs_(logs), rng_(seed ^ 0xAB1ULL) {
  absl::MutexLock lock(&mu_);
  int uid = 1000;
  for (const char* name : kSystemPackages) {
    // System packages carry the platform's SDK as their version (versionName: the release
    // is not known here; "1.0" like many platform APKs).
    packages_[name] = InstalledPackage{name, "", 0, uid++, sdk, "1.0", sdk, sdk};
  }
}

std::string PackageManager::RandomToken() {
  // 16 random bytes in URL-safe base64 without the padding: 22 chars, then "==".
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string s;
  for (int i = 0; i < 22; ++i) s += kAlphabet[rng_() % 64];
  return s + "==";
}

std::string PackageManager::Install(const std::vector<std::string>& args, std::string apk) {
  absl::MutexLock lock(&mu_);
  const std::string tmp = absl::StrCat("/data/app/vmdl", 1000000 + (++session_) * 7919, ".tmp");
  if (apk.size() < 4 || apk.compare(0, 4, "PK\x03\x04") != 0) {
    return absl::StrCat("Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed to parse ", tmp,
                        "/base.apk: Failed to load asset path ", tmp, "/base.apk]");
  }
  // A zip the asset manager cannot read is no APK; a zip without the manifest has a bad
  // manifest; binary XML the parser cannot read is a malformed one.
  absl::StatusOr<std::string> manifest = ReadZipEntry(apk, "AndroidManifest.xml");
  if (!manifest.ok()) {
    return absl::StrCat("Failure [",
                        absl::IsNotFound(manifest.status()) ? "INSTALL_PARSE_FAILED_BAD_MANIFEST"
                                                            : "INSTALL_PARSE_FAILED_NOT_APK",
                        ": Failed to parse ", tmp, "/base.apk: ", manifest.status().message(), "]");
  }
  absl::StatusOr<BinaryManifest> parsed = ReadBinaryManifest(*manifest);
  if (!parsed.ok()) {
    return absl::StrCat("Failure [INSTALL_PARSE_FAILED_MANIFEST_MALFORMED: Failed to parse ", tmp,
                        "/base.apk: AndroidManifest.xml: ", parsed.status().message(), "]");
  }
  const std::string name = parsed->package;
  if (parsed->min_sdk > sdk_ || !parsed->min_sdk_codename.empty()) {
    // PackageParser's check. pm on 5.x prints only the code's name; from 6.0 (the
    // session installer) pm prints the parser's message after it.
    if (sdk_ <= 22) return "Failure [INSTALL_FAILED_OLDER_SDK]";
    const std::string why =
        parsed->min_sdk_codename.empty()
            ? absl::StrCat("Requires newer sdk version #", parsed->min_sdk, " (current version is #",
                           sdk_, ")")
            : absl::StrCat("Requires development platform ", parsed->min_sdk_codename,
                           " but this is a release platform.");
    return absl::StrCat("Failure [INSTALL_FAILED_OLDER_SDK: Failed parse during installPackageLI: ",
                        tmp, "/base.apk (at Binary XML file line #7): ", why, "]");
  }
  if (!ValidPackageName(name)) {
    return absl::StrCat("Failure [INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME: Failed to parse ", tmp,
                        "/base.apk: Invalid manifest package: ", name, "]");
  }
  auto old = packages_.find(name);
  if (old != packages_.end() && old->second.apk_path.empty()) {
    return absl::StrCat("Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE: Package ", name,
                        " signatures do not match previously installed version; ignoring!]");
  }
  const std::string dir =
      absl::StrCat("/data/app/~~", RandomToken(), "/", name, "-", RandomToken());
  const std::string path = dir + "/base.apk";
  const int64_t size = static_cast<int64_t>(apk.size());
  if (absl::Status st = fs_.MkdirP(dir, 0771); !st.ok()) {
    return absl::StrCat("Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE: ", st.message(), "]");
  }
  if (absl::Status st = fs_.Write(path, std::move(apk), 0644); !st.ok()) {
    return absl::StrCat("Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE: ", st.message(), "]");
  }
  int uid = 0;
  if (old != packages_.end()) {
    // The old code directory goes away: its parent is the "~~token" directory.
    const std::string old_dir = Vfs::Normalize(old->second.apk_path + "/../..");
    if (old_dir != "/data/app") (void)fs_.Remove(old_dir, true);
    uid = old->second.uid;
  } else {
    uid = 10000 + next_app_id_++;
  }
  packages_[name] = InstalledPackage{
      name,
      path,
      size,
      uid,
      parsed->version_code,
      parsed->has_version_name ? parsed->version_name : "null",
      parsed->min_sdk,
      parsed->target_sdk > 0 ? parsed->target_sdk : parsed->min_sdk,
      parsed->debuggable,
      AppDataDir(name)};
  // installd makes the data directory on a first install and keeps it on an update.
  (void)fs_.MkdirP(AppDataDir(name), 0700);
  logs_.Write(LogId::kSystem, kPidSystemServer, kPidSystemServer + 77, 'I', "PackageManager",
              absl::StrCat("installPackageLI: ", name, " (", size, " bytes) ",
                           old != packages_.end() ? "replaced" : "installed"));
  return "Success";
}

std::string AppDataDir(const std::string& package) { return "/data/data/" + package; }

bool PackageManager::Uninstall(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = packages_.find(name);
  if (it == packages_.end() || it->second.apk_path.empty()) return false;
  (void)fs_.Remove(Vfs::Normalize(it->second.apk_path + "/../.."), true);
  (void)fs_.Remove(it->second.data_dir, true);
  packages_.erase(it);
  return true;
}

std::optional<InstalledPackage> PackageManager::Find(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = packages_.find(name);
  if (it == packages_.end()) return std::nullopt;
  return it->second;
}

std::vector<InstalledPackage> PackageManager::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<InstalledPackage> out;
  for (const auto& [name, p] : packages_) out.push_back(p);
  return out;
}

}  // namespace benchlab::devsim
