// The dashboard's rules and parts: routing, where the token comes from and the cookie the
// login sets, redirects that stay on this server, error mapping, HTML escaping, the JSON
// API over a real Core, the lab event stream woken by Core's changes, and the server
// itself over a loopback socket (401 without a token, bearer and cookie logins, redirects).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "common/markup_text.h"
#include "coordinator/auth.h"
#include "coordinator/dashboard_api.h"
#include "coordinator/dashboard_events.h"
#include "coordinator/dashboard_http.h"
#include "coordinator/dashboard_server.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/coordinator_test_core.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;
using K = Route::Kind;

TEST(DashboardRouteTest, PagesApiEventsAndAssets) {
  EXPECT_EQ(ParseRoute("/").kind, K::kPage);
  EXPECT_EQ(ParseRoute("/").name, "lab");
  EXPECT_EQ(ParseRoute("/jobs").name, "jobs");
  Route job = ParseRoute("/jobs/j000007");
  EXPECT_EQ(job.kind, K::kPage);
  EXPECT_EQ(job.name, "job");
  EXPECT_EQ(job.args, std::vector<std::string>{"j000007"});
  Route cmp = ParseRoute("/compare/a/b");
  EXPECT_EQ(cmp.name, "compare");
  EXPECT_EQ(cmp.args, (std::vector<std::string>{"a", "b"}));
  // A device id holds a '/' (and a TCP serial a ':'): everything between prefix and suffix.
  Route logs = ParseRoute("/devices/host0/127.0.0.1:5555/logs");
  EXPECT_EQ(logs.kind, K::kPage);
  EXPECT_EQ(logs.name, "logs");
  EXPECT_EQ(logs.args, std::vector<std::string>{"host0/127.0.0.1:5555"});
  Route ev = ParseRoute("/api/v1/events/devices/host0/R58M/logs");
  EXPECT_EQ(ev.kind, K::kEvents);
  EXPECT_EQ(ev.args, std::vector<std::string>{"host0/R58M"});
  EXPECT_EQ(ParseRoute("/api/v1/events/lab").kind, K::kEvents);
  EXPECT_EQ(ParseRoute("/api/v1/events/jobs/j1").name, "job");
  EXPECT_EQ(ParseRoute("/api/v1/devices").kind, K::kApi);
  EXPECT_EQ(ParseRoute("/api/v1/jobs/j1").name, "job");
  Route res = ParseRoute("/api/v1/jobs/j1/results");
  EXPECT_EQ(res.name, "results");
  EXPECT_EQ(res.args, std::vector<std::string>{"j1"});
  EXPECT_EQ(ParseRoute("/api/v1/compare/a/b").name, "compare");
  EXPECT_EQ(ParseRoute("/static/app.js").kind, K::kAsset);
  EXPECT_EQ(ParseRoute("/login").kind, K::kLogin);
}

TEST(DashboardRouteTest, UnknownAndMalformedPathsAreNotFound) {
  for (const char* p : {"", "/nope", "/jobs/", "/jobs/a/b", "/compare/a", "/compare/a//", "/static/",
                        "/static/../x", "/static/a/b", "/api/v1/", "/api/v1/jobs/a/b", "/api/v1/jobs//results",
                        "/api/v1/events/", "/api/v1/events/jobs/", "/devices//logs", "/devices/x",
                        "/api/v1/compare/a/b/c"}) {
    EXPECT_EQ(ParseRoute(p).kind, K::kNotFound) << p;
  }
}

TEST(DashboardAuthTest, BearerHeaderFirstThenTheSessionCookie) {
  EXPECT_EQ(RequestToken("Bearer abc", ""), "abc");
  EXPECT_EQ(RequestToken("", SessionCookie("s3cret", false).substr(0, SessionCookie("s3cret", false).find(';'))),
            "s3cret");
  // The header wins over a cookie; a header that is not a bearer token is no token.
  std::string cookie = "a=1; " + SessionCookie("fromcookie", false).substr(0, SessionCookie("fromcookie", false).find(';'));
  EXPECT_EQ(RequestToken("Bearer fromheader", cookie), "fromheader");
  EXPECT_EQ(RequestToken("Basic dXNlcjpwdw==", cookie), "");
  EXPECT_EQ(RequestToken("", cookie), "fromcookie");
  EXPECT_EQ(RequestToken("", "benchlab_token=zz"), "");   // not hex
  EXPECT_EQ(RequestToken("", "benchlab_token=abc"), "");  // odd length
  EXPECT_EQ(RequestToken("", "other=1"), "");
}

