// `benchlab logs DEVICE [--follow] [--tag T] [--grep RE] [--priority P] [--last N]`:
// StreamLogs: the last N buffered lines, then (with --follow) every new line until
// interrupted; without --follow the coordinator ends the stream after the backlog.
// TODO(cli): use a backlog-only request once StreamLogs offers one.
// Lines print as logcat's threadtime layout: "MM-DD HH:MM:SS.mmm  PID  TID P TAG: msg".
#include <memory>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;


struct LogsFlags {
  LabOptions lab;
  std::string device_id;
  bool follow = false;
  std::vector<std::string> tags;
  std::string grep;
  std::string priority;
  int last = 50;
  bool json = false;
};

absl::StatusOr<v1::LogPriority> ParsePriority(const std::string& text) {
  std::string p = absl::AsciiStrToLower(text);
  if (p == "v" || p == "verbose") return v1::LOG_PRIORITY_VERBOSE;
  if (p == "d" || p == "debug") return v1::LOG_PRIORITY_DEBUG;
  if (p == "i" || p == "info") return v1::LOG_PRIORITY_INFO;
  if (p == "w" || p == "warn" || p == "warning") return v1::LOG_PRIORITY_WARN;
  if (p == "e" || p == "error") return v1::LOG_PRIORITY_ERROR;
  if (p == "f" || p == "fatal") return v1::LOG_PRIORITY_FATAL;
  return absl::InvalidArgumentError(absl::StrCat("--priority '", text, "': use V, D, I, W, E or F"));
}

std::string FormatLine(const v1::LogLine& line) {
  absl::Time t = absl::FromUnixMicros(line.time_unix_us());
  return absl::StrCat(absl::FormatTime("%m-%d %H:%M:%E3S", t, absl::LocalTimeZone()),
                      absl::StrFormat(" %5d %5d %c ", line.pid(), line.tid(), LogPriorityLetter(line.priority())),
                      EscapeForTerminal(line.tag()), ": ", EscapeForTerminal(line.message()));
}


int RunLogs(const LogsFlags& flags, const CliIo& io) {
  v1::StreamLogsRequest req;
  req.set_device_id(flags.device_id);
  for (const auto& t : flags.tags) req.add_tags(t);
  req.set_regex(flags.grep);
  if (!flags.priority.empty()) {
    auto p = ParsePriority(flags.priority);
    if (!p.ok()) return ReportUsageError("logs", p.status().message(), io);
    req.set_min_priority(*p);
  }
  req.set_tail_lines(flags.last);
  // Without --follow the coordinator sends the backlog and ends the stream.
  req.set_backlog_only(!flags.follow);
  auto conn = LabConnection::Open(flags.lab);
  if (!conn.ok()) return ReportUsageError("logs", conn.status().message(), io);

  grpc::ClientContext ctx;
  (*conn)->PrepareStream(&ctx);
  auto stream = (*conn)->lab()->StreamLogs(&ctx, req);
  int printed = 0;
  bool hung_up = false;  // we cancelled the call on purpose
  v1::LogBatch batch;
  while (stream->Read(&batch)) {
    if (batch.missed_lines() > 0) {
      *io.err << "benchlab logs: " << batch.missed_lines() << " lines dropped (reader too slow)\n";
    }
    if (!flags.follow && printed + batch.lines_size() > flags.last) {
      batch.mutable_lines()->DeleteSubrange(flags.last - printed, printed + batch.lines_size() - flags.last);
    }
    if (flags.json) {
      *io.out << ToJson(batch) << "\n";
    } else {
      for (const auto& line : batch.lines()) *io.out << FormatLine(line) << "\n";
    }
    io.out->flush();
    printed += batch.lines_size();
    if (!flags.follow && printed >= flags.last) {
      hung_up = true;
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status st = stream->Finish();
  if (st.ok()) return kExitOk;
  // Our own hang-up (enough lines) is the normal end.
  if (st.error_code() == grpc::StatusCode::CANCELLED && hung_up) return kExitOk;
  return ReportRpcError(st, "logs", absl::StrCat("streaming logs of ", flags.device_id), flags.lab, io);
}

}  // namespace

void RegisterLogsCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<LogsFlags>();
  CLI::App* cmd = app.add_subcommand("logs", "Show a phone's logcat through the coordinator");
  cmd->add_option("device", flags->device_id, "the device id, <agent>/<serial> (see benchlab devices)")->required();
  cmd->add_flag("-f,--follow", flags->follow, "keep streaming new lines until interrupted");
  cmd->add_option("--tag", flags->tags, "only lines with this tag (repeatable)");
  cmd->add_option("--grep", flags->grep, "only lines whose message matches this RE2 regex (partial match)");
  cmd->add_option("--priority", flags->priority, "only lines at or above V, D, I, W, E or F");
  cmd->add_option("--last", flags->last,
                  "first print up to this many recent lines (kept once someone has streamed the phone)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", flags->json, "one JSON LogBatch per line");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunLogs(*flags, io); });
}

}  // namespace benchlab::cli
