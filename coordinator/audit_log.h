// The audit log: who submitted and cancelled jobs, who drained, undrained, put in
// maintenance or forgot a phone, and every refused credential (method, peer, token name or
// "none", reason). Each entry goes to SQLite (Store::AppendAudit) and to the log
// (event=audit). Read back with Lab.ListAudit (admin role). Refusals are throttled per
// caller address (refusal_throttle.h): the unrecorded ones are counted, not lost.
#ifndef BENCHLAB_COORDINATOR_AUDIT_LOG_H_
#define BENCHLAB_COORDINATOR_AUDIT_LOG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/auth.h"
#include "coordinator/clock.h"
#include "coordinator/refusal_throttle.h"
#include "coordinator/store.h"
#include "grpcpp/server_context.h"

namespace benchlab::coordinator {

class AuditLog {
 public:
  // ListAudit's default and largest page.
  static constexpr int kDefaultLimit = 1000;
  static constexpr int kMaxLimit = 10000;

  // `store` and `clock` must outlive the log.
  AuditLog(Store* store, Clock* clock) : store_(store), clock_(clock) {}

  // Records what `actor` did through `method` to `target`. A failed write is logged
  // (event=store_failed): the action itself has already happened and stands.
  void Record(const grpc::ServerContextBase& ctx, absl::string_view method, absl::string_view action,
              absl::string_view actor, absl::string_view target, absl::string_view detail = "");
  // The same for a caller known by its peer text alone (the dashboard's HTTP clients,
  // "http:ADDR:PORT").
  void RecordFromPeer(absl::string_view peer, absl::string_view method, absl::string_view action,
                      absl::string_view actor, absl::string_view target, absl::string_view detail = "");
  // As ListAudit answers: entries since a time, the newest `limit` (0 = default), oldest first.
  absl::StatusOr<benchlab::v1::ListAuditResponse> List(const benchlab::v1::ListAuditRequest& req);

  // The caller's token checked for `need`; a refusal is recorded (action "refused",
  // actor the token's name or "none", detail the reason) before it is returned.
  absl::StatusOr<Caller> Admit(const TokenAuth& auth, const grpc::ServerContextBase& ctx, absl::string_view method,
                               Role need);
  // The same for a token the caller already extracted (the dashboard's cookie or Bearer
  // header) from `peer`.
  absl::StatusOr<Caller> AdmitToken(const TokenAuth& auth, absl::string_view peer, absl::string_view method,
                                    absl::string_view token, Role need);

 private:
  // A refusal, unless the throttle holds it back.
  void RecordRefusal(absl::string_view peer, absl::string_view method, absl::string_view actor,
                     absl::string_view reason);

  Store* const store_;
  Clock* const clock_;
  RefusalThrottle throttle_;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_AUDIT_LOG_H_
