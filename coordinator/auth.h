// Who is calling: bearer tokens with roles for Lab callers, client-certificate CN for
// agents. Tokens file format, one per line: "<token> <role> [name]", role one of
// read, submit, admin; '#' starts a comment.
#ifndef BENCHLAB_COORDINATOR_AUTH_H_
#define BENCHLAB_COORDINATOR_AUTH_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
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
  static absl::StatusOr<TokenAuth> LoadFile(const std::string& path);
  void Add(const std::string& token, Role role, const std::string& name);
  bool enabled() const { return !tokens_.empty(); }

  // Unauthenticated (missing/unknown token) or PermissionDenied (role too low).
  absl::StatusOr<Caller> Check(const grpc::ServerContextBase& ctx, Role need) const;
  // The same check for a token the caller already extracted (the dashboard's cookie or
  // `Authorization: Bearer` header); "" is a missing token.
  absl::StatusOr<Caller> CheckToken(absl::string_view token, Role need) const;

 private:
  absl::flat_hash_map<std::string, Caller> tokens_;
};

// The CN of the verified client certificate, or "" when the peer presented none.
std::string PeerCommonName(const grpc::ServerContextBase& ctx);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_AUTH_H_