TEST(DashboardAuthTest, SessionCookieIsHttpOnlyStrictAndSecureUnderTls) {
  // Any token byte survives the cookie (hex): ';' and '=' would otherwise end it.
  const std::string token = "a;b=c d\"";
  std::string plain = SessionCookie(token, false);
  EXPECT_TRUE(absl::StrContains(plain, "HttpOnly"));
  EXPECT_TRUE(absl::StrContains(plain, "SameSite=Strict"));
  EXPECT_TRUE(absl::StrContains(plain, "Path=/"));
  EXPECT_FALSE(absl::StrContains(plain, "Secure"));
  EXPECT_TRUE(absl::StrContains(SessionCookie(token, true), "; Secure"));
  EXPECT_EQ(RequestToken("", plain.substr(0, plain.find(';'))), token);
  EXPECT_TRUE(absl::StrContains(ClearedSessionCookie(true), "Max-Age=0"));
}

TEST(DashboardAuthTest, RedirectsStayOnThisServer) {
  EXPECT_EQ(SafeNext("/jobs/j1?x=1"), "/jobs/j1?x=1");
  for (const char* bad : {"", "jobs", "//evil.example/", "/\\evil.example", "https://evil.example/", "/a\nb",
                          "javascript:alert(1)"}) {
    EXPECT_EQ(SafeNext(bad), "/") << bad;
  }
  EXPECT_EQ(PercentEncode("/jobs/a b?c=d&e"), "/jobs/a%20b%3Fc%3Dd%26e");
}

