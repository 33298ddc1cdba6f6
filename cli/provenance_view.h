// How a run's provenance (issue 11: tool kind and version or hash, model hash, the phone's
// build fingerprint) and its CPU mask look in `job` and `results`; --json carries them as
// the Run fields `provenance` and `cpu_mask`.
#ifndef BENCHLAB_CLI_PROVENANCE_VIEW_H_
#define BENCHLAB_CLI_PROVENANCE_VIEW_H_

#include <string>

#include "benchlab/v1/common.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace benchlab::cli {

// One row per run with provenance: RUN, TOOL, VERSION, TOOL_SHA256, MODEL_SHA256 (12 hex
// digits each), BUILD (the fingerprint). Empty string when no run has any.
std::string FormatProvenanceTable(const google::protobuf::RepeatedPtrField<benchlab::v1::Run>& runs);

// True when some run ran under a CPU mask: the runs table then shows a CPUS column.
bool AnyCpuMask(const google::protobuf::RepeatedPtrField<benchlab::v1::Run>& runs);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_PROVENANCE_VIEW_H_
