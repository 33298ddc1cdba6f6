// The SDK and hash-tool probe, its per-phone cache, the install flags and the comparison of
// a phone file with ours.
#include "agent/run/phone_tools.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/run/phone_probe_cache.h"
#include "common/sha256.h"
#include "common/shell_quote.h"

namespace benchlab::agent {
namespace {

// Best first.
constexpr std::array<PhoneHashTool, 3> kTools = {PhoneHashTool::kSha256sum, PhoneHashTool::kMd5sum,
                                                 PhoneHashTool::kToolboxMd5};

PhoneProbeCache<PhoneTools>& GetCache() {
  // Never destroyed: runs may outlive static teardown.
  static auto* cache = new PhoneProbeCache<PhoneTools>;
  return *cache;
}

size_t HexDigits(PhoneHashTool tool) { return tool == PhoneHashTool::kSha256sum ? 64 : 32; }

}  // namespace

absl::string_view PhoneHashToolName(PhoneHashTool tool) {
  switch (tool) {
    case PhoneHashTool::kSha256sum:
      return "sha256sum";
    case PhoneHashTool::kMd5sum:
      return "md5sum";
    case PhoneHashTool::kToolboxMd5:
      return "md5";
    case PhoneHashTool::kNone:
      break;
  }
  return "none";
}

absl::StatusOr<PhoneTools> ProbePhoneTools(adb::AdbClient& adb, const std::string& serial,
                                           absl::Time deadline) {
  // "TOOL /dev/null >/dev/null 2>&1; echo $?" for each: the shell says 127 (126) for a
  // command it cannot find (run); anything else means the tool is there.
  std::string command = "getprop ro.build.version.sdk";
  for (PhoneHashTool t : kTools) {
    absl::StrAppend(&command, "; ", PhoneHashToolName(t), " /dev/null >/dev/null 2>&1; echo $?");
  }
  auto r = adb.Shell(serial, command, deadline);
  if (!r.ok()) return r.status();
  std::vector<std::string> lines = absl::StrSplit(r->stdout_data, absl::ByAnyChar("\r\n"));
  PhoneTools tools;
  if (!lines.empty() && !absl::SimpleAtoi(absl::StripAsciiWhitespace(lines[0]), &tools.sdk)) {
    tools.sdk = 0;
  }
  for (size_t i = 0; i < kTools.size() && i + 1 < lines.size(); ++i) {
    int code = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(lines[i + 1]), &code) && code != 127 &&
        code != 126) {
      tools.hash_tool = kTools[i];
      break;
    }
  }
  return tools;
}

absl::StatusOr<PhoneTools> PhoneToolsFor(adb::AdbClient& adb, const std::string& serial,
                                         absl::Time deadline) {
  return GetCache().Get(adb, serial, deadline,
                        [&] { return ProbePhoneTools(adb, serial, deadline); });
}

std::vector<std::string> InstallArgsFor(const PhoneTools& tools) {
  if (tools.sdk != 0 && tools.sdk < 23) return {"-r", "-d"};
  return {"-r", "-d", "-g"};
}

absl::StatusOr<bool> PhoneFileMatches(adb::AdbClient& adb, const std::string& serial,
                                      const PhoneTools& tools, const std::string& remote,
                                      const std::string& local_path,
                                      const std::string& local_sha256, absl::Time deadline) {
  const PhoneHashTool tool = tools.hash_tool;
  if (tool == PhoneHashTool::kNone) return false;
  auto sum = adb.Shell(serial, absl::StrCat(PhoneHashToolName(tool), " ", ShellQuote(remote)),
                       deadline);
  if (!sum.ok()) return sum.status();
  if (sum->exit_code == 127 || sum->exit_code == 126) {
    GetCache().Forget(serial);  // not the phone we probed after all; probe again next time
    return false;
  }
  const std::string line(absl::StripAsciiWhitespace(sum->stdout_data));
  const std::string phone_hex = absl::AsciiStrToLower(line.substr(0, line.find_first_of(" \t")));
  if (sum->exit_code != 0 || phone_hex.size() != HexDigits(tool)) return false;
  if (tool == PhoneHashTool::kSha256sum) return phone_hex == local_sha256;
  auto md5 = Md5FileHex(local_path);
  if (!md5.ok()) return false;  // the install that follows reports the unreadable APK
  return phone_hex == *md5;
}

}  // namespace benchlab::agent
