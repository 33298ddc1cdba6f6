// The LiteRT CompiledModel benchmark's results block, one message at a time. Its format
// (google-ai-edge/LiteRT litert/tools/benchmark_litert_model.h, BenchmarkLoggingListener::
// OnBenchmarkEnd): a "========== BENCHMARK RESULTS ==========" header, "Name: value ms"
// lines with two decimals, optional memory lines, and a line of '=' that ends it.
#ifndef BENCHLAB_COMMON_LITERT_REPORT_H_
#define BENCHLAB_COMMON_LITERT_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace benchlab {

// What the block printed; times in milliseconds as printed.
struct LitertReport {
  bool started = false;  // the header was seen
  bool ended = false;    // the closing '=' line was seen
  std::string signature;                        // "Signature name: …" (when one was chosen)
  std::optional<double> init_ms;                // "Model initialization: X ms"
  std::optional<double> warmup_first_ms;        // "Warmup (first): X ms" (README: "First inference:")
  std::optional<double> warmup_avg_ms;          // "Warmup (avg): X ms (N runs)"
  std::optional<int64_t> warmup_runs;
  std::optional<double> inference_avg_ms;       // "Inference (avg): X ms (N runs)"
  std::optional<int64_t> inference_runs;
  std::optional<double> inference_min_ms;
  std::optional<double> inference_max_ms;
  std::optional<double> inference_std_ms;       // printed without a unit
  std::optional<double> throughput_mb_per_s;    // "Throughput: X MB/s"
  std::optional<double> init_footprint_mb;      // "Init footprint: X MB"
  std::optional<double> overall_footprint_mb;   // "Overall footprint: X MB"
  std::optional<double> peak_memory_mb;         // "Peak memory: X MB"
};

enum class LitertLine {
  kOther,     // not a line of the block (or the block has not started)
  kKnown,     // read into the report
  kBadValue,  // a line of the block whose number could not be read (see *problem)
};

// Reads one message (without any "INFO: " prefix or logcat header) into `report`.
LitertLine ReadLitertReportLine(absl::string_view msg, LitertReport* report, std::string* problem);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_LITERT_REPORT_H_
