// The parts of Lab calls that sit above Core and are shared by every transport: the gRPC
// LabService and the dashboard's JSON API (dashboard_api.h) answer from the same
// functions, so a page and `benchlab` never disagree.
#ifndef BENCHLAB_COORDINATOR_LAB_CALLS_H_
#define BENCHLAB_COORDINATOR_LAB_CALLS_H_

#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/core.h"
#include "coordinator/log_hub.h"

namespace benchlab::coordinator {

// Core::ListJobs, with the page also ended at kListPageBytes (the token then names the
// last job kept, so the next page continues right after it).
absl::StatusOr<benchlab::v1::ListJobsResponse> ListJobsPage(Core* core, const benchlab::v1::ListJobsRequest& req);

// The device ids a history selector names: nullopt when it names none (every phone).
// Agents and properties match as in ListDevices; `devices` entries are ids or bare serials,
// and an id the lab no longer lists still selects that phone's old series.
absl::StatusOr<std::optional<std::set<std::string>>> HistoryDevices(Core* core,
                                                                    const benchlab::v1::DeviceSelector& sel);

// StreamLogs' line filter (tags, min_priority, regex); InvalidArgument for a bad regex.
absl::StatusOr<LogSubscription::Filter> LogFilterFor(const benchlab::v1::StreamLogsRequest& req);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_LAB_CALLS_H_
