// CoordinatorLink against the real benchlab-coordinator binary on loopback: hello with
// two phones, an assignment, an artifact download through ArtifactCache, run events to a
// DONE job; then the coordinator is killed (SIGKILL) while events are produced and
// restarted on the same data dir and port: the link redials, replays its outbox, and
// every event is applied exactly once. A second agent with the same id is refused.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>

#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/link/artifact_cache.h"
#include "agent/link/coordinator_link.h"
#include "agent/link/outbox.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "common/sha256.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace benchlab::agent::link {
namespace {

namespace v1 = benchlab::v1;
using ::benchlab::testing::BinPath;
using ::benchlab::testing::ReadFile;
using ::benchlab::testing::Subprocess;
using ::benchlab::testing::TempDir;
using ::benchlab::testing::WriteFile;

using ::benchlab::Sha256Hex;


// Polls `pred` (for Lab API state, which has no stream for it) until true or timeout.
bool WaitUntil(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return pred();
}

// The agent side the link talks to: two fake phones, assignments collected.
class TestHandler : public LinkHandler {
 public:
  std::vector<v1::DeviceInfo> CurrentDevices() override {
    std::vector<v1::DeviceInfo> out;
    for (const char* serial : {"phone-a", "phone-b"}) {
      v1::DeviceInfo d;
      d.set_serial(serial);
      d.set_adb_state("device");
      d.set_model("Pixel 7");
      d.set_soc("Tensor G2");
      d.set_battery_level_pct(80);
      out.push_back(d);
    }
    return out;
  }
  std::vector<v1::ActiveRun> ActiveRuns() override {
    absl::MutexLock l(&mu_);
    return active_;
  }
  void OnAssign(const v1::RunAssignment& a) override {
    absl::MutexLock l(&mu_);
    assignments_.push_back(a);
  }
  void OnCancel(const v1::CancelRun&) override {}
  void OnLogSubscription(const v1::LogSubscription& sub) override {
    absl::MutexLock l(&mu_);
    subscriptions_.push_back(sub);
  }
  void OnConnectionChange(bool connected) override {
    absl::MutexLock l(&mu_);
    connected_ = connected;
    if (connected) ++connects_;
  }

  void SetActive(std::vector<v1::ActiveRun> runs) {
    absl::MutexLock l(&mu_);
    active_ = std::move(runs);
  }
  // Waits (condition, no polling) until `n` assignments arrived; returns them.
  std::vector<v1::RunAssignment> WaitAssignments(size_t n, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock l(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return assignments_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return {assignments_.begin(), assignments_.end()};
  }
  bool WaitConnects(int n, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock l(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return connected_ && connects_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }
  // Waits until the coordinator asked for (enable) or stopped `serial`'s logcat.
  bool WaitSubscription(const std::string& serial, bool enable, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock l(&mu_);
    auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return std::any_of(subscriptions_.begin(), subscriptions_.end(),
                         [&](const v1::LogSubscription& s) { return s.serial() == serial && s.enable() == enable; });
    };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), timeout);
  }
  bool WaitDisconnected(absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock l(&mu_);
    auto down = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !connected_; };
    return mu_.AwaitWithTimeout(absl::Condition(&down), timeout);
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::ActiveRun> active_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::RunAssignment> assignments_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::LogSubscription> subscriptions_ ABSL_GUARDED_BY(mu_);
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  int connects_ ABSL_GUARDED_BY(mu_) = 0;
};

class AgentLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = benchlab::testing::FreePort();
    StartCoordinator();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
    lab_ = v1::Lab::NewStub(channel_);
  }
  void StartCoordinator() {
    benchlab::testing::SpawnOptions o;
    o.log_path = dir_.path() + "/coordinator.log";
    auto p = Subprocess::Spawn({BinPath("benchlab-coordinator"), "--listen", absl::StrCat("127.0.0.1:", port_),
                                "--data-dir", dir_.path() + "/data", "--insecure"},
                               o);
    ASSERT_TRUE(p.ok()) << p.status();
    coordinator_ = std::move(*p);
    ASSERT_TRUE(benchlab::testing::WaitForPort(port_, absl::Seconds(20))) << coordinator_->Output();
  }
  void KillCoordinator() {
    coordinator_->Signal(SIGKILL);
    ASSERT_TRUE(coordinator_->Wait(absl::Seconds(10)).ok());
    coordinator_.reset();
  }
  LinkOptions Options(const std::string& agent_id = "host1") {
    LinkOptions o;
    o.target = absl::StrCat("127.0.0.1:", port_);
    o.insecure = true;
    o.agent_id = agent_id;
    o.hostname = agent_id + ".lab";
    o.version = "test";
    o.backoff.initial = absl::Milliseconds(100);
    o.backoff.max = absl::Seconds(1);
    o.replay_jitter = absl::Milliseconds(200);
    o.seed = 1;
    return o;
  }
  void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }
  v1::ArtifactRef Upload(const std::string& content, v1::ArtifactKind kind) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::UploadArtifactResponse resp;
    auto w = lab_->UploadArtifact(&ctx, &resp);
    v1::UploadArtifactRequest h;
    h.mutable_header()->set_kind(kind);
    h.mutable_header()->set_sha256(Sha256Hex(content));
    h.mutable_header()->set_size_bytes(content.size());
    h.mutable_header()->set_name(kind == v1::ARTIFACT_KIND_MODEL ? "m.tflite" : "b.apk");
    EXPECT_TRUE(w->Write(h));
    for (size_t off = 0; off < content.size(); off += 16 * 1024) {
      v1::UploadArtifactRequest c;
      c.set_chunk(content.substr(off, 16 * 1024));
      EXPECT_TRUE(w->Write(c));
    }
    w->WritesDone();
    grpc::Status st = w->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.artifact();
  }
  std::string Submit(const std::string& model_sha, const std::string& apk_sha) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256(model_sha);
    req.mutable_spec()->set_apk_sha256(apk_sha);
    req.mutable_spec()->mutable_selector()->set_all(true);
    req.mutable_spec()->set_repeats(1);
    req.mutable_spec()->mutable_flags()->set_num_threads(4);
    v1::SubmitJobResponse resp;
    grpc::Status st = lab_->SubmitJob(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.job().job_id();
  }
  std::vector<v1::Device> Devices() {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListDevicesResponse resp;
    if (!lab_->ListDevices(&ctx, v1::ListDevicesRequest(), &resp).ok()) return {};
    return {resp.devices().begin(), resp.devices().end()};
  }
  std::optional<v1::GetJobResponse> GetJob(const std::string& id) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetJobRequest req;
    req.set_job_id(id);
    v1::GetJobResponse resp;
    if (!lab_->GetJob(&ctx, req, &resp).ok()) return std::nullopt;
    return resp;
  }
  v1::RunState RunState(const std::string& job_id, const std::string& run_id) {
    auto job = GetJob(job_id);
    if (!job) return v1::RUN_STATE_UNSPECIFIED;
    for (const auto& r : job->runs()) {
      if (r.run_id() == run_id) return r.state();
    }
    return v1::RUN_STATE_UNSPECIFIED;
  }

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> coordinator_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Lab::Stub> lab_;
};

v1::RunEvent Event(const v1::RunAssignment& a, int seq, std::function<void(v1::RunEvent*)> fill) {
  v1::RunEvent e;
  e.set_event_id(absl::StrCat(a.run_id(), "/", a.attempt(), "/", seq));
  e.set_run_id(a.run_id());
  e.set_attempt(a.attempt());
  e.set_time_unix_ms(absl::ToUnixMillis(absl::Now()));
  fill(&e);
  return e;
}
auto StateIs(v1::RunState s) {
  return [s](v1::RunEvent* e) { e->set_state(s); };
}
auto Lines(int first, int n) {
  return [first, n](v1::RunEvent* e) {
    for (int i = 0; i < n; ++i) e->mutable_raw_log()->add_lines(absl::StrCat("INFO: line ", first + i));
  };
}
auto Done(double avg_us) {
  return [avg_us](v1::RunEvent* e) {
    e->mutable_result()->set_state(v1::RUN_STATE_DONE);
    e->mutable_result()->mutable_metrics()->set_avg_us(avg_us);
    e->mutable_result()->mutable_metrics()->set_init_us(1000);
  };
}

