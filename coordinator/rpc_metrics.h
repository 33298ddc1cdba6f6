// RPCs by method and status code, counted by a gRPC server interceptor at the moment the
// status is sent, for benchlab_rpcs_total{method,code}. Label cardinality is bounded by
// the served methods (Lab, AgentLink, health, reflection) times the 17 gRPC codes.
#ifndef BENCHLAB_COORDINATOR_RPC_METRICS_H_
#define BENCHLAB_COORDINATOR_RPC_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/exposition/families.h"
#include "grpcpp/support/server_interceptor.h"

namespace benchlab::coordinator {

class RpcMetrics {
 public:
  // `method` is gRPC's full name ("/benchlab.v1.Lab/SubmitJob"); `code` its status code.
  void Count(const std::string& method, int code) ABSL_LOCKS_EXCLUDED(mu_);
  // benchlab_rpcs_total{method,code}, method without the leading '/', code as gRPC
  // spells it (OK, NOT_FOUND, ...).
  void Collect(exposition::Families* out) const ABSL_LOCKS_EXCLUDED(mu_);
  // For ServerBuilder::experimental().SetInterceptorCreators; `this` outlives the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> counts_ ABSL_GUARDED_BY(mu_);
};

// gRPC's name of a status code ("OK", "DEADLINE_EXCEEDED"; "CODE_<n>" beyond the table).
std::string GrpcCodeName(int code);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_RPC_METRICS_H_
