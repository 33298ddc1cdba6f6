// Variant jobs (A/B in one job, issue 10): checking JobSpec.variants at submit, the ABBA
// order of a phone's runs, the artifacts and flags of a run's variant, the B-vs-A
// comparison of one job, and the until-decided rule that queues more ABBA blocks.
// Core (submit, assignment, CompareJobs) and the run ledger (runs, extensions) call these.
#ifndef BENCHLAB_COORDINATOR_VARIANTS_H_
#define BENCHLAB_COORDINATOR_VARIANTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/store.h"

namespace benchlab::coordinator {

// max_repeats when a until_decided job gives none.
inline constexpr int kDefaultMaxRepeats = 30;
inline constexpr int kMaxMaxRepeats = 1000;

// The artifacts of a variant job's variants, by variant index (empty ref: the job's).
struct VariantArtifacts {
  std::vector<benchlab::v1::ArtifactRef> models, apks;
};

// Checks a spec's variants (none, or exactly 2 with uploaded models and APKs, valid
// flags, short labels) and until_decided / max_repeats, and fills the job's model, APK
// and flags from variant 0 where the job leaves them empty. Specs without variants pass
// unchanged unless they ask for until_decided (InvalidArgument: it needs 2 variants).
// Reads the store (call it without Core's lock); *resolved (optional) gets the variants'
// artifacts, so that assignments need no store read.
absl::Status NormalizeVariants(benchlab::v1::JobSpec* spec, Store* store, VariantArtifacts* resolved = nullptr);

// Runs a phone gets at submit: repeats, or 2 * repeats in a variant job.
int RunsPerPhone(const benchlab::v1::JobSpec& spec);

// The variant measured by the run at `position` of its phone's sequence: ABBA order,
// A B B A A B B A ..., so each pair of positions {2k+1, 2k+2} holds one variant twice and
// linear drift cancels over every block of 4. 0 in a job without variants.
int VariantAt(const benchlab::v1::JobSpec& spec, int position);

// The spec a run executes: the job's, with model, APK and flags of the run's variant.
benchlab::v1::JobSpec RunSpec(const benchlab::v1::JobSpec& job_spec, int variant);

// The comparison of a variant job: its variant 1 runs against its variant 0 runs, per
// phone, through CompareResults (verdicts.h), with the job's verdict_threshold_pct when req
// gives no threshold. FailedPrecondition for a job without 2 variants.
absl::StatusOr<benchlab::v1::CompareJobsResponse> CompareVariants(
    const benchlab::v1::GetResultsResponse& job, const benchlab::v1::CompareJobsRequest& req);

// The until-decided rule for one phone of a variant job whose runs (`runs`: every run
// of the job, any phone) are all final on `device_id`: the sequence positions to queue
// next there (one ABBA block, cut at max_repeats per variant), or none when the job does
// not ask for it, the phone is decided (faster, slower or same), capped, or has no DONE
// run of some variant at all (a phone that fails every run is not fed more).
std::vector<int> NextPositions(const benchlab::v1::Job& job,
                               const std::vector<const benchlab::v1::Run*>& runs,
                               const std::string& device_id);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_VARIANTS_H_
