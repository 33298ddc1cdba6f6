// The tool's result file (--result_file_path; issue 11): parsed from the binary proto the
// tool wrote (proto/benchlab/tool/v1/benchmark_result.proto), compared with what its log
// printed, and merged into the run's metrics as their source of truth.
#ifndef BENCHLAB_AGENT_RUN_RESULT_FILE_H_
#define BENCHLAB_AGENT_RUN_RESULT_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchlab/tool/v1/benchmark_result.pb.h"
#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/metrics.pb.h"

namespace benchlab::agent {

// The file's bytes as a ToolBenchmarkResult. InvalidArgument when they are no such proto
// (bad wire format), have no latency metrics, or hold a latency that is negative or not
// finite: a file cut short or overwritten is caught here.
absl::StatusOr<benchlab::tool::v1::ToolBenchmarkResult> ParseResultFile(absl::string_view bytes);

struct ResultFileMerge {
  // AGREES, or DISAGREES when a number both sources have differs beyond the log's
  // rounding; FILE_ONLY when the log had none of the file's numbers.
  benchlab::v1::ResultFileStatus status = benchlab::v1::RESULT_FILE_STATUS_UNSPECIFIED;
  // For DISAGREES: each differing metric, "avg_us: file 15040.4, log 12032.3", "; "-joined.
  std::string note;
};

// Compares `file` with the log's `metrics` (microseconds and MB: the file's milliseconds
// and KB are converted), then overwrites `metrics` with every number the file has (the
// file wins) and adds the ones only it has (median, p5, p95, model size).
ResultFileMerge MergeResultFile(const benchlab::tool::v1::ToolBenchmarkResult& file,
                                benchlab::v1::BenchmarkMetrics* metrics);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_RESULT_FILE_H_
