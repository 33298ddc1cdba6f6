// Artifact retention's rule, apart from Core so it can be tested on plain data: which
// artifacts a job names, when each was last used, and which are old enough to delete
// (not pinned, not named by an unfinished job, neither stored nor used within the
// retention). Core::SweepArtifacts applies it (coordinator/artifact_care.cc).
#ifndef BENCHLAB_COORDINATOR_ARTIFACT_RETENTION_H_
#define BENCHLAB_COORDINATOR_ARTIFACT_RETENTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab::coordinator {

// The artifacts a job spec names: model, tool (APK or binary) and each variant's model
// and APK; no empty ones, no repeats. Every artifact field of JobSpec belongs here, or
// retention could delete what a job needs.
std::vector<std::string> ArtifactsOfSpec(const benchlab::v1::JobSpec& spec);

struct ArtifactUse {
  // The newest creation or end time of the jobs that name it.
  int64_t last_used_unix_ms = 0;
  // A job not yet finished names it.
  bool in_use = false;
};
using ArtifactUses = absl::flat_hash_map<std::string, ArtifactUse>;

// Counts one job into `uses`.
void AddJobUse(const benchlab::v1::Job& job, ArtifactUses* uses);

// The artifacts retention deletes at `now`: not pinned, not in use, and both stored and
// last used before now - retention. None when retention <= 0 (kept forever).
std::vector<benchlab::v1::ArtifactRef> ExpiredArtifacts(const std::vector<benchlab::v1::ArtifactRef>& artifacts,
                                                        const ArtifactUses& uses, absl::Time now,
                                                        absl::Duration retention);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_ARTIFACT_RETENTION_H_
