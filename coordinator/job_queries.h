// Read-only views over the inventory and the run ledger: devices, agents, a job with its
// runs, job listing and results pages. No state and no I/O of their own; Core calls them
// under its mutex (raw logs, read from the store, are added by Core outside it).
#ifndef BENCHLAB_COORDINATOR_JOB_QUERIES_H_
#define BENCHLAB_COORDINATOR_JOB_QUERIES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/inventory.h"
#include "coordinator/run_ledger.h"

namespace benchlab::coordinator {

// One phone as ListDevices shows it (state, lease, queue, care), up to max_queue queued ids.
benchlab::v1::Device DeviceView(const std::string& id, const Inventory::Device& d, const Scheduler& scheduler,
                                size_t max_queue);
std::vector<benchlab::v1::Device> ListDevicesView(const Inventory& inventory, const Scheduler& scheduler,
                                                  const benchlab::v1::ListDevicesRequest& req);
absl::StatusOr<benchlab::v1::GetJobResponse> GetJobView(const RunLedger& ledger, const std::string& job_id);
benchlab::v1::ListJobsResponse ListJobsView(const RunLedger& ledger, const benchlab::v1::ListJobsRequest& req);

// A GetResults page before raw logs: the job, up to max_runs runs from the page token's
// position (the index of the first run, as text; "" for the first page) and, on the first
// page only, the per-device aggregates over all the job's runs. *first_run gets the
// index of the page's first run. InvalidArgument for a token this job never gave.
absl::StatusOr<benchlab::v1::GetResultsResponse> ResultsPageView(const RunLedger& ledger, const Inventory& inventory,
                                                                 const benchlab::v1::GetResultsRequest& req,
                                                                 size_t max_runs, size_t* first_run);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_JOB_QUERIES_H_
