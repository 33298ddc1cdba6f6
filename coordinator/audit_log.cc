// AuditLog: entries to the Store and the log; see audit_log.h.
#include "coordinator/audit_log.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coordinator/input_limits.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

namespace {
// A peer or token name is the caller's text: bounded before it is stored.
std::string Bounded(absl::string_view s) { return std::string(s.substr(0, kMaxLabelBytes)); }
}  // namespace

void AuditLog::Record(const grpc::ServerContextBase& ctx, absl::string_view method, absl::string_view action,
                      absl::string_view actor, absl::string_view target, absl::string_view detail) {
  RecordFromPeer(ctx.peer(), method, action, actor, target, detail);
}

void AuditLog::RecordFromPeer(absl::string_view peer, absl::string_view method, absl::string_view action,
                              absl::string_view actor, absl::string_view target, absl::string_view detail) {
  v1::AuditEntry e;
  e.set_unix_ms(absl::ToUnixMillis(clock_->Now()));
  e.set_action(std::string(action));
  e.set_actor(Bounded(actor));
  e.set_peer(Bounded(peer));
  e.set_method(Bounded(method));
  e.set_target(Bounded(target));
  e.set_detail(Bounded(detail));
  // Escaped: names and notes are callers' text and must not forge log lines.
  spdlog::info("event=audit action={} actor=\"{}\" peer={} method=\"{}\" target=\"{}\" detail=\"{}\"", e.action(),
               absl::CEscape(e.actor()), absl::CEscape(e.peer()), absl::CEscape(e.method()), absl::CEscape(e.target()),
               absl::CEscape(e.detail()));
  if (auto st = store_->AppendAudit(&e); !st.ok()) {
    spdlog::error("event=store_failed what=audit action={} error={}", e.action(), st.ToString());
  }
}

absl::StatusOr<v1::ListAuditResponse> AuditLog::List(const v1::ListAuditRequest& req) {
  if (req.limit() < 0 || req.limit() > kMaxLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be 0 (", kDefaultLimit, ")..", kMaxLimit));
  }
  return store_->ListAudit(req.since_unix_ms(), req.limit() == 0 ? kDefaultLimit : req.limit());
}

void AuditLog::RecordRefusal(absl::string_view peer, absl::string_view method, absl::string_view actor,
                             absl::string_view reason) {
  int64_t unrecorded = 0;
  if (!throttle_.Admit(peer, clock_->Now(), &unrecorded)) return;
  if (unrecorded == 0) return RecordFromPeer(peer, method, "refused", actor, "", reason);
  RecordFromPeer(peer, method, "refused", actor, "",
                 absl::StrCat(reason, " (and ", unrecorded, " more refusals from ", RefusalThrottle::Address(peer),
                              " not recorded one by one: over ", RefusalThrottle::kPerMinute, " a minute)"));
}

absl::StatusOr<Caller> AuditLog::Admit(const TokenAuth& auth, const grpc::ServerContextBase& ctx,
                                       absl::string_view method, Role need) {
  std::string name;
  auto caller = auth.Check(ctx, need, &name);
  if (!caller.ok()) RecordRefusal(ctx.peer(), method, name.empty() ? "none" : name, caller.status().message());
  return caller;
}

absl::StatusOr<Caller> AuditLog::AdmitToken(const TokenAuth& auth, absl::string_view peer, absl::string_view method,
                                            absl::string_view token, Role need) {
  std::string name;
  auto caller = auth.CheckToken(token, need, &name);
  if (!caller.ok()) RecordRefusal(peer, method, name.empty() ? "none" : name, caller.status().message());
  return caller;
}

}  // namespace benchlab::coordinator
