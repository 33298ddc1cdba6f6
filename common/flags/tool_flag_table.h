// Which `--name=value` flags each benchmark tool takes, with their types: the classic
// benchmark_model (which the APK runs too) and the LiteRT CompiledModel benchmark_model.
// The one place the CLI, the coordinator (SubmitJob) and the agent learn a flag's tool.
#ifndef BENCHLAB_COMMON_FLAGS_TOOL_FLAG_TABLE_H_
#define BENCHLAB_COMMON_FLAGS_TOOL_FLAG_TABLE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab {

enum class ToolFlagType { kBool, kInt32, kFloat, kString };

// Bit set of the tools a flag belongs to.
inline constexpr unsigned kClassicTool = 1;  // the APK and --tool native
inline constexpr unsigned kLitertTool = 2;   // --tool litert

struct ToolFlagSpec {
  const char* name;
  ToolFlagType type;
  unsigned tools;     // kClassicTool | kLitertTool
  const char* field;  // the BenchmarkFlags field that holds it, or "" (then ExtraFlag)
};

// The flag called `name` in any tool's table, or nullptr for a name no tool knows.
const ToolFlagSpec* FindToolFlag(absl::string_view name);

// kClassicTool or kLitertTool for `tool` (UNSPECIFIED and APK are classic).
unsigned ToolBit(benchlab::v1::ToolKind tool);

// OK when `value` parses as the tool's parser reads a flag of `type` (bool: true, false,
// 1 or 0; numbers in full). InvalidArgument naming the flag otherwise.
absl::Status CheckFlagValue(const ToolFlagSpec& spec, absl::string_view value);

// Every flag in `flags` (typed fields and extras) against `tool`'s table: a flag of another
// tool only is InvalidArgument naming both tools ("--use_nnapi is not a flag of the litert
// tool ..."); an extra flag of a known name must parse as its type. A name no tool knows
// passes (the real tools log it as "Unconsumed cmdline flags" and go on). Character and
// range rules are RenderFlags'.
absl::Status CheckFlagsForTool(benchlab::v1::ToolKind tool, const benchlab::v1::BenchmarkFlags& flags);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_FLAGS_TOOL_FLAG_TABLE_H_
