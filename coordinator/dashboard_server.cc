// DashboardServer: cpp-httplib wiring (TLS, threads, one handler that routes by
// dashboard_http.h's rules), the login form, and event streams as chunked responses.
#include "coordinator/dashboard_server.h"

#include <openssl/ssl.h>

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/markup_text.h"
#include "coordinator/audit_log.h"
#include "coordinator/dashboard_api.h"
#include "coordinator/dashboard_assets.h"
#include "coordinator/dashboard_events.h"
#include "coordinator/dashboard_http.h"
#include "httplib.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

namespace {

// How often an idle event stream sends a comment, so a vanished browser is noticed.
constexpr absl::Duration kKeepalive = absl::Seconds(15);

// The audit log's peer text for an HTTP client, like gRPC's "ipv4:ADDR:PORT".
std::string HttpPeer(const httplib::Request& req) { return absl::StrCat("http:", req.remote_addr, ":", req.remote_port); }

// Pages load only what this server serves; no inline script or style can run, so text
// that slipped into markup still could not act.
void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

// The login form: the only page rendered on the server, so the only one that escapes here.
std::string LoginPage(absl::string_view next, absl::string_view error) {
  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>benchlab: log in</title><link rel=\"icon\" href=\"data:,\">"
      "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body class=\"login\">"
      "<form method=\"post\" action=\"/login\" id=\"login\"><h1>benchlab</h1>"
      "<label>API token <input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"current-password\" "
      "autofocus></label><input type=\"hidden\" name=\"next\" value=\"",
      EscapeHtml(next), "\"><button type=\"submit\" id=\"login-submit\">Log in</button>",
      error.empty() ? "" : absl::StrCat("<p class=\"error\" id=\"login-error\">", EscapeHtml(error), "</p>"),
      "<p class=\"hint\">A token from the coordinator's --tokens-file (any role).</p></form></body></html>");
}

// "host:port" / "[v6]:port" -> host and port.
absl::Status SplitListen(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--http-listen ", listen, ": want HOST:PORT"));
  }
  absl::string_view h(listen.data(), colon);
  if (absl::ConsumePrefix(&h, "[")) absl::ConsumeSuffix(&h, "]");
  *host = std::string(h);
  return absl::OkStatus();
}

}  // namespace

struct DashboardServer::Impl {
  Core* core = nullptr;
  const TokenAuth* auth = nullptr;
  std::unique_ptr<AuditLog> audit;  // refused credentials, as the gRPC API records them
  std::unique_ptr<LabView> lab_view;  // shared by every open lab page
  bool tls = false;
  std::unique_ptr<DashboardApi> api;
  std::unique_ptr<httplib::Server> http;
  std::thread thread;
  absl::Mutex mu;
  std::set<std::shared_ptr<EventStream>> streams ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  bool shut = false;

  void Get(const httplib::Request& req, httplib::Response& res);
  void PostLogin(const httplib::Request& req, httplib::Response& res);
  void ServeEvents(const Route& route, const httplib::Request& req, httplib::Response& res);
  void Error(httplib::Response& res, const absl::Status& st) {
    res.status = HttpStatusFor(st);
    res.set_content(ErrorJson(st), "application/json");
  }
};

void DashboardServer::Impl::Get(const httplib::Request& req, httplib::Response& res) {
  SecurityHeaders(res);
  Route route = ParseRoute(req.path);
  switch (route.kind) {
    case Route::Kind::kNotFound:
      res.status = 404;
      res.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    case Route::Kind::kAsset: {
      const DashboardAsset* a = FindDashboardAsset(route.name);
      if (a == nullptr) {
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
      }
      res.set_content(std::string(a->text()), DashboardContentType(a->name));
      return;
    }
    case Route::Kind::kLogin:
      res.set_content(LoginPage(SafeNext(req.get_param_value("next")), ""), "text/html; charset=utf-8");
      return;
    case Route::Kind::kLogout:
      res.status = 405;
      res.set_header("Allow", "POST");
      return;
    default:
      break;
  }
  std::string token = RequestToken(req.get_header_value("Authorization"), req.get_header_value("Cookie"));
  // A page opened without any credential is a visit on its way to the login form, not a
  // refusal worth an audit entry; a credential that fails, or an API call without one, is.
  absl::StatusOr<Caller> caller =
      token.empty() && route.kind == Route::Kind::kPage
          ? auth->CheckToken(token, Role::kRead)
          : audit->AdmitToken(*auth, HttpPeer(req), absl::StrCat("GET ", req.path), token, Role::kRead);
  if (!caller.ok()) {
    if (route.kind == Route::Kind::kPage) {
      std::string target = req.target.empty() ? req.path : req.target;
      res.set_redirect(absl::StrCat("/login?next=", PercentEncode(SafeNext(target))), 302);
      return;
    }
    res.set_header("WWW-Authenticate", "Bearer");
    return Error(res, caller.status());
  }
  if (route.kind == Route::Kind::kPage) {
    // One shell for every page: app.js renders the one the path names.
    const DashboardAsset* a = FindDashboardAsset("index.html");
    res.set_content(std::string(a->text()), "text/html; charset=utf-8");
    return;
  }
  if (route.kind == Route::Kind::kEvents) return ServeEvents(route, req, res);
  ApiReply reply = api->Handle(route, req.params);
  res.status = reply.http_status;
  res.set_content(reply.json, "application/json");
}

