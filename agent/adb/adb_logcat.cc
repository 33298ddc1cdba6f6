// AdbClient::Logcat: `logcat -v threadtime -T <since>` over a shell stream, cut into
// complete lines as they arrive (partial line kept, "\r\n" handled), plus a thin adapter
// that splits each line with common/logcat_line.h.
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "agent/adb/adb_client.h"
#include "common/line_splitter.h"
#include "common/shell_quote.h"

namespace benchlab::adb {

absl::Status AdbClient::Logcat(const std::string& serial, const LogcatOptions& options,
                               const std::function<void(absl::string_view line)>& on_line,
                               AdbCancel* cancel, absl::Time deadline) {
  std::string command = absl::StrCat("logcat -v threadtime -T ",
                                     options.since.empty() ? "1" : ShellQuote(options.since));
  for (const std::string& arg : options.extra_args) absl::StrAppend(&command, " ", ShellQuote(arg));
  LineSplitter splitter;
  auto deliver = [&](absl::string_view line) {
    absl::ConsumeSuffix(&line, "\r");
    absl::ConsumeSuffix(&line, "\r");  // old PTY devices: "\r\r\n"
    on_line(line);
  };
  // No exit marker on v1: logcat runs until cancelled, and a marker tail would hold back
  // the newest line.
  absl::StatusOr<int> code = RunShell(
      serial, command,
      [&](ShellStream, absl::string_view bytes) {
        splitter.Feed(bytes, deliver);
        if (options.after_each_read) options.after_each_read();
      },
      cancel,
      deadline, ShellProtocol::kAuto, /*v1_marker=*/false);
  splitter.Flush(deliver);
  if (!code.ok()) return code.status();
  return absl::OkStatus();
}

absl::Status AdbClient::LogcatEntries(const std::string& serial, const LogcatOptions& options,
                                      const std::function<void(const LogcatLine& entry)>& on_entry,
                                      AdbCancel* cancel, absl::Time deadline) {
  LogcatLine entry;
  return Logcat(
      serial, options,
      [&](absl::string_view line) {
        ParseLogcatLine(line, &entry);
        on_entry(entry);
      },
      cancel, deadline);
}

}  // namespace benchlab::adb
