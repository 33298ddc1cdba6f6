// Which benchmark tool a job runs (issue 11): the APK, the classic native benchmark_model
// or the LiteRT CompiledModel benchmark_model. Names, parsing and the job rules, shared by
// the CLI (`--tool`), the coordinator (SubmitJob) and the agent.
#ifndef BENCHLAB_COMMON_FLAGS_TOOL_KIND_H_
#define BENCHLAB_COMMON_FLAGS_TOOL_KIND_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab {

// NATIVE or LITERT: a binary run with `adb shell` rather than the APK.
bool IsNativeTool(benchlab::v1::ToolKind tool);

// "apk", "native", "litert" (UNSPECIFIED is "apk").
absl::string_view ToolKindName(benchlab::v1::ToolKind tool);
// The reverse; InvalidArgument naming the choices for anything else.
absl::StatusOr<benchlab::v1::ToolKind> ParseToolKind(absl::string_view name);

// The sha256 of the job's tool artifact: binary_sha256 for a native tool, else apk_sha256.
const std::string& ToolArtifactSha(const benchlab::v1::JobSpec& spec);

// The job's tool rules: a native tool needs binary_sha256 and no apk_sha256 and no
// variants; the APK needs no binary_sha256. InvalidArgument saying what to change.
absl::Status CheckTool(const benchlab::v1::JobSpec& spec);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_FLAGS_TOOL_KIND_H_