void DashboardServer::Impl::ServeEvents(const Route& route, const httplib::Request& req, httplib::Response& res) {
  absl::StatusOr<std::shared_ptr<EventStream>> stream;
  {
    absl::MutexLock l(&mu);
    if (stopping) return Error(res, absl::UnavailableError("the coordinator is stopping"));
    if (streams.size() >= static_cast<size_t>(kMaxStreams)) {
      return Error(res, absl::ResourceExhaustedError(absl::StrCat(
                            "too many live views open (", kMaxStreams, "); close some pages and reload")));
    }
  }
  if (route.name == "lab") {
    stream = OpenLabEvents(core, lab_view.get());
  } else if (route.name == "job") {
    stream = OpenJobEvents(core, route.args[0]);
  } else {
    v1::StreamLogsRequest lr;
    lr.set_device_id(route.args[0]);
    for (auto& t : QueryList(req.params, "tag")) lr.add_tags(t);
    std::string prio = QueryValue(req.params, "min_priority");
    if (!prio.empty()) {
      v1::LogPriority p;
      if (!v1::LogPriority_Parse("LOG_PRIORITY_" + prio, &p) && !v1::LogPriority_Parse(prio, &p)) {
        return Error(res, absl::InvalidArgumentError(absl::StrCat("min_priority: unknown priority '", prio,
                                                                  "' (VERBOSE, DEBUG, INFO, WARN, ERROR, FATAL)")));
      }
      lr.set_min_priority(p);
    }
    lr.set_regex(QueryValue(req.params, "regex"));
    auto tail = QueryInt(req.params, "tail_lines", 200);
    if (!tail.ok()) return Error(res, tail.status());
    lr.set_tail_lines(static_cast<int32_t>(std::clamp<int64_t>(*tail, 0, 2000)));
    stream = OpenLogEvents(core, lr);
  }
  if (!stream.ok()) return Error(res, stream.status());
  std::shared_ptr<EventStream> s = *stream;
  {
    absl::MutexLock l(&mu);
    streams.insert(s);
  }
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [s](size_t, httplib::DataSink& sink) {
        std::string out;
        bool more = s->Next(&out, kKeepalive);
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;  // the reader left
        if (!more) sink.done();
        return true;
      },
      [this, s](bool) {
        s->Release();
        absl::MutexLock l(&mu);
        streams.erase(s);
      });
}

void DashboardServer::Impl::PostLogin(const httplib::Request& req, httplib::Response& res) {
  SecurityHeaders(res);
  std::string next = SafeNext(req.get_param_value("next"));
  std::string token = req.get_param_value("token");
  auto caller = audit->AdmitToken(*auth, HttpPeer(req), "POST /login", token, Role::kRead);
  if (!caller.ok()) {
    res.status = 401;
    res.set_content(LoginPage(next, "That token is not valid here; check it against the tokens file."),
                    "text/html; charset=utf-8");
    return;
  }
  spdlog::info("event=dashboard_login caller={} remote={}", caller->name, req.remote_addr);
  res.set_header("Set-Cookie", SessionCookie(token, tls));
  res.set_redirect(next, 303);
}

absl::StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(const DashboardOptions& o, Core* core,
                                                                        const TokenAuth* auth) {
  std::string host;
  int port = 0;
  if (auto st = SplitListen(o.listen, &host, &port); !st.ok()) return st;
  std::unique_ptr<DashboardServer> s(new DashboardServer());
  s->impl_ = std::make_unique<Impl>();
  Impl& im = *s->impl_;
  im.core = core;
  im.auth = auth;
  im.audit = std::make_unique<AuditLog>(core->store(), core->clock());
  im.lab_view = std::make_unique<LabView>(core);
  im.api = std::make_unique<DashboardApi>(core);
  im.tls = !o.tls_cert.empty();
  if (im.tls) {
    std::string cert = o.tls_cert, key = o.tls_key;
    auto server = std::make_unique<httplib::SSLServer>([cert, key](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      return SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) == 1 &&
             SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) == 1 &&
             SSL_CTX_check_private_key(&ctx) == 1;
    });
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--http-listen: cannot use --tls-cert ", cert, " and --tls-key ", key, " for HTTPS"));
    }
    im.http = std::move(server);
  } else {
    im.http = std::make_unique<httplib::Server>();
  }
  im.http->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  im.http->Get(".*", [&im](const httplib::Request& req, httplib::Response& res) { im.Get(req, res); });
  im.http->Post("/login", [&im](const httplib::Request& req, httplib::Response& res) { im.PostLogin(req, res); });
  im.http->Post("/logout", [&im](const httplib::Request&, httplib::Response& res) {
    SecurityHeaders(res);
    res.set_header("Set-Cookie", ClearedSessionCookie(im.tls));
    res.set_redirect("/login", 303);
  });
  int bound = port == 0 ? im.http->bind_to_any_port(host) : (im.http->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen,
                                               " for the dashboard: the port is in use or the address is not this "
                                               "machine's; give another --http-listen"));
  }
  s->port_ = bound;
  im.thread = std::thread([&im] { im.http->listen_after_bind(); });
  spdlog::info("event=dashboard_listening addr={} port={} tls={} url={}://{}:{}/", o.listen, bound, im.tls,
               im.tls ? "https" : "http", host.find(':') != std::string::npos ? "[" + host + "]" : host, bound);
  return s;
}

void DashboardServer::Shutdown() {
  if (!impl_ || impl_->shut) return;
  impl_->shut = true;
  {
    absl::MutexLock l(&impl_->mu);
    impl_->stopping = true;
    for (const auto& s : impl_->streams) s->Close();
  }
  impl_->http->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

DashboardServer::~DashboardServer() { Shutdown(); }

}  // namespace benchlab::coordinator
