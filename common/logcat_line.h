// Splits one line of a log capture into its prefix fields and its message, for every
// layout benchlab meets: `adb logcat -v threadtime|time|brief`, Android Studio's Logcat
// window (2022+ and the older one), the native benchmark_model's stdout, and bare text.
#ifndef BENCHLAB_COMMON_LOGCAT_LINE_H_
#define BENCHLAB_COMMON_LOGCAT_LINE_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace benchlab {

enum class LogcatLayout {
  kBare,          // no recognisable prefix: the whole line is the message
  kBufferSwitch,  // "--------- beginning of main"; message = the buffer name ("main")
  kThreadtime,    // "11-25 10:04:31.319  2638  2638 I tflite  : msg" (also with year/usec/uid)
  kTime,          // "11-25 10:04:31.319 I/tflite  ( 2638): msg"
  kBrief,         // "I/tflite  ( 2638): msg"
  kStudio,        // "10:04:31.319  2638-2638  tflite  org.pkg  I  msg" (date optional)
  kStudioLegacy,  // "2019-06-02 13:59:36.143 6836-6836/com.example E/tflite: msg"
  kNative,        // benchmark_model stdout: "INFO: msg", "WARN: ", "ERROR: ", "FATAL: ", "VERBOSE: "
};

// Name of a layout for logs and tests ("threadtime", "studio", ...).
absl::string_view LogcatLayoutName(LogcatLayout layout);

// One split line. Every string_view points into the line given to ParseLogcatLine, so
// the line's buffer must outlive this struct. Fields a layout does not print stay at
// their defaults (empty view, -1, 0).
struct LogcatLine {
  LogcatLayout layout = LogcatLayout::kBare;

  // The timestamp exactly as printed ("11-25 10:04:31.319"); empty when none.
  absl::string_view timestamp;
  // Parsed from `timestamp`. year is 0 unless printed; month/day are 0 when no date is
  // printed (Android Studio without date); has_time is false when there is no timestamp.
  bool has_time = false;
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;

  int64_t pid = -1;  // -1 when the layout has no pid (native, bare)
  int64_t tid = -1;  // -1 when the layout has no tid (time, brief, native, bare)
  // 'V' 'D' 'I' 'W' 'E' 'F' 'S' (and 'A' for Studio's assert); 0 when none (bare).
  // Native prefixes map to V/I/W/E/F.
  char priority = 0;
  absl::string_view tag;      // trailing padding removed; empty for native and bare lines
  absl::string_view package;  // Android Studio layouts only
  absl::string_view message;  // after the prefix; may be empty (blank line of a message)
};

// Splits `line` (one line, with or without a trailing "\n" or "\r\n") into `out`,
// overwriting all of `out`. Never fails: a line that matches no prefix layout is a kBare
// message (kNative when it starts with a native severity prefix). Detection looks at the
// first bytes only, so it is cheap; nothing is copied or allocated.
// Returns true when a logcat prefix with a pid was recognised (threadtime, time, brief,
// studio, studio legacy), false otherwise (bare, native, buffer switch).
bool ParseLogcatLine(absl::string_view line, LogcatLine* out);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_LOGCAT_LINE_H_