TEST_F(AgentLinkTest, RunsAJobAndSurvivesACoordinatorKillWithoutLosingOrDoublingEvents) {
  auto outbox = Outbox::Open(dir_.path() + "/state");
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  TestHandler handler;
  CoordinatorLink link(Options(), &handler, outbox->get());
  ASSERT_TRUE(link.Start().ok());
  ASSERT_TRUE(handler.WaitConnects(1)) << coordinator_->Output();
  EXPECT_TRUE(link.connected());
  EXPECT_EQ(link.assigned_agent_id(), "host1");

  // Hello's phones show up in the Lab API, idle.
  ASSERT_TRUE(WaitUntil([&] {
    auto devices = Devices();
    return devices.size() == 2 && devices[0].state() == v1::DEVICE_STATE_IDLE &&
           devices[1].state() == v1::DEVICE_STATE_IDLE;
  }));
  std::set<std::string> ids;
  for (const auto& d : Devices()) ids.insert(d.info().device_id());
  EXPECT_EQ(ids, (std::set<std::string>{"host1/phone-a", "host1/phone-b"}));

  std::string model(300 * 1024, '\0');
  for (size_t i = 0; i < model.size(); ++i) model[i] = static_cast<char>(i * 31 % 251);
  const std::string apk = "PK apk bytes for the benchmark tool";
  v1::ArtifactRef model_ref = Upload(model, v1::ARTIFACT_KIND_MODEL);
  v1::ArtifactRef apk_ref = Upload(apk, v1::ARTIFACT_KIND_APK);
  const std::string job_id = Submit(model_ref.sha256(), apk_ref.sha256());
  ASSERT_FALSE(job_id.empty());

  auto assignments = handler.WaitAssignments(2);
  ASSERT_EQ(assignments.size(), 2u);
  const v1::RunAssignment a = assignments[0], b = assignments[1];
  EXPECT_NE(a.serial(), b.serial());
  EXPECT_EQ(a.model().sha256(), model_ref.sha256());
  EXPECT_NE(std::find(a.args().begin(), a.args().end(), "--num_threads=4"), a.args().end());

  // Artifacts through the link's DownloadArtifact (the model spans several chunks).
  ArtifactCache cache(dir_.path() + "/state");
  auto model_path = cache.Fetch(a.model(), *link.downloader());
  ASSERT_TRUE(model_path.ok()) << model_path.status();
  EXPECT_EQ(ReadFile(model_path->path()), model);
  auto apk_path = cache.Fetch(a.apk(), *link.downloader());
  ASSERT_TRUE(apk_path.ok()) << apk_path.status();
  EXPECT_EQ(ReadFile(apk_path->path()), apk);

  // Run a goes to DONE while all is well.
  handler.SetActive({[&] {
    v1::ActiveRun r;
    r.set_run_id(b.run_id());
    r.set_attempt(b.attempt());
    return r;
  }()});
  ASSERT_TRUE(link.SendRunEvent(Event(a, 1, StateIs(v1::RUN_STATE_INSTALLING))).ok());
  ASSERT_TRUE(link.SendRunEvent(Event(a, 2, StateIs(v1::RUN_STATE_PUSHING))).ok());
  ASSERT_TRUE(link.SendRunEvent(Event(a, 3, StateIs(v1::RUN_STATE_RUNNING))).ok());
  ASSERT_TRUE(link.SendRunEvent(Event(a, 4, Lines(0, 2))).ok());
  ASSERT_TRUE(link.SendRunEvent(Event(a, 5, Done(100))).ok());
  ASSERT_TRUE(WaitUntil([&] { return RunState(job_id, a.run_id()) == v1::RUN_STATE_DONE; }));

  // Run b is running when the coordinator dies; events keep coming while it is down.
  ASSERT_TRUE(link.SendRunEvent(Event(b, 1, StateIs(v1::RUN_STATE_INSTALLING))).ok());
  ASSERT_TRUE(link.SendRunEvent(Event(b, 2, StateIs(v1::RUN_STATE_RUNNING))).ok());
  ASSERT_TRUE(link.SendRunEvent(Event(b, 3, Lines(0, 2))).ok());
  ASSERT_TRUE(WaitUntil([&] { return RunState(job_id, b.run_id()) == v1::RUN_STATE_RUNNING; }));
  ASSERT_TRUE(link.SendRunEvent(Event(b, 4, Lines(2, 2))).ok());
  KillCoordinator();
  ASSERT_TRUE(link.SendRunEvent(Event(b, 5, Lines(4, 2))).ok());
  ASSERT_TRUE(handler.WaitDisconnected());
  ASSERT_TRUE(link.SendRunEvent(Event(b, 6, Lines(6, 2))).ok());
  ASSERT_TRUE(link.SendRunEvent(Event(b, 7, Done(200))).ok());
  EXPECT_GE(outbox->get()->size(), 3u);
  auto runs = outbox->get()->RunsWithUnackedEvents();
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs[0].run_id(), b.run_id());

  StartCoordinator();
  ASSERT_TRUE(handler.WaitConnects(2)) << coordinator_->Output();
  ASSERT_TRUE(WaitUntil([&] {
    auto job = GetJob(job_id);
    return job && job->job().runs_done() == 2;
  })) << coordinator_->Output();
  ASSERT_TRUE(WaitUntil([&] { return outbox->get()->size() == 0; }));

  // An event applied before but whose ack was lost is sent again: acked, not re-applied.
  ASSERT_TRUE(link.SendRunEvent(Event(b, 6, Lines(6, 2))).ok());
  ASSERT_TRUE(WaitUntil([&] { return outbox->get()->size() == 0; }));

  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::GetResultsRequest req;
  req.set_job_id(job_id);
  req.set_include_raw_log(true);
  v1::GetResultsResponse res;
  ASSERT_TRUE(lab_->GetResults(&ctx, req, &res).ok());
  ASSERT_EQ(res.runs_size(), 2);
  for (const auto& r : res.runs()) {
    EXPECT_EQ(r.state(), v1::RUN_STATE_DONE);
    if (r.run_id() == b.run_id()) {
      EXPECT_EQ(r.metrics().avg_us(), 200);
      ASSERT_EQ(r.raw_log_size(), 8);  // four raw_log events of two lines, each applied once
      for (int i = 0; i < 8; ++i) EXPECT_EQ(r.raw_log(i), absl::StrCat("INFO: line ", i));
    } else {
      EXPECT_EQ(r.metrics().avg_us(), 100);
      EXPECT_EQ(r.raw_log_size(), 2);
    }
  }
  link.Stop();
  EXPECT_FALSE(link.connected());
}

