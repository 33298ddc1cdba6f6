// A capture that may hold several benchmark runs (a logcat kept across runs, or
// benchmark_model's stdout of several invocations): split at each run's start and parsed
// with one BenchmarkParser per run, so every run is reported, not only the first.
#ifndef BENCHLAB_COMMON_BENCHMARK_CAPTURE_H_
#define BENCHLAB_COMMON_BENCHMARK_CAPTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/benchmark_parser.h"
#include "common/line_splitter.h"

namespace benchlab {

// One run of a capture.
struct CaptureRun {
  std::string start;        // timestamp of its start line as printed ("" when none)
  int64_t first_line = 0;   // 1-based line of the capture where the run starts
  BenchmarkResult result;   // result.pid is the run's process when known
};

// Not thread-safe (one thread feeds and reads). A run starts at ActivityManager's
// "Start proc N:<package>", at tflite_BenchmarkModelActivity's line of a process other
// than the current run's (captures filtered to tflite tags), or, without pids (native
// stdout), at a second "STARTING!". Lines before the first start belong to the first run.
// With options.pid set, only that process's run is parsed (one run, as BenchmarkParser).
class BenchmarkCaptureParser {
 public:
  explicit BenchmarkCaptureParser(BenchmarkParserOptions options = {});

  void FeedLine(absl::string_view line);
  void FeedBytes(absl::string_view bytes);
  // The input ended: finishes every run's parser.
  void Finish();

  // Every run found, in capture order; at least one (a capture without benchmark lines
  // gives one run with error_class kNoResult). Valid after Finish().
  std::vector<CaptureRun> runs() const;

 private:
  struct Run {
    std::string start;
    int64_t first_line = 0;
    std::unique_ptr<BenchmarkParser> parser;
    std::optional<int64_t> pid;  // from the start line
    bool activity_line_seen = false;
    bool native_start_seen = false;
  };
  bool HasContent(const Run& run) const;
  void StartRun(absl::string_view timestamp, std::optional<int64_t> pid);

  BenchmarkParserOptions options_;
  std::vector<Run> runs_;
  LineSplitter splitter_;
  int64_t line_number_ = 0;
};

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_BENCHMARK_CAPTURE_H_
