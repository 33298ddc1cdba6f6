// CompareJobs' answer from the two jobs' results: per device and metric the medians and
// the old two-sigma fields (aggregation.h) plus the verdict of common/stats/verdict.h,
// Holm-corrected over the whole response, and warnings when the jobs differ in more
// than the model.
#ifndef BENCHLAB_COORDINATOR_VERDICTS_H_
#define BENCHLAB_COORDINATOR_VERDICTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab::coordinator {

// The primary metric, compared when the request names none.
inline constexpr char kPrimaryMetric[] = "inference_avg_us";

// The request's metrics, checked (empty = kPrimaryMetric). avg_us and inference_avg_us
// are one measurement: when both are asked only the first stays. InvalidArgument naming
// an unknown metric and listing the known ones.
absl::StatusOr<std::vector<std::string>> CompareMetrics(const benchlab::v1::CompareJobsRequest& req);

// Sentences saying how the candidate's job differs from the baseline's besides the model
// (tool flags, benchmark APK, cooldown); empty when only the model (or nothing) differs.
std::vector<std::string> JobDifferences(const benchlab::v1::JobSpec& baseline,
                                        const benchlab::v1::JobSpec& candidate);

// Sentences saying how each phone differed between the two jobs' done runs, from the
// conditions recorded before each run: another Android build (fingerprint), a median start
// battery temperature more than 5 C apart, or a worse thermal status. Empty when alike or
// not recorded.
std::vector<std::string> PhoneDifferences(const benchlab::v1::GetResultsResponse& baseline,
                                          const benchlab::v1::GetResultsResponse& candidate);

// The comparison of two jobs' results (GetResults of each) for `req`. InvalidArgument
// for an unknown metric or a threshold outside 0.01-50 %.
absl::StatusOr<benchlab::v1::CompareJobsResponse> CompareResults(
    const benchlab::v1::GetResultsResponse& baseline,
    const benchlab::v1::GetResultsResponse& candidate,
    const benchlab::v1::CompareJobsRequest& req);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_VERDICTS_H_
