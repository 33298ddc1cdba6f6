// The Android release a simulated phone runs (`devsim --android 5.1`), and what the
// phone's own tools can do on that release: which commands exist, which `date` and `ps`
// it has, which logcat options and `-T` time forms it accepts. The version facts are taken from AOSP and toybox sources (see
// android_version.cc).
#ifndef BENCHLAB_DEVSIM_PHONE_ANDROID_VERSION_H_
#define BENCHLAB_DEVSIM_PHONE_ANDROID_VERSION_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace benchlab::devsim {

struct AndroidRelease {
  std::string release;  // ro.build.version.release: "5.1", "8.0", "14"
  int sdk = 34;         // ro.build.version.sdk
};

// "5.1", "8.0", "14", ... ; false for a release devsim does not know.
bool ParseAndroidRelease(absl::string_view release, AndroidRelease* out);
// The releases ParseAndroidRelease knows, oldest first (for error messages).
std::vector<std::string> KnownAndroidReleases();

// Which `date` the phone's shell runs.
enum class DateTool {
  kToolbox,          // Android 5.x: toolbox date, libc strftime
  kToyboxStrftime,   // Android 6.0-8.0: toybox before 0.7.4, libc strftime (no %N)
  kToyboxNanos,      // Android 8.1+: toybox 0.7.4+, strftime plus %N / %<digit>N
};
DateTool DateToolFor(int sdk);

// Which time forms `logcat -t/-T '<time>'` accepts.
enum class LogcatTimeForms {
  kMonthDayOnly,  // Android 5.x-6.0: 'MM-DD hh:mm:ss.mmm' only
  kAll,           // Android 7.0+: also 'YYYY-MM-DD hh:mm:ss.mmm' and 'sssss.mmm'
};
LogcatTimeForms LogcatTimeFormsFor(int sdk);

// Whether /system/bin has `command` on this release (a toolbox or toybox link, or a
// framework command such as `cmd`). Commands devsim knows nothing about are present.
bool ShellHasCommand(int sdk, absl::string_view command);
// What mksh prints after "/system/bin/sh: NAME: " for a command it cannot find (exit 127).
absl::string_view ShellNotFoundWords(int sdk);

// `logcat --pid`, `-e/--regex`, `-m/--max-count` (and `--print`): Android 7.0+.
bool LogcatHasPidRegexMaxCount(int sdk);

// Which `ps` the phone runs.
enum class PsTool {
  kToolbox,  // Android 5.1-7.1: every process, "USER PID PPID VSIZE RSS WCHAN PC NAME"
  kToybox,   // Android 8.0+: only the caller's processes unless -A/-e
};
PsTool PsToolFor(int sdk);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_ANDROID_VERSION_H_
