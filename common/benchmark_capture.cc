// Run boundaries of a multi-run capture; each run's lines go to its own parser.
#include "common/benchmark_capture.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "common/logcat_line.h"

namespace benchlab {
namespace {

constexpr absl::string_view kActivityTag = "tflite_BenchmarkModelActivity";

// The pid of "Start proc N:<package>/..." or "Start proc N:<package> ...", if it is one.
std::optional<int64_t> StartProcPid(const LogcatLine& l, absl::string_view package) {
  absl::string_view msg = l.message;
  if (l.tag != "ActivityManager" || !absl::ConsumePrefix(&msg, "Start proc ")) return std::nullopt;
  const size_t colon = msg.find(':');
  int64_t pid = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(msg.substr(0, colon), &pid)) {
    return std::nullopt;
  }
  absl::string_view pkg = msg.substr(colon + 1);
  if (!absl::ConsumePrefix(&pkg, package) || !(pkg.empty() || pkg[0] == '/' || pkg[0] == ' ')) {
    return std::nullopt;
  }
  return pid;
}

}  // namespace

BenchmarkCaptureParser::BenchmarkCaptureParser(BenchmarkParserOptions options)
    : options_(std::move(options)) {
  StartRun("", std::nullopt);
  runs_.back().first_line = 1;
}

bool BenchmarkCaptureParser::HasContent(const Run& run) const {
  // A stray `tflite` line of another app (Play services) is no run; a run's own lines
  // (the capture may begin mid-run, without its start line) are.
  const BenchmarkResult& r = run.parser->result();
  return r.status != RunStatus::kRunning || !r.args.empty() || !r.params.empty() || r.warmup ||
         r.timed || r.init_us;
}

void BenchmarkCaptureParser::StartRun(absl::string_view timestamp, std::optional<int64_t> pid) {
  Run run;
  run.start = std::string(timestamp);
  run.first_line = line_number_;
  run.parser = std::make_unique<BenchmarkParser>(options_);
  run.pid = pid;
  runs_.push_back(std::move(run));
}

void BenchmarkCaptureParser::FeedLine(absl::string_view line) {
  ++line_number_;
  Run* run = &runs_.back();
  LogcatLine l;
  // Native stdout is no logcat layout (false) but still gives the message.
  const bool logcat = ParseLogcatLine(line, &l);
  if (!options_.pid && logcat) {
    if (std::optional<int64_t> pid = StartProcPid(l, options_.package)) {
      if (run->pid || HasContent(*run)) StartRun(l.timestamp, pid);
      run = &runs_.back();
      run->pid = pid;
      if (run->start.empty()) run->start = std::string(l.timestamp);
    } else if (l.tag == kActivityTag && l.pid >= 0) {
      const bool same_process = run->pid && *run->pid == l.pid && !run->activity_line_seen;
      if (!same_process && (run->pid || HasContent(*run))) StartRun(l.timestamp, l.pid);
      run = &runs_.back();
      run->pid = l.pid;
      run->activity_line_seen = true;
      if (run->start.empty()) run->start = std::string(l.timestamp);
    }
  } else if (!options_.pid && l.pid < 0 &&
             absl::StripAsciiWhitespace(l.message) == "STARTING!") {
    if (run->native_start_seen || HasContent(*run)) StartRun(l.timestamp, std::nullopt);
    run = &runs_.back();
    run->native_start_seen = true;
  }
  run->parser->FeedLine(line);
}

void BenchmarkCaptureParser::FeedBytes(absl::string_view bytes) {
  splitter_.Feed(bytes, [this](absl::string_view line) { FeedLine(line); });
}

void BenchmarkCaptureParser::Finish() {
  splitter_.Flush([this](absl::string_view line) { FeedLine(line); });
  for (Run& run : runs_) run.parser->Finish();
}

std::vector<CaptureRun> BenchmarkCaptureParser::runs() const {
  std::vector<CaptureRun> out;
  for (const Run& run : runs_) {
    out.push_back(CaptureRun{run.start, run.first_line, run.parser->result()});
  }
  return out;
}

}  // namespace benchlab