// The coordinator takes the newer session of an identity (the older one may be a half-open
// leftover of this very agent after a cut): the second link is not refused, and the
// first one's session ends ABORTED.
TEST_F(AgentLinkTest, SecondLinkWithTheSameIdentityReplacesTheFirst) {
  auto box1 = Outbox::Open(dir_.path() + "/state1");
  auto box2 = Outbox::Open(dir_.path() + "/state2");
  ASSERT_TRUE(box1.ok() && box2.ok());
  TestHandler h1, h2;
  CoordinatorLink first(Options("host1"), &h1, box1->get());
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(h1.WaitConnects(1));

  CoordinatorLink second(Options("host1"), &h2, box2->get());
  ASSERT_TRUE(second.Start().ok());
  ASSERT_TRUE(h2.WaitConnects(1));
  ASSERT_TRUE(WaitUntil([&] { return first.last_session_status().code() == absl::StatusCode::kAborted; }))
      << first.last_session_status();
  EXPECT_EQ(second.stats().refused_duplicate, 0u);
  EXPECT_EQ(first.stats().replaced, 1u);
  // Replaced means another live agent has our identity: the first waits its longest
  // backoff (1 s here; jittered to at least half) before taking the session back, instead
  // of the two swapping it every few milliseconds.
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(first.stats().sessions, 1u);
  EXPECT_TRUE(second.connected());

  first.Stop();
  const absl::Time before = absl::Now();
  second.Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));  // Stop is prompt
}

TEST_F(AgentLinkTest, DeviceUpdatesAndSubscribedLogsGoLiveAndAreDroppedWhileDisconnected) {
  auto outbox = Outbox::Open(dir_.path() + "/state");
  ASSERT_TRUE(outbox.ok());
  TestHandler handler;
  CoordinatorLink link(Options(), &handler, outbox->get());
  ASSERT_TRUE(link.Start().ok());
  ASSERT_TRUE(handler.WaitConnects(1));

  v1::DeviceUpdate gone;
  gone.mutable_device()->set_serial("phone-b");
  gone.set_removed(true);
  link.SendDeviceUpdate(gone);
  ASSERT_TRUE(WaitUntil([&] {
    for (const auto& d : Devices()) {
      if (d.info().device_id() == "host1/phone-b") return d.state() == v1::DEVICE_STATE_OFFLINE;
    }
    return false;
  }));

  // A Lab client follows phone-a's logcat: the coordinator subscribes, the agent streams.
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::StreamLogsRequest req;
  req.set_device_id("host1/phone-a");
  auto reader = lab_->StreamLogs(&ctx, req);
  ASSERT_TRUE(handler.WaitSubscription("phone-a", true));
  v1::LogBatch batch;
  batch.set_device_id("phone-a");
  for (int i = 0; i < 3; ++i) {
    auto* line = batch.add_lines();
    line->set_tag("tflite");
    line->set_priority(v1::LOG_PRIORITY_INFO);
    line->set_message(absl::StrCat("log line ", i));
  }
  EXPECT_TRUE(link.SendLogs(batch));
  std::vector<std::string> got;
  v1::LogBatch in;
  while (got.size() < 3 && reader->Read(&in)) {
    for (const auto& l : in.lines()) got.push_back(l.message());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"log line 0", "log line 1", "log line 2"}));
  ctx.TryCancel();
  (void)reader->Finish();

  link.Stop();
  EXPECT_FALSE(link.SendLogs(batch));  // never blocks; counted
  link.SendDeviceUpdate(gone);
  EXPECT_EQ(link.stats().log_batches_dropped, 1u);
  EXPECT_EQ(link.stats().device_updates_dropped, 1u);
}

