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

}  // namespace

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