TEST(DashboardAuthTest, TokenRolesAsForGrpc) {
  TokenAuth open;
  auto anyone = open.CheckToken("", Role::kAdmin);
  ASSERT_TRUE(anyone.ok());
  EXPECT_EQ(anyone->role, Role::kAdmin);
  TokenAuth auth;
  auth.Add("r", Role::kRead, "reader");
  EXPECT_EQ(auth.CheckToken("", Role::kRead).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.CheckToken("x", Role::kRead).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth.CheckToken("r", Role::kRead).ok());
  EXPECT_EQ(auth.CheckToken("r", Role::kSubmit).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(DashboardHttpTest, ErrorsMapToHttpStatusAndJson) {
  EXPECT_EQ(HttpStatusFor(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFor(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusFor(absl::UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpStatusFor(absl::PermissionDeniedError("x")), 403);
  EXPECT_EQ(HttpStatusFor(absl::ResourceExhaustedError("x")), 429);
  EXPECT_EQ(HttpStatusFor(absl::InternalError("x")), 500);
  auto j = nlohmann::json::parse(ErrorJson(absl::NotFoundError("job \"j<1>\" not found\n\xff")));
  EXPECT_EQ(j["code"], 5);
  EXPECT_TRUE(absl::StartsWith(j["message"].get<std::string>(), "job \"j<1>\" not found\n"));
  EXPECT_EQ(SseEvent("lab", "{}"), "event: lab\ndata: {}\n\n");
}

TEST(HtmlTextTest, MarkupCharactersBecomeText) {
  EXPECT_EQ(EscapeHtml("<img src=x onerror='a()'>&\"Pixel\""),
            "&lt;img src=x onerror=&#39;a()&#39;&gt;&amp;&quot;Pixel&quot;");
  EXPECT_EQ(EscapeHtml("Pixel 7 Pro"), "Pixel 7 Pro");
}

// A Core with one agent "h0" and two phones, one named with markup.
class DashboardCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    auto t = benchlab::testing::OpenTestCore(&store_, &clock_, dir_.path());
    ASSERT_TRUE(t.ok()) << t.status();
    artifacts_ = std::move(t->artifacts);
    core_ = std::move(t->core);
  }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }
  void Hello(int phones) {
    v1::AgentHello h;
    for (int p = 0; p < phones; ++p) {
      auto* d = h.add_devices();
      d->set_serial("S" + std::to_string(p));
      d->set_adb_state("device");
      d->set_model("<b>Pixel</b>");
    }
    ASSERT_TRUE(core_->AgentHello("h0", h, channel_).ok());
  }

  benchlab::testing::MemoryStore store_;
  FakeClock clock_;
  benchlab::testing::TempDir dir_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<Core> core_;
  std::shared_ptr<benchlab::testing::RecordingChannel> channel_ = std::make_shared<benchlab::testing::RecordingChannel>();
};

TEST_F(DashboardCoreTest, ApiAnswersInTheProtoJsonMapping) {
  Hello(2);
  DashboardApi api(core_.get());
  ApiReply r = api.Handle(ParseRoute("/api/v1/devices"), {});
  ASSERT_EQ(r.http_status, 200) << r.json;
  auto j = nlohmann::json::parse(r.json);
  ASSERT_EQ(j["devices"].size(), 2u);
  EXPECT_EQ(j["devices"][0]["info"]["deviceId"], "h0/S0");
  EXPECT_EQ(j["devices"][0]["info"]["model"], "<b>Pixel</b>");  // data, escaped by the page
  EXPECT_EQ(j["devices"][0]["state"], "DEVICE_STATE_IDLE");
  r = api.Handle(ParseRoute("/api/v1/devices"), {{"state", "OFFLINE"}});
  EXPECT_EQ(nlohmann::json::parse(r.json)["devices"].size(), 0u);
  r = api.Handle(ParseRoute("/api/v1/devices"), {{"state", "SLEEPY"}});
  EXPECT_EQ(r.http_status, 400);
  EXPECT_TRUE(absl::StrContains(r.json, "state")) << r.json;
  r = api.Handle(ParseRoute("/api/v1/agents"), {});
  EXPECT_EQ(nlohmann::json::parse(r.json)["agents"][0]["agentId"], "h0");
  r = api.Handle(ParseRoute("/api/v1/jobs/j404"), {});
  EXPECT_EQ(r.http_status, 404);
  r = api.Handle(ParseRoute("/api/v1/jobs"), {{"page_size", "ten"}});
  EXPECT_EQ(r.http_status, 400);
  EXPECT_TRUE(absl::StrContains(r.json, "page_size")) << r.json;
  r = api.Handle(ParseRoute("/api/v1/jobs"), {{"active_only", "1"}});
  EXPECT_EQ(r.http_status, 200) << r.json;
}

TEST_F(DashboardCoreTest, LabEventsComeWithChangesAndKeepaliveOtherwise) {
  LabView view(core_.get());
  auto s = OpenLabEvents(core_.get(), &view);
  std::string out;
  ASSERT_TRUE(s->Next(&out, absl::Seconds(5)));  // the current state first
  EXPECT_TRUE(absl::StartsWith(out, "event: lab\n")) << out;
  EXPECT_FALSE(absl::StrContains(out, "h0/S0"));
  out.clear();
  ASSERT_TRUE(s->Next(&out, absl::Milliseconds(50)));  // no change: a comment
  EXPECT_EQ(out, ": keepalive\n\n");
  out.clear();
  Hello(1);  // a change wakes the stream
  ASSERT_TRUE(s->Next(&out, absl::Seconds(5)));
  EXPECT_TRUE(absl::StrContains(out, "h0/S0")) << out;
  s->Close();
  out.clear();
  EXPECT_FALSE(s->Next(&out, absl::Seconds(5)));
  s->Release();
}

// Open lab pages share one build per lab change; a change makes the next one build again.
TEST_F(DashboardCoreTest, LabPagesShareOneBuildPerChange) {
  LabView view(core_.get());
  std::vector<std::shared_ptr<EventStream>> pages;
  for (int i = 0; i < 5; ++i) pages.push_back(OpenLabEvents(core_.get(), &view));
  std::string first;
  for (auto& p : pages) {
    std::string out;
    ASSERT_TRUE(p->Next(&out, absl::Seconds(5)));
    if (first.empty()) first = out;
    EXPECT_EQ(out, first) << "every page gets the same view";
  }
  EXPECT_EQ(view.builds(), 1u);
  Hello(1);
  for (auto& p : pages) {
    std::string out;
    ASSERT_TRUE(p->Next(&out, absl::Seconds(5)));
    EXPECT_TRUE(absl::StrContains(out, "h0/S0")) << out;
  }
  EXPECT_EQ(view.builds(), 2u);
  for (auto& p : pages) p->Release();
}

TEST_F(DashboardCoreTest, JobEventsRefuseAnUnknownJobAndLogEventsAnUnknownPhone) {
  EXPECT_EQ(OpenJobEvents(core_.get(), "j404").status().code(), absl::StatusCode::kNotFound);
  v1::StreamLogsRequest lr;
  lr.set_device_id("h0/none");
  EXPECT_EQ(OpenLogEvents(core_.get(), lr).status().code(), absl::StatusCode::kNotFound);
  Hello(1);
  lr.set_device_id("h0/S0");
  lr.set_regex("(");
  EXPECT_EQ(OpenLogEvents(core_.get(), lr).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DashboardCoreTest, LogEventsCarryPublishedLinesAsJsonText) {
  Hello(1);
  v1::StreamLogsRequest lr;
  lr.set_device_id("h0/S0");
  auto s = OpenLogEvents(core_.get(), lr);
  ASSERT_TRUE(s.ok()) << s.status();
  v1::LogBatch b;
  auto* l = b.add_lines();
  l->set_tag("tflite");
  l->set_message("</script><script>alert(1)</script>");
  core_->log_hub()->Publish("h0/S0", b);
  std::string out;
  // The first Next may find the queue still empty (woken at open): wait for the line.
  for (int i = 0; i < 5 && !absl::StrContains(out, "event: logs"); ++i) ASSERT_TRUE((*s)->Next(&out, absl::Seconds(2)));
  EXPECT_TRUE(absl::StrContains(out, "alert(1)")) << out;
  (*s)->Release();
}

TEST_F(DashboardCoreTest, JobEventsSendTheSnapshotThenChangesThenEnd) {
  Hello(2);
  v1::SubmitJobRequest req;
  req.mutable_spec()->set_model_sha256("m");
  req.mutable_spec()->set_apk_sha256("a");
  req.mutable_spec()->set_repeats(2);
  req.mutable_spec()->mutable_selector()->set_all(true);
  auto job = core_->SubmitJob(req, "test");
  ASSERT_TRUE(job.ok()) << job.status();
  auto s = OpenJobEvents(core_.get(), job->job_id());
  ASSERT_TRUE(s.ok()) << s.status();
  std::string out;
  ASSERT_TRUE((*s)->Next(&out, absl::Seconds(5)));
  ASSERT_TRUE(absl::StartsWith(out, "event: job\ndata: ")) << out;
  auto snap = nlohmann::json::parse(out.substr(out.find("data: ") + 6));
  EXPECT_EQ(snap["runs"].size(), 4u);
  EXPECT_EQ(snap["job"]["jobId"], job->job_id());
  out.clear();
  ASSERT_TRUE(core_->CancelJob(job->job_id()).ok());
  // The cancel's run changes, then the end: the stream is over.
  bool more = true;
  for (int i = 0; i < 5 && more; ++i) more = (*s)->Next(&out, absl::Seconds(5));
  EXPECT_FALSE(more);
  EXPECT_TRUE(absl::StrContains(out, "RUN_STATE_CANCELLED")) << out;
  EXPECT_TRUE(absl::StrContains(out, "event: end\n")) << out;
  (*s)->Release();
}

// The server over a loopback socket.
TEST_F(DashboardCoreTest, ServerRefusesWithoutTokenAndAcceptsBearerAndCookie) {
  Hello(1);
  TokenAuth auth;
  auth.Add("good", Role::kRead, "viewer");
  DashboardOptions o;
  o.listen = "127.0.0.1:0";
  auto server = DashboardServer::Start(o, core_.get(), &auth);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client c("127.0.0.1", (*server)->port());
  auto r = c.Get("/api/v1/devices");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
  r = c.Get("/api/v1/devices", {{"Authorization", "Bearer bad"}});
  EXPECT_EQ(r->status, 401);
  r = c.Get("/api/v1/devices", {{"Authorization", "Bearer good"}});
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, "h0/S0"));
  // A page without a login goes to the login form, which comes back to the page.
  r = c.Get("/jobs/j1");
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->get_header_value("Location"), "/login?next=/jobs/j1");
  r = c.Post("/login", "token=bad&next=/jobs", "application/x-www-form-urlencoded");
  EXPECT_EQ(r->status, 401);
  EXPECT_FALSE(r->has_header("Set-Cookie"));
  r = c.Post("/login", "token=good&next=//evil.example/", "application/x-www-form-urlencoded");
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/");
  std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_TRUE(absl::StrContains(cookie, "HttpOnly"));
  cookie = cookie.substr(0, cookie.find(';'));
  r = c.Get("/", {{"Cookie", cookie}});
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StrContains(r->body, "/static/app.js"));
  EXPECT_TRUE(absl::StrContains(r->get_header_value("Content-Security-Policy"), "script-src 'self'"));
  // The login form escapes what it echoes.
  r = c.Get("/login?next=/jobs/%22%3E%3Cscript%3E");
  EXPECT_FALSE(absl::StrContains(r->body, "\"><script>"));
  EXPECT_TRUE(absl::StrContains(r->body, "&quot;&gt;&lt;script&gt;"));
  // Assets need no login (the login form uses the style sheet); unknown ones are 404.
  EXPECT_EQ(c.Get("/static/style.css")->status, 200);
  r = c.Get("/static/app.js");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(r->body, "EventSource"));  // the embedded script, whole
  EXPECT_EQ(c.Get("/static/nope.js")->status, 404);
  EXPECT_EQ(c.Get("/nope")->status, 404);
  (*server)->Shutdown();
}

}  // namespace
}  // namespace benchlab::coordinator
