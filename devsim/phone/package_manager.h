// PackageManager: installed packages of one phone. An install parses the APK bytes (zip
// magic, then the binary AndroidManifest.xml's package: ApkPackageName in
// fake_artifacts.h), stores them as /data/app/~~<rand>==/<pkg>-<rand>==/base.apk in the
// Vfs (a new directory per install, as Android does), and answers like `pm`.
//
// Threading: thread-safe.
#ifndef BENCHLAB_DEVSIM_PHONE_PACKAGE_MANAGER_H_
#define BENCHLAB_DEVSIM_PHONE_PACKAGE_MANAGER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/vfs.h"

namespace benchlab::devsim {

struct InstalledPackage {
  std::string name;
  std::string apk_path;  // "" for system packages (no base.apk in our Vfs)
  int64_t size_bytes = 0;
  int uid = 0;  // 10000 + app id
  // From the manifest (system packages: the platform's own numbers).
  int64_t version_code = 0;
  std::string version_name;  // "null" when the manifest has none, as `dumpsys package` prints
  int min_sdk = 1;
  int target_sdk = 1;
  // <application android:debuggable>: `run-as` works for it (system packages: false).
  bool debuggable = false;
  // Where the app's private files live (Context.getFilesDir() is DATA_DIR/files):
  // /data/data/PKG, also known as /data/user/0/PKG. Made at install, removed at uninstall.
  std::string data_dir;
};

// The app's private directory for `package` (/data/data/PKG).
std::string AppDataDir(const std::string& package);

class PackageManager {
 public:
  // `sdk`: the phone's ro.build.version.sdk; an APK whose minSdkVersion is above it is
  // refused with INSTALL_FAILED_OLDER_SDK.
  PackageManager(uint64_t seed, int sdk, Vfs& fs, LogBuffer& logs);

  // Installs `apk`. `args` are pm's flags (-r -d -g -t ...; accepted and ignored, as on
  // Android 7+ where replace is the default). Returns the line pm prints, without '\n':
  // "Success" or "Failure [INSTALL_...: detail]".
  std::string Install(const std::vector<std::string>& args, std::string apk);
  // Returns false if not installed.
  bool Uninstall(const std::string& name);
  std::optional<InstalledPackage> Find(const std::string& name) const;
  // All package names (system and installed), sorted.
  std::vector<InstalledPackage> List() const;

 private:
  std::string RandomToken() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int sdk_;
  Vfs& fs_;
  LogBuffer& logs_;
  mutable absl::Mutex mu_;
  std::map<std::string, InstalledPackage> packages_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  int next_app_id_ ABSL_GUARDED_BY(mu_) = 241;
  int session_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_PACKAGE_MANAGER_H_
