// The benchmark tools' result file (--result_file_path): the run's numbers as the binary
// proto the tool writes (proto/benchlab/tool/v1/benchmark_result.proto), the same numbers
// its log prints, and where the APK's app user may write it.
#ifndef BENCHLAB_DEVSIM_PHONE_RESULT_FILE_H_
#define BENCHLAB_DEVSIM_PHONE_RESULT_FILE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "devsim/phone/latency_model.h"

namespace benchlab::devsim {

// The serialized ToolBenchmarkResult of run `n`: latencies in ms (std truncated as the
// stats line's), footprints in KB, peak only when `report_peak`. `latency_factor` scales
// every latency (1 = the log's numbers; the result-skew fault makes the file disagree).
std::string ToolResultFileBytes(const RunNumbers& n, int64_t model_size_bytes, bool report_peak,
                                double latency_factor = 1.0);

// Whether the APK's process (its own app user) may create `path`: only below its data
// directory `data_dir` (/data/data/PKG, also reached as /data/user/0/PKG). Not
// /data/local/tmp, which belongs to the shell user (tflite-benchmark.md: the APK cannot
// write there).
bool AppMayWrite(absl::string_view path, const std::string& data_dir, const std::string& package);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_RESULT_FILE_H_
