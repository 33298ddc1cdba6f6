// TokenAuth and client-certificate identity; see auth.h.
#include "coordinator/auth.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab::coordinator {

absl::StatusOr<TokenAuth> TokenAuth::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("tokens file ", path, " cannot be read"));
  TokenAuth auth;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(l, ' ', absl::SkipEmpty());
    if (f.size() < 2) return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": want '<token> <role> [name]'"));
    Role role;
    if (f[1] == "read") role = Role::kRead;
    else if (f[1] == "submit") role = Role::kSubmit;
    else if (f[1] == "admin") role = Role::kAdmin;
    else return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": role must be read, submit or admin"));
    auth.Add(f[0], role, f.size() > 2 ? f[2] : absl::StrCat("token-line-", n));
  }
  return auth;
}

void TokenAuth::Add(const std::string& token, Role role, const std::string& name) {
  tokens_[token] = Caller{name, role};
}

absl::StatusOr<Caller> TokenAuth::Check(const grpc::ServerContextBase& ctx, Role need) const {
  if (tokens_.empty()) return Caller{"anonymous", Role::kAdmin};
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  absl::string_view v(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&v, "Bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be 'Bearer <token>'");
  }
  return CheckToken(v, need);
}

absl::StatusOr<Caller> TokenAuth::CheckToken(absl::string_view token, Role need) const {
  if (tokens_.empty()) return Caller{"anonymous", Role::kAdmin};
  if (token.empty()) return absl::UnauthenticatedError("missing bearer token");
  auto t = tokens_.find(std::string(token));
  if (t == tokens_.end()) return absl::UnauthenticatedError("unknown bearer token");
  if (static_cast<int>(t->second.role) < static_cast<int>(need)) {
    return absl::PermissionDeniedError(absl::StrCat("token '", t->second.name, "' lacks the role for this call"));
  }
  return t->second;
}

std::string PeerCommonName(const grpc::ServerContextBase& ctx) {
  auto auth = ctx.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return "";
  auto cn = auth->FindPropertyValues("x509_common_name");
  if (cn.empty()) return "";
  return std::string(cn[0].data(), cn[0].size());
}

}  // namespace benchlab::coordinator