TEST(AgentLinkTlsTest, MutualTlsIdentityIsTheCertificatesCommonName) {
  TempDir dir;
  ASSERT_TRUE(::benchlab::testing::MakeTestCerts(dir.path(), {"host7"}).ok());
  ASSERT_TRUE(WriteFile(dir.path() + "/tokens", "t-admin admin alice\n"));
  const int port = benchlab::testing::FreePort();
  benchlab::testing::SpawnOptions so;
  so.log_path = dir.path() + "/coordinator.log";
  auto coordinator = Subprocess::Spawn(
      {BinPath("benchlab-coordinator"), "--listen", absl::StrCat("127.0.0.1:", port), "--data-dir",
       dir.path() + "/data", "--tls-cert", dir.path() + "/server.pem", "--tls-key", dir.path() + "/server.key",
       "--client-ca", dir.path() + "/ca.pem", "--tokens-file", dir.path() + "/tokens"},
      so);
  ASSERT_TRUE(coordinator.ok()) << coordinator.status();
  ASSERT_TRUE(benchlab::testing::WaitForPort(port, absl::Seconds(20))) << (*coordinator)->Output();

  auto box = Outbox::Open(dir.path() + "/state");
  ASSERT_TRUE(box.ok());
  TestHandler handler;
  LinkOptions o;
  o.target = absl::StrCat("127.0.0.1:", port);
  o.ca_file = dir.path() + "/ca.pem";
  o.cert_file = dir.path() + "/host7.pem";
  o.key_file = dir.path() + "/host7.key";
  o.agent_id = "someone-else";  // ignored under mTLS
  o.replay_jitter = absl::ZeroDuration();
  CoordinatorLink link(o, &handler, box->get());
  ASSERT_TRUE(link.Start().ok());
  ASSERT_TRUE(handler.WaitConnects(1)) << (*coordinator)->Output();
  EXPECT_EQ(link.assigned_agent_id(), "host7");

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(dir.path() + "/ca.pem");
  auto lab = v1::Lab::NewStub(grpc::CreateChannel(o.target, grpc::SslCredentials(ssl)));
  ASSERT_TRUE(WaitUntil([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer t-admin");
    v1::ListDevicesResponse resp;
    if (!lab->ListDevices(&ctx, v1::ListDevicesRequest(), &resp).ok()) return false;
    return resp.devices_size() == 2 && resp.devices(0).info().device_id().rfind("host7/", 0) == 0;
  }));
  link.Stop();
}

TEST(CoordinatorLinkOptionsTest, PlaintextOnlyToLoopback) {
  TempDir dir;
  auto box = Outbox::Open(dir.path());
  ASSERT_TRUE(box.ok());
  TestHandler handler;
  LinkOptions o;
  o.target = "192.0.2.1:7443";  // TEST-NET-1: never dialled
  o.insecure = true;
  o.agent_id = "host1";
  CoordinatorLink link(o, &handler, box->get());
  EXPECT_EQ(link.Start().code(), absl::StatusCode::kInvalidArgument);
  // The rule itself (names by what they resolve to, target lists) is tested in
  // tests/unit/loopback_test.cc; these targets are refused without any lookup.
  for (const char* remote : {"10.0.0.1:7443", "ipv4:127.0.0.1:1,192.0.2.2:7443", "[::ffff:192.0.2.2]:7443"}) {
    o.target = remote;
    CoordinatorLink refused(o, &handler, box->get());
    EXPECT_EQ(refused.Start().code(), absl::StatusCode::kInvalidArgument) << remote;
  }
  o.target = "192.0.2.1:7443";

  o.insecure = false;  // TLS without the files: a clear error, no dialling
  CoordinatorLink tls(o, &handler, box->get());
  EXPECT_FALSE(tls.Start().ok());
}

}  // namespace
}  // namespace benchlab::agent::link
