// Turns a job's typed BenchmarkFlags into the tool's argument list, refusing anything
// unsafe: every argument that reaches the phone's shell passes through here.
#ifndef BENCHLAB_COORDINATOR_FLAGS_H_
#define BENCHLAB_COORDINATOR_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::coordinator {

// "--num_threads=4", ... (no --graph). InvalidArgument naming the flag on bad input.
absl::StatusOr<std::vector<std::string>> RenderFlags(const benchlab::v1::BenchmarkFlags& flags);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_FLAGS_H_
