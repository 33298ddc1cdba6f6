// The dashboard's HTTP rules as plain functions (no server library): which route a path
// is, where the caller's token comes from (Authorization: Bearer, else the session
// cookie), the cookie the login sets, how a Status becomes an HTTP status and JSON body,
// and the server-sent-event framing. dashboard_server.cc applies them; unit tests pin them.
#ifndef BENCHLAB_COORDINATOR_DASHBOARD_HTTP_H_
#define BENCHLAB_COORDINATOR_DASHBOARD_HTTP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace benchlab::coordinator {

// Query parameters as the server parsed them (a key may repeat).
using QueryParams = std::multimap<std::string, std::string>;

struct Route {
  enum class Kind {
    kNotFound,
    kLogin,   // GET: the form; POST: check the token, set the cookie
    kLogout,  // POST: clear the cookie
    kAsset,   // /static/<name>: embedded files, no login needed
    kPage,    // the app's pages: name lab, jobs, job, compare, history, logs
    kApi,     // /api/v1/...: name devices, agents, jobs, job, results, compare, history, regressions
    kEvents,  // /api/v1/events/...: name lab, job, logs (server-sent events)
  };
  Kind kind = Kind::kNotFound;
  std::string name;
  std::vector<std::string> args;  // job ids, a device id ("<agent>/<serial>")
};

// `path` is already percent-decoded (a device id holds a '/', so /devices/<id>/logs takes
// everything between the prefix and the suffix).
Route ParseRoute(absl::string_view path);

// The cookie that carries the token after a login.
inline constexpr absl::string_view kSessionCookie = "benchlab_token";

// The caller's token: from `Authorization: Bearer <token>` when that header is given
// (scripts), else from the session cookie (browsers); "" when neither has one.
std::string RequestToken(absl::string_view authorization, absl::string_view cookie_header);
// Set-Cookie values: the session (HttpOnly, SameSite=Strict, Secure under TLS; the token
// hex-encoded so any token byte is a valid cookie character) and its removal.
std::string SessionCookie(absl::string_view token, bool secure);
std::string ClearedSessionCookie(bool secure);
// Where a login may send the browser back to: a path on this server, else "/".
std::string SafeNext(absl::string_view next);

// For a query value: every byte but A-Z a-z 0-9 - . _ ~ / as %XX.
std::string PercentEncode(absl::string_view text);

// absl code -> HTTP status, as the gRPC-HTTP mapping does (NotFound 404, ...).
int HttpStatusFor(const absl::Status& status);
// {"code": <grpc code>, "message": "..."} (google.rpc.Status's JSON).
std::string ErrorJson(const absl::Status& status);
// The proto3 JSON mapping (lowerCamelCase names, int64 as strings, enums by name), with
// fields at their defaults included so pages need no defaults of their own. One line.
std::string ToJson(const google::protobuf::Message& message);

// One server-sent event: "event: <name>\ndata: <data>\n\n"; `data` must be one line.
std::string SseEvent(absl::string_view name, absl::string_view data);

// "text/javascript; charset=utf-8" etc. by a file name's extension.
const char* DashboardContentType(absl::string_view name);

// The first value of `key`, or "".
std::string QueryValue(const QueryParams& query, const std::string& key);
// All values of `key`, each also split at commas ("tag=a,b&tag=c" -> a, b, c), empty
// ones dropped.
std::vector<std::string> QueryList(const QueryParams& query, const std::string& key);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_DASHBOARD_HTTP_H_
