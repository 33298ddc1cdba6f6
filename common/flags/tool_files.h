// Files a native tool loads besides its binary (issue 11): LiteRT's NPU dispatch library and
// compiler plugin, uploaded as TOOL_LIBRARY artifacts and pushed next to the binary. The
// rules a job's tool files obey, and where they live on the phone; shared by the CLI
// (--dispatch-library, --compiler-plugin), the coordinator (SubmitJob) and the agent.
#ifndef BENCHLAB_COMMON_FLAGS_TOOL_FILES_H_
#define BENCHLAB_COMMON_FLAGS_TOOL_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab {

// Tool files live here on the phone, each in a directory named by its sha256 (LiteRT takes a
// directory per flag and finds the library in it by name).
inline constexpr char kRemoteToolFileDir[] = "/data/local/tmp/benchlab/lib";

// The file-name prefix LiteRT looks for under `flag`'s directory (litert/core/
// dynamic_loading.cc): "libLiteRtDispatch" or "libLiteRtCompilerPlugin"; "" for any other flag.
absl::string_view ToolFilePrefix(absl::string_view flag);

// OK when a file called `name` (a base name) would be found under `flag`'s directory:
// <prefix>*.so of letters, digits and _.+- (at most 128 characters). InvalidArgument
// saying how to name it otherwise.
absl::Status CheckToolFileName(absl::string_view flag, absl::string_view name);

// The job's tool files: tool LITERT only; each flag dispatch_library_path or
// compiler_plugin_library_path, at most once, with a sha256, and not also in `flags`.
absl::Status CheckToolFiles(const benchlab::v1::JobSpec& spec);

// The directory the agent pushes `file` to, and the file's name in it (the artifact's name
// when CheckToolFileName accepts it, else "<prefix>_<sha256 head>.so").
std::string ToolFileRemoteDir(const benchlab::v1::ToolFile& file);
std::string ToolFileRemoteName(const benchlab::v1::ToolFile& file);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_FLAGS_TOOL_FILES_H_
