// A run's provenance (issue 11): which tool (kind, version or hash), which model and which
// phone build produced its figures, from the request and what the run read on the phone.
#ifndef BENCHLAB_AGENT_RUN_RUN_PROVENANCE_H_
#define BENCHLAB_AGENT_RUN_RUN_PROVENANCE_H_

#include "agent/run/benchmark_runner.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::agent {

// Tool kind, the APK's versionName/versionCode (from the conditions read before the
// start), the tool's and the model's sha256, the build fingerprint. A part the run never
// read (it failed before the conditions) stays empty.
benchlab::v1::RunProvenance MakeRunProvenance(const RunRequest& request, const RunOutcome& outcome);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_RUN_PROVENANCE_H_
