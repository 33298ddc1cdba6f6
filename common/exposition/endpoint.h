// StartMetricsEndpoint: serves http://<listen>/metrics for a daemon (agent or coordinator).
// The collector runs at scrape time on the HTTP server's thread; the endpoint adds
// benchlab_build_info{version,component} itself and logs the address it listens on.
#ifndef BENCHLAB_COMMON_EXPOSITION_ENDPOINT_H_
#define BENCHLAB_COMMON_EXPOSITION_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/exposition/families.h"

namespace benchlab::exposition {

class MetricsEndpoint {
 public:
  virtual ~MetricsEndpoint() = default;
  // The bound port (the one picked when `listen` said port 0).
  virtual int port() const = 0;
};

using Collector = std::function<Families()>;

// `component` names the process in the build info and the log ("agent", "coordinator").
// Plain HTTP: keep `listen` on loopback or a private network. Unimplemented when built
// without prometheus-cpp; Unavailable when the address cannot be bound.
absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(const std::string& listen,
                                                                     const std::string& component,
                                                                     Collector collect);

// benchlab_build_info{version,component} 1 (what the endpoint adds to every scrape).
Families BuildInfo(const std::string& component);

}  // namespace benchlab::exposition

#endif  // BENCHLAB_COMMON_EXPOSITION_ENDPOINT_H_
