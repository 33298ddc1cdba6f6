// Prometheus endpoint (optional): serves /metrics on its own loopback-or-TLS-fronted
// address, computed from Core::Stats() at scrape time (no background work).
#ifndef BENCHLAB_COORDINATOR_METRICS_H_
#define BENCHLAB_COORDINATOR_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "coordinator/core.h"

namespace benchlab::coordinator {

class MetricsEndpoint {
 public:
  virtual ~MetricsEndpoint() = default;
};

// Starts serving http://<listen>/metrics. Unimplemented when built without prometheus-cpp.
absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetrics(const std::string& listen, Core* core);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_METRICS_H_
