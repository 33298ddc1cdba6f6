// The benchmark tool's common flags as command-line options (--threads, --runs, --warmup,
// --use-gpu, ...), shared by `benchlab run` and `benchlab-agent bench` so both spell and
// check them the same way. `--flag --name=value` stays with each command (the CLI leaves
// the character rules to the coordinator; the agent enforces them itself).
#ifndef BENCHLAB_COMMON_FLAGS_TOOL_OPTIONS_H_
#define BENCHLAB_COMMON_FLAGS_TOOL_OPTIONS_H_

#include <string>

#include <CLI/CLI.hpp>

#include "benchlab/v1/common.pb.h"

namespace benchlab {

struct ToolOptions {
  int threads = 0;   // 0: not given
  int runs = 0;      // 0: not given
  int warmup = -1;   // -1: not given
  bool use_gpu = false;
  bool use_nnapi = false;
  bool use_xnnpack = false;
  bool op_profiling = false;
};

// Adds the options to `cmd` under the help group `group`.
void AddToolOptions(CLI::App* cmd, ToolOptions* options, const std::string& group);

// Sets the typed fields the options give (call before applying --flag values, so an
// explicit --flag of the same name wins).
void ApplyToolOptions(const ToolOptions& options, benchlab::v1::BenchmarkFlags* flags);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_FLAGS_TOOL_OPTIONS_H_
