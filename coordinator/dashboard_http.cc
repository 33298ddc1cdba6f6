// The dashboard's HTTP rules; see dashboard_http.h.
#include "coordinator/dashboard_http.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace benchlab::coordinator {

namespace {

// Splits "a/b/c" after a prefix into its segments (empty segments kept, so "a//b" is
// not the same as "a/b").
std::vector<std::string> Segments(absl::string_view rest) {
  if (rest.empty()) return {};
  return absl::StrSplit(rest, '/');
}

Route Make(Route::Kind kind, std::string name, std::vector<std::string> args = {}) {
  Route r;
  r.kind = kind;
  r.name = std::move(name);
  r.args = std::move(args);
  return r;
}

bool NonEmpty(const std::vector<std::string>& v) {
  for (const auto& s : v) {
    if (s.empty()) return false;
  }
  return true;
}

}  // namespace

Route ParseRoute(absl::string_view path) {
  using K = Route::Kind;
  if (path == "/") return Make(K::kPage, "lab");
  if (path == "/login") return Make(K::kLogin, "login");
  if (path == "/logout") return Make(K::kLogout, "logout");
  if (path == "/jobs") return Make(K::kPage, "jobs");
  if (path == "/history") return Make(K::kPage, "history");
  absl::string_view rest = path;
  if (absl::ConsumePrefix(&rest, "/static/")) {
    if (rest.empty() || absl::StrContains(rest, "/") || absl::StrContains(rest, "..")) return {};
    return Make(K::kAsset, std::string(rest));
  }
  if (absl::ConsumePrefix(&rest, "/devices/") && absl::ConsumeSuffix(&rest, "/logs") && !rest.empty()) {
    return Make(K::kPage, "logs", {std::string(rest)});
  }
  rest = path;
  if (absl::ConsumePrefix(&rest, "/jobs/")) {
    auto seg = Segments(rest);
    if (seg.size() == 1 && NonEmpty(seg)) return Make(K::kPage, "job", seg);
    return {};
  }
  if (absl::ConsumePrefix(&rest, "/compare/")) {
    auto seg = Segments(rest);
    if (seg.size() == 2 && NonEmpty(seg)) return Make(K::kPage, "compare", seg);
    return {};
  }
  rest = path;
  if (absl::ConsumePrefix(&rest, "/api/v1/events/")) {
    if (rest == "lab") return Make(K::kEvents, "lab");
    absl::string_view r2 = rest;
    if (absl::ConsumePrefix(&r2, "jobs/")) {
      auto seg = Segments(r2);
      if (seg.size() == 1 && NonEmpty(seg)) return Make(K::kEvents, "job", seg);
      return {};
    }
    r2 = rest;
    if (absl::ConsumePrefix(&r2, "devices/") && absl::ConsumeSuffix(&r2, "/logs") && !r2.empty()) {
      return Make(K::kEvents, "logs", {std::string(r2)});
    }
    return {};
  }
  if (absl::ConsumePrefix(&rest, "/api/v1/")) {
    for (absl::string_view name : {"devices", "agents", "jobs", "history", "regressions"}) {
      if (rest == name) return Make(K::kApi, std::string(name));
    }
    absl::string_view r2 = rest;
    if (absl::ConsumePrefix(&r2, "jobs/")) {
      auto seg = Segments(r2);
      if (seg.size() == 1 && NonEmpty(seg)) return Make(K::kApi, "job", seg);
      if (seg.size() == 2 && !seg[0].empty() && seg[1] == "results") return Make(K::kApi, "results", {seg[0]});
      return {};
    }
    r2 = rest;
    if (absl::ConsumePrefix(&r2, "compare/")) {
      auto seg = Segments(r2);
      if (seg.size() == 2 && NonEmpty(seg)) return Make(K::kApi, "compare", seg);
      return {};
    }
  }
  return {};
}

std::string RequestToken(absl::string_view authorization, absl::string_view cookie_header) {
  absl::string_view auth = absl::StripAsciiWhitespace(authorization);
  if (!auth.empty()) {
    // A header that is there but not a bearer token is no token (not the cookie's).
    if (!absl::ConsumePrefix(&auth, "Bearer ")) return "";
    return std::string(absl::StripAsciiWhitespace(auth));
  }
  for (absl::string_view part : absl::StrSplit(cookie_header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (!absl::ConsumePrefix(&part, kSessionCookie) || !absl::ConsumePrefix(&part, "=")) continue;
    std::string token;
    // Not hex: a cookie this server never set.
    if (part.size() % 2 != 0) return "";
    for (char c : part) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
    }
    token = absl::HexStringToBytes(part);
    return token;
  }
  return "";
}

std::string SessionCookie(absl::string_view token, bool secure) {
  return absl::StrCat(kSessionCookie, "=", absl::BytesToHexString(token), "; Path=/; HttpOnly; SameSite=Strict",
                      secure ? "; Secure" : "");
}

std::string ClearedSessionCookie(bool secure) {
  return absl::StrCat(kSessionCookie, "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict", secure ? "; Secure" : "");
}

std::string SafeNext(absl::string_view next) {
  // Only a path of this server: "//host" and "/\host" are other servers to a browser.
  if (next.empty() || next[0] != '/' || absl::StartsWith(next, "//") || absl::StartsWith(next, "/\\")) return "/";
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "/";
  }
  return std::string(next);
}

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kFailedPrecondition: return 400;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

std::string ErrorJson(const absl::Status& status) {
  nlohmann::json j = {{"code", static_cast<int>(status.code())}, {"message", std::string(status.message())}};
  // A message quoting a phone's text may hold bytes that are not UTF-8: replaced, not thrown.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  std::string out;
  // Our own messages always convert (no Any with unknown types).
  (void)google::protobuf::util::MessageToJsonString(message, &out, o);
  return out;
}

std::string SseEvent(absl::string_view name, absl::string_view data) {
  return absl::StrCat("event: ", name, "\ndata: ", data, "\n\n");
}

std::string QueryValue(const QueryParams& query, const std::string& key) {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

std::vector<std::string> QueryList(const QueryParams& query, const std::string& key) {
  std::vector<std::string> out;
  auto [b, e] = query.equal_range(key);
  for (auto it = b; it != e; ++it) {
    for (absl::string_view v : absl::StrSplit(it->second, ',', absl::SkipEmpty())) out.emplace_back(v);
  }
  return out;
}

const char* DashboardContentType(absl::string_view name) {
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(name, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace benchlab::coordinator
