// The coordinator's /metrics (optional, --metrics-listen): series computed from
// Core::Stats() and the RPC counters at scrape time (no background work), served by the
// shared endpoint (common/exposition/endpoint.h). Series and labels: coordinator/README.md.
#ifndef BENCHLAB_COORDINATOR_METRICS_H_
#define BENCHLAB_COORDINATOR_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/exposition/endpoint.h"
#include "common/exposition/families.h"
#include "coordinator/core.h"
#include "coordinator/rpc_metrics.h"

namespace benchlab::coordinator {

// Every series of the coordinator but the build info (the endpoint adds that).
exposition::Families CoordinatorFamilies(const CoreStats& s);

// Starts serving http://<listen>/metrics over `core` and `rpcs` (both outlive it).
absl::StatusOr<std::unique_ptr<exposition::MetricsEndpoint>> StartMetrics(const std::string& listen, Core* core,
                                                                        const RpcMetrics* rpcs);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_METRICS_H_
