// TokenAuth and client-certificate identity; see auth.h.
#include "coordinator/auth.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab::coordinator {

absl::Status TokenAuth::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("tokens file ", path, " cannot be read"));
  absl::flat_hash_map<std::string, Caller> tokens;
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
    tokens[f[0]] = Caller{f.size() > 2 ? f[2] : absl::StrCat("token-line-", n), role};
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("tokens file ", path, " could not be read to the end"));
  // No tokens would mean "everyone is admin": never what a tokens file is for.
  if (tokens.empty()) return absl::InvalidArgumentError(absl::StrCat("tokens file ", path, " holds no token"));
  absl::MutexLock l(&mu_);
  tokens_ = std::move(tokens);
  return absl::OkStatus();
}

void TokenAuth::Add(const std::string& token, Role role, const std::string& name) {
  absl::MutexLock l(&mu_);
  tokens_[token] = Caller{name, role};
}

bool TokenAuth::enabled() const {
  absl::MutexLock l(&mu_);
  return !tokens_.empty();
}

size_t TokenAuth::size() const {
  absl::MutexLock l(&mu_);
  return tokens_.size();
}

absl::StatusOr<Caller> TokenAuth::Check(const grpc::ServerContextBase& ctx, Role need,
                                        std::string* refused_name) const {
  if (refused_name != nullptr) *refused_name = "none";
  absl::MutexLock l(&mu_);
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
  return CheckLocked(v, need, refused_name);
}

absl::StatusOr<Caller> TokenAuth::CheckToken(absl::string_view token, Role need, std::string* refused_name) const {
  absl::MutexLock l(&mu_);
  return CheckLocked(token, need, refused_name);
}

absl::StatusOr<Caller> TokenAuth::CheckLocked(absl::string_view token, Role need, std::string* refused_name) const {
  if (tokens_.empty()) return Caller{"anonymous", Role::kAdmin};
  if (token.empty()) return absl::UnauthenticatedError("missing bearer token");
  auto t = tokens_.find(std::string(token));
  if (t == tokens_.end()) return absl::UnauthenticatedError("unknown bearer token");
  if (static_cast<int>(t->second.role) < static_cast<int>(need)) {
    if (refused_name != nullptr) *refused_name = t->second.name;
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
