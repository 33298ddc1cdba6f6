// How jobs, runs and results look to a person (tables) or a script (CSV). Shared by
// `run` (after it follows a job), `job` and `results`.
#ifndef BENCHLAB_CLI_RESULTS_VIEW_H_
#define BENCHLAB_CLI_RESULTS_VIEW_H_

#include <string>

#include "benchlab/v1/lab.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace benchlab::cli {

// "job j000001 finished: 4 runs, 4 done, 0 failed, 0 cancelled (by alice, 2024-...)".
std::string FormatJobSummary(const benchlab::v1::Job& job);

// "A" or "B" for a run or aggregate of a variant job (spec with 2 variants), else "".
std::string VariantLetter(const benchlab::v1::JobSpec& spec, int variant);

// One row per run: run id, device, (variant, in a variant job,) repeat, attempt, state,
// error, the delegate (ops_view.h FormatDelegation; only when some run has one), then one
// column per key metric (avg_us, std_us, init_us, first_inference_us,
// inference_avg_us, peak_memory_mb) that at least one run reported.
std::string FormatRunsTable(const benchlab::v1::JobSpec& spec,
                            const google::protobuf::RepeatedPtrField<benchlab::v1::Run>& runs);

// One row per device (and variant, in a variant job) and key metric: runs done/failed, n,
// median, mean, stddev, min, max.
std::string FormatDeviceAggregates(const benchlab::v1::JobSpec& spec,
                                   const google::protobuf::RepeatedPtrField<benchlab::v1::DeviceResults>& devices);

// Summary, per-device aggregates, per-run metrics and conditions, as `results` prints them.
std::string FormatResults(const benchlab::v1::GetResultsResponse& results);

// Header "job_id,run_id,device_id,repeat,attempt,state,error_class,count,...,peak_memory_mb"
// then the conditions' columns (conditions_view.h: before_battery_temp_c, ...), then
// `variant` (A or B in a variant job, else empty), and one row per run; absent metrics and
// conditions are empty cells. Ends with a newline.
std::string FormatResultsCsv(const benchlab::v1::GetResultsResponse& results);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_RESULTS_VIEW_H_
