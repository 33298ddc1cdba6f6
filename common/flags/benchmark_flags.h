// The benchmark tool's flags: typed BenchmarkFlags rendered into argument lists, and the
// character rules every argument obeys before it may reach a phone's shell. Shared by the
// coordinator (validates jobs), the agent (re-checks assignments; `bench --flag`) and the CLI.
#ifndef BENCHLAB_COMMON_FLAGS_BENCHMARK_FLAGS_H_
#define BENCHLAB_COMMON_FLAGS_BENCHMARK_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab {

// "--num_threads=4", ... (no --graph). InvalidArgument naming the flag on bad input:
// out-of-range numbers, names outside [a-z][a-z0-9_]{0,63}, values outside
// [A-Za-z0-9_.,:/+=-]{0,256}, extra flags that shadow a typed one or --graph.
absl::StatusOr<std::vector<std::string>> RenderFlags(const benchlab::v1::BenchmarkFlags& flags);

// Reads one "--name=value" as a person types it (`benchlab-agent bench --flag ...`) into
// `flags`: a name a typed field covers sets that field ("--num_threads=4",
// "--use_gpu=true"), any other name is appended to `extra`. InvalidArgument for anything
// not of that shape, a bad number or boolean, --graph, or unsafe characters. Ranges are
// checked later by RenderFlags.
absl::Status ParseToolFlag(absl::string_view arg, benchlab::v1::BenchmarkFlags* flags);

// OK when `arg` is exactly "--name=value" under the rules above (and not --graph). The
// agent checks every argument of an assignment with this, whoever rendered it.
absl::Status CheckToolArg(absl::string_view arg);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_FLAGS_BENCHMARK_FLAGS_H_
