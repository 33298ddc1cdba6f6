// Who is calling: bearer tokens with roles for Lab callers, client-certificate CN for
// agents. Tokens file format, one per line: "<token> <role> [name]", role one of
// read, submit, admin; '#' starts a comment. The file may be read again while serving
// (SIGHUP): the tokens in use change only when the whole new file is good.
#ifndef BENCHLAB_COORDINATOR_AUTH_H_
#define BENCHLAB_COORDINATOR_AUTH_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server_context.h"

namespace benchlab::coordinator {

enum class Role { kRead = 1, kSubmit = 2, kAdmin = 3 };

struct Caller {
  std::string name;
  Role role = Role::kRead;
};

class TokenAuth {
 public:
  // No tokens: every caller is admin (only allowed for --insecure on loopback).
  TokenAuth() = default;
  // Replaces the tokens with the file's; on any error (unreadable file, bad line) the
  // tokens in use stay as they were and the error names the file and line.
  absl::Status LoadFile(const std::string& path) ABSL_LOCKS_EXCLUDED(mu_);
  void Add(const std::string& token, Role role, const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);
  bool enabled() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

  // Unauthenticated (missing/unknown token) or PermissionDenied (role too low). On a
  // refusal *refused_name (when given) gets the token's name, or "none" when the caller
  // sent no known token.
  absl::StatusOr<Caller> Check(const grpc::ServerContextBase& ctx, Role need,
                               std::string* refused_name = nullptr) const ABSL_LOCKS_EXCLUDED(mu_);
  // The same check for a token the caller already extracted (the dashboard's cookie or
  // `Authorization: Bearer` header); "" is a missing token. *refused_name as for Check.
  absl::StatusOr<Caller> CheckToken(absl::string_view token, Role need, std::string* refused_name = nullptr) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Check and CheckToken past their locking and header parsing.
  absl::StatusOr<Caller> CheckLocked(absl::string_view token, Role need, std::string* refused_name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Caller> tokens_ ABSL_GUARDED_BY(mu_);
};

// The CN of the verified client certificate, or "" when the peer presented none.
std::string PeerCommonName(const grpc::ServerContextBase& ctx);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_AUTH_H_
