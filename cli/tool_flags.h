// `benchlab run --flag --name=value`: one benchmark-tool flag to BenchmarkFlags.
#ifndef BENCHLAB_CLI_TOOL_FLAGS_H_
#define BENCHLAB_CLI_TOOL_FLAGS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::cli {

// A name a typed field covers (num_threads, num_runs, warmup_runs, use_gpu, min_secs,
// run_delay, input_layer, ...) sets that field, parsed as its type; any other name is
// appended to `extra` with its value as given. InvalidArgument (a usage error) when `arg`
// is not "--name=value", the name is empty, or a typed value does not parse.
//
// Names and values are NOT checked for safe characters here: the coordinator is where
// that rule is enforced (and it refuses the whole job), so the CLI does not pretend to
// be a second gate that could drift from it.
absl::Status ParseFlagArg(absl::string_view arg, benchlab::v1::BenchmarkFlags* flags);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_TOOL_FLAGS_H_
