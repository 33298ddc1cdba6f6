// Release table and the tool facts per release. Sources read for these facts:
//  - Android 5.1 (android-5.1.1_r1, system/core toolbox/Android.mk): `date` is toolbox's,
//    which formats `+FORMAT` with bionic's strftime. bionic's strftime (tzcode) knows %s;
//    for a conversion it does not know it drops the '%' and prints the character, so
//    `%3N` comes out as "3N".
//  - Android 6.0 moved `date` to toybox. Toybox formatted with libc strftime until 0.7.4
//    added %N and the one-digit width (%3N) (toybox commit "Implement date %N", first in
//    0.7.4). Android 8.0 ships toybox 0.7.3, 8.1 ships 0.7.4 (external/toybox of those
//    releases).
//  - logcat (system/core logcat/logcat.cpp): on 5.1 and 6.0 `-t/-T '<time>'` parses
//    only log_time's default format "%m-%d %H:%M:%S.%3q" (local time, this year) and
//    exits 1 with "... not in \"%m-%d %H:%M:%S.%3q\" time format" otherwise; from 7.0 it
//    also tries "%Y-%m-%d %H:%M:%S.%q" and "%s.%q". An argument of digits only is a count
//    on every release.
//  - Commands per release (kCommandSdks below): 5.1's /system/bin links are the
//    toolbox's BSD_TOOLS + OUR_TOOLS (system/core toolbox/Android.mk, android-5.1.1_r1:
//    no head/tail/wc/stat/which/uname/whoami/pidof, `md5` instead of md5sum); from 6.0
//    toybox's ALL_TOOLS (external/toybox Android.mk of mnc, nougat and oreo): 6.0 adds
//    md5sum sha1sum stat head tail wc uname whoami, not pidof or which; 7.0 adds pidof
//    and which; sha224sum/sha256sum need toybox's libcrypto build, linked first in 8.0.
//    `cmd` (frameworks/native cmds/cmd) is new in 7.0. toolbox `ps` (all processes,
//    toolbox/ps.c's columns) is replaced by toybox's in 8.0 (toolbox OUR_TOOLS of 8.0 no
//    longer lists ps).
//  - logcat's `--pid`, `-e/--regex`, `-m/--max-count` arrive with getopt_long in 7.0
//    (logcat.cpp android-7.0.0_r1). Before, 5.1's getopt loop ends in "Unrecognized
//    Option" + help, exit(-1); 6.0's in logcat_panic "Unrecognized Option %c" + help,
//    exit 1.
//  - mksh (external/mksh src/exec.c) says "NAME: not found" up to R56 (Android 9) and
//    "NAME: inaccessible or not found" from R57 (Android 10); both exit 127.
#include "devsim/phone/android_version.h"

#include <array>

namespace benchlab::devsim {
namespace {

struct Known {
  const char* release;
  int sdk;
};

constexpr std::array<Known, 13> kReleases = {{
    {"5.1", 22}, {"6.0", 23}, {"7.0", 24}, {"7.1", 25}, {"8.0", 26}, {"8.1", 27}, {"9", 28},
    {"10", 29}, {"11", 30}, {"12", 31}, {"12L", 32}, {"13", 33}, {"14", 34},
}};

// The SDK range in which /system/bin has the command; commands not listed exist on all.
struct CommandSdks {
  const char* command;
  int first_sdk;
  int last_sdk;
};

constexpr CommandSdks kCommandSdks[] = {
    {"md5", 21, 22},         // toolbox md5.c; gone from 6.0's toolbox
    {"md5sum", 23, 99},      // toybox
    {"sha1sum", 23, 99},     // toybox
    {"sha256sum", 26, 99},   // toybox built with libcrypto (8.0)
    {"stat", 23, 99},        // toybox
    {"head", 23, 99},        // toybox
    {"tail", 23, 99},        // toybox
    {"wc", 23, 99},          // toybox
    {"uname", 23, 99},       // toybox
    {"whoami", 23, 99},      // toybox
    {"pidof", 24, 99},       // toybox ALL_TOOLS of 7.0
    {"which", 24, 99},       // toybox ALL_TOOLS of 7.0
    {"cmd", 24, 99},         // frameworks/native cmds/cmd
};

}  // namespace

bool ShellHasCommand(int sdk, absl::string_view command) {
  for (const CommandSdks& c : kCommandSdks) {
    if (command == c.command) return sdk >= c.first_sdk && sdk <= c.last_sdk;
  }
  return true;
}

absl::string_view ShellNotFoundWords(int sdk) {
  return sdk <= 28 ? "not found" : "inaccessible or not found";
}

bool LogcatHasPidRegexMaxCount(int sdk) { return sdk >= 24; }

PsTool PsToolFor(int sdk) { return sdk >= 26 ? PsTool::kToybox : PsTool::kToolbox; }

bool ParseAndroidRelease(absl::string_view release, AndroidRelease* out) {
  for (const Known& k : kReleases) {
    if (release == k.release) {
      *out = AndroidRelease{k.release, k.sdk};
      return true;
    }
  }
  return false;
}

std::vector<std::string> KnownAndroidReleases() {
  std::vector<std::string> out;
  for (const Known& k : kReleases) out.emplace_back(k.release);
  return out;
}

DateTool DateToolFor(int sdk) {
  if (sdk <= 22) return DateTool::kToolbox;
  if (sdk <= 26) return DateTool::kToyboxStrftime;
  return DateTool::kToyboxNanos;
}

LogcatTimeForms LogcatTimeFormsFor(int sdk) {
  return sdk <= 23 ? LogcatTimeForms::kMonthDayOnly : LogcatTimeForms::kAll;
}

}  // namespace benchlab::devsim
