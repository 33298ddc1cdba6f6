// The agent's side of the lease protocol (agent_link.proto, above RunResult) through the
// real chain: the benchlab-agent binary on Debian's adb server + devsim phones, dialled
// into a scripted AgentLink server in this process that assigns, cancels, serves artifacts
// and records every event. One attempt per phone; a queued or re-sent attempt waits behind
// the one winding down; a cancel during the download never installs; `benchlab-agent
// bench` refuses a phone the daemon holds; a reconnect's hello lists every attempt held.
#include <gtest/gtest.h>

#include <iostream>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "common/sha256.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/devsim_lab.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using testing::DevsimLab;
using testing::TempDir;

// A coordinator reduced to a script: the test says what to assign and cancel; every event
// is recorded in arrival order and acknowledged; artifacts are served from memory, each
// chunk after `chunk_delay` (a slow link for a large model).
class ScriptedCoordinator : public v1::AgentLink::Service {
 public:
  ScriptedCoordinator() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  ~ScriptedCoordinator() override { server_->Shutdown(std::chrono::system_clock::now()); }

  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }

  // Serves `data` as artifact `sha256`.
  void AddArtifact(const std::string& sha256, std::string data) {
    absl::MutexLock l(&mu_);
    artifacts_[sha256] = std::move(data);
  }
  // Called on the session's thread with each run event as it arrives (before its ack).
  void set_on_event(std::function<void(const v1::RunEvent&)> f) {
    absl::MutexLock l(&mu_);
    on_event_ = std::move(f);
  }
  void set_chunk_delay(absl::Duration d) {
    absl::MutexLock l(&mu_);
    chunk_delay_ = d;
  }
  int64_t bytes_served() {
    absl::MutexLock l(&mu_);
    return bytes_served_;
  }

  grpc::Status Connect(grpc::ServerContext* ctx,
                       grpc::ServerReaderWriter<v1::CoordinatorMessage, v1::AgentMessage>* stream) override {
    v1::AgentMessage in;
    if (!stream->Read(&in) || !in.has_hello()) return grpc::Status(grpc::FAILED_PRECONDITION, "hello first");
    v1::CoordinatorMessage ack;
    ack.mutable_hello_ack()->set_agent_id(in.hello().agent_id());
    {
      absl::MutexLock w(&write_mu_);
      if (!stream->Write(ack)) return grpc::Status::OK;
    }
    {
      absl::MutexLock l(&mu_);
      hellos_.push_back(in.hello());
      stream_ = stream;
      ctx_ = ctx;
    }
    while (stream->Read(&in)) {
      if (!in.has_run_event()) continue;
      std::function<void(const v1::RunEvent&)> on_event;
      {
        absl::MutexLock l(&mu_);
        events_.push_back(in.run_event());
        on_event = on_event_;
      }
      if (on_event) on_event(in.run_event());
      v1::CoordinatorMessage a;
      a.mutable_ack()->add_event_ids(in.run_event().event_id());
      absl::MutexLock w(&write_mu_);
      stream->Write(a);
    }
    absl::MutexLock l(&mu_);
    if (stream_ == stream) {  // a redial may have replaced it already
      stream_ = nullptr;
      ctx_ = nullptr;
    }
    return grpc::Status::OK;
  }

  grpc::Status DownloadArtifact(grpc::ServerContext* ctx, const v1::DownloadArtifactRequest* req,
                                grpc::ServerWriter<v1::ArtifactChunk>* writer) override {
    std::string data;
    absl::Duration delay;
    {
      absl::MutexLock l(&mu_);
      auto it = artifacts_.find(req->sha256());
      if (it == artifacts_.end()) return grpc::Status(grpc::NOT_FOUND, "no such artifact");
      data = it->second;
      delay = chunk_delay_;
    }
    constexpr size_t kChunk = 64 << 10;
    for (size_t at = static_cast<size_t>(req->offset()); at < data.size(); at += kChunk) {
      if (ctx->IsCancelled()) return grpc::Status(grpc::CANCELLED, "cancelled");
      if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
      v1::ArtifactChunk c;
      c.set_offset(static_cast<int64_t>(at));
      c.set_data(data.substr(at, kChunk));
      c.set_size_bytes(static_cast<int64_t>(data.size()));
      if (!writer->Write(c)) return grpc::Status::OK;
      absl::MutexLock l(&mu_);
      bytes_served_ += static_cast<int64_t>(c.data().size());
    }
    return grpc::Status::OK;
  }

  bool WaitConnected(size_t hellos, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock l(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return hellos_.size() >= hellos && stream_ != nullptr;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  bool Send(const v1::CoordinatorMessage& m) {
    grpc::ServerReaderWriter<v1::CoordinatorMessage, v1::AgentMessage>* stream;
    {
      absl::MutexLock l(&mu_);
      stream = stream_;
    }
    absl::MutexLock w(&write_mu_);
    return stream != nullptr && stream->Write(m);
  }
  // Ends the live session (the agent redials).
  void Drop() {
    absl::MutexLock l(&mu_);
    if (ctx_ != nullptr) ctx_->TryCancel();
  }

  // Waits until `pred` holds for the events so far.
  bool WaitEvents(const std::function<bool(const std::vector<v1::RunEvent>&)>& pred,
                  absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pred(events_); };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  std::vector<v1::RunEvent> events() {
    absl::MutexLock l(&mu_);
    return events_;
  }
  v1::AgentHello hello(size_t i) {
    absl::MutexLock l(&mu_);
    return i < hellos_.size() ? hellos_[i] : v1::AgentHello();
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex write_mu_;  // one writer on the stream at a time
  absl::Mutex mu_;
  std::map<std::string, std::string> artifacts_ ABSL_GUARDED_BY(mu_);
  absl::Duration chunk_delay_ ABSL_GUARDED_BY(mu_);
  std::function<void(const v1::RunEvent&)> on_event_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_served_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<v1::AgentHello> hellos_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::RunEvent> events_ ABSL_GUARDED_BY(mu_);
  grpc::ServerReaderWriter<v1::CoordinatorMessage, v1::AgentMessage>* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::ServerContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
};

bool Is(const v1::RunEvent& e, const std::string& run, int attempt) {
  return e.run_id() == run && e.attempt() == attempt;
}
// Position of the first event of (run, attempt) matching `pred`; -1 when none.
int Find(const std::vector<v1::RunEvent>& events, const std::string& run, int attempt,
         const std::function<bool(const v1::RunEvent&)>& pred = nullptr) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (Is(events[i], run, attempt) && (!pred || pred(events[i]))) return static_cast<int>(i);
  }
  return -1;
}
int FindResult(const std::vector<v1::RunEvent>& events, const std::string& run, int attempt) {
  return Find(events, run, attempt, [](const v1::RunEvent& e) { return e.has_result(); });
}
int FindState(const std::vector<v1::RunEvent>& events, const std::string& run, int attempt,
              v1::RunState state) {
  return Find(events, run, attempt,
              [state](const v1::RunEvent& e) { return e.has_state() && e.state() == state; });
}

class AgentLeaseTest : public ::testing::Test {
 protected:
  // A lab whose benchmark runs take `run_seconds`, the artifacts (model of `model_mb`)
  // served by the scripted coordinator, and the agent dialled in.
  void StartLab(double run_seconds, double model_mb = 1) {
    auto lab = DevsimLab::Start({.phones = 2, .run_seconds = run_seconds, .extra = {},
                                 .log_path = dir_.path() + "/devsim.log"});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
    apk_ = dir_.path() + "/benchmark.apk";
    model_ = dir_.path() + "/model.tflite";
    auto made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-apk", apk_,
                              "--make-model", model_, "--model-mb", absl::StrCat(model_mb)});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    for (auto [path, ref] : {std::pair{apk_, &apk_ref_}, std::pair{model_, &model_ref_}}) {
      auto digest = Sha256File(path);
      ASSERT_TRUE(digest.ok());
      ref->set_sha256(digest->sha256);
      ref->set_size_bytes(static_cast<int64_t>(digest->size_bytes));
      coordinator_.AddArtifact(digest->sha256, testing::ReadFile(path));
    }
    auto agent = testing::Subprocess::Spawn(
        {testing::BinPath("benchlab-agent"), "--coordinator", coordinator_.target(), "--insecure",
         "--name", "host1", "--state-dir", dir_.path() + "/state", "--adb-port",
         absl::StrCat(lab_->adb_port()), "--replay-jitter-ms", "0", "--settle-ms", "100"},
        {.env = Env(), .log_path = dir_.path() + "/agent.log", .cwd = ""});
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    ASSERT_TRUE(coordinator_.WaitConnected(1)) << agent_->Output();
  }

  std::map<std::string, std::string> Env() const {
    std::map<std::string, std::string> env = lab_->adb().Env();
    env["BENCHLAB_LOCK_DIR"] = dir_.path() + "/locks";  // both agent processes find it
    return env;
  }

  void Assign(const std::string& run, int attempt, int phone, int timeout_s = 60) {
    ASSERT_TRUE(coordinator_.Send(Assignment(run, attempt, phone, timeout_s)));
  }
  v1::CoordinatorMessage Assignment(const std::string& run, int attempt, int phone,
                                    int timeout_s = 60) {
    v1::CoordinatorMessage m;
    v1::RunAssignment* a = m.mutable_assign();
    a->set_run_id(run);
    a->set_attempt(attempt);
    a->set_job_id("j1");
    a->set_serial(lab_->Serial(phone));
    *a->mutable_model() = model_ref_;
    *a->mutable_apk() = apk_ref_;
    a->add_args("--num_threads=4");
    a->set_timeout_s(timeout_s);
    return m;
  }
  void Cancel(const std::string& run, int attempt) {
    v1::CoordinatorMessage m;
    m.mutable_cancel()->set_run_id(run);
    m.mutable_cancel()->set_attempt(attempt);
    m.mutable_cancel()->set_reason("test");
    ASSERT_TRUE(coordinator_.Send(m));
  }
  bool WaitState(const std::string& run, int attempt, v1::RunState state,
                 absl::Duration timeout = absl::Seconds(30)) {
    return coordinator_.WaitEvents(
        [&](const std::vector<v1::RunEvent>& e) { return FindState(e, run, attempt, state) >= 0; },
        timeout);
  }
  // The attempt's RunResult, once it came within `timeout`.
  std::optional<v1::RunResult> WaitResult(const std::string& run, int attempt,
                                          absl::Duration timeout = absl::Seconds(30)) {
    if (!coordinator_.WaitEvents(
            [&](const std::vector<v1::RunEvent>& e) { return FindResult(e, run, attempt) >= 0; },
            timeout)) {
      return std::nullopt;
    }
    auto events = coordinator_.events();
    return events[FindResult(events, run, attempt)].result();
  }
  bool Installed(int phone) {
    auto r = lab_->adb().Adb({"-s", lab_->Serial(phone), "shell", "pm", "path",
                              "org.tensorflow.lite.benchmark"});
    return absl::StrContains(r.output, "package:");
  }

  TempDir dir_;
  ScriptedCoordinator coordinator_;
  std::unique_ptr<DevsimLab> lab_;
  std::unique_ptr<testing::Subprocess> agent_;
  std::string apk_, model_;
  v1::ArtifactRef apk_ref_, model_ref_;
};

TEST_F(AgentLeaseTest, ARunCancelledWhileItsModelDownloadsNeverInstalls) {
  StartLab(/*run_seconds=*/1, /*model_mb=*/16);
  coordinator_.set_chunk_delay(absl::Milliseconds(10));  // 16 MB in ~2.5 s
  Assign("r1", 1, 0);
  const absl::Time until = absl::Now() + absl::Seconds(20);
  while (coordinator_.bytes_served() < (1 << 20) && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(20));  // polling the server's counter
  }
  ASSERT_GE(coordinator_.bytes_served(), 1 << 20) << "the download started";
  Cancel("r1", 1);
  auto result = WaitResult("r1", 1);
  ASSERT_TRUE(result.has_value()) << agent_->Output();
  EXPECT_EQ(result->state(), v1::RUN_STATE_CANCELLED) << result->error_message();
  auto events = coordinator_.events();
  EXPECT_EQ(FindState(events, "r1", 1, v1::RUN_STATE_INSTALLING), -1) << "no step started";
  EXPECT_FALSE(Installed(0)) << "a cancelled run installed its APK";
  EXPECT_LT(coordinator_.bytes_served(), model_ref_.size_bytes()) << "the download stopped";
}

TEST_F(AgentLeaseTest, ARetrySentWhileTheFirstAttemptWindsDownRunsAfterIt) {
  StartLab(/*run_seconds=*/2);
  Assign("r1", 1, 0);
  ASSERT_TRUE(WaitState("r1", 1, v1::RUN_STATE_RUNNING)) << agent_->Output();
  // The old coordinator's retry: a cancel and at once the next attempt, same phone.
  Cancel("r1", 1);
  Assign("r1", 2, 0);
  auto first = WaitResult("r1", 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->state(), v1::RUN_STATE_CANCELLED);
  auto second = WaitResult("r1", 2);
  ASSERT_TRUE(second.has_value()) << "the retry was dropped\n" << agent_->Output();
  EXPECT_EQ(second->state(), v1::RUN_STATE_DONE) << second->error_message();
  auto events = coordinator_.events();
  EXPECT_GT(Find(events, "r1", 2), FindResult(events, "r1", 1))
      << "attempt 2 started before attempt 1 had wound down";
  // One RunResult per assignment.
  int results = 0;
  for (const auto& e : events) results += e.has_result();
  EXPECT_EQ(results, 2);
}

TEST_F(AgentLeaseTest, ARetrySentTheMomentAFailedResultArrivesRuns) {
  // Seen: a retry after install_failed was dropped while the old attempt's thread was
  // still refreshing the phone's properties; the job then waited for its timeout.
  StartLab(/*run_seconds=*/0.5);
  const std::string broken = "not a zip";
  coordinator_.AddArtifact(Sha256Hex(broken), broken);
  v1::CoordinatorMessage first = Assignment("r1", 1, 0);
  first.mutable_assign()->mutable_apk()->set_sha256(Sha256Hex(broken));
  first.mutable_assign()->mutable_apk()->set_size_bytes(static_cast<int64_t>(broken.size()));
  absl::Mutex mu;
  absl::Time failed_at;
  coordinator_.set_on_event([&](const v1::RunEvent& e) {
    if (!Is(e, "r1", 1) || !e.has_result()) return;
    {
      absl::MutexLock l(&mu);
      failed_at = absl::Now();
    }
    coordinator_.Send(Assignment("r1", 2, 0));
  });
  ASSERT_TRUE(coordinator_.Send(first));
  auto r1 = WaitResult("r1", 1);
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->error_class(), v1::ERROR_CLASS_INSTALL_FAILED) << r1->error_message();
  auto r2 = WaitResult("r1", 2, absl::Seconds(20));
  const absl::Time done_at = absl::Now();
  ASSERT_TRUE(r2.has_value()) << "the retry was dropped\n" << agent_->Output();
  EXPECT_EQ(r2->state(), v1::RUN_STATE_DONE) << r2->error_message();
  absl::MutexLock l(&mu);
  std::cout << "retry assigned on the failed result, done after "
            << absl::FormatDuration(done_at - failed_at) << "\n";
}

TEST_F(AgentLeaseTest, ASecondRunForABusyPhoneWaitsBehindTheFirst) {
  StartLab(/*run_seconds=*/1.5);
  Assign("rA", 1, 0);
  Assign("rB", 1, 0);
  Assign("rB", 1, 0);  // a re-sent assignment changes nothing
  Assign("rC", 1, 1);  // another phone runs in parallel
  auto a = WaitResult("rA", 1);
  auto b = WaitResult("rB", 1);
  auto c = WaitResult("rC", 1);
  ASSERT_TRUE(a && b && c) << agent_->Output();
  EXPECT_EQ(a->state(), v1::RUN_STATE_DONE) << a->error_message();
  EXPECT_EQ(b->state(), v1::RUN_STATE_DONE) << b->error_message();
  EXPECT_EQ(c->state(), v1::RUN_STATE_DONE) << c->error_message();
  auto events = coordinator_.events();
  EXPECT_GT(Find(events, "rB", 1), FindResult(events, "rA", 1)) << "rB ran beside rA";
  EXPECT_LT(FindState(events, "rC", 1, v1::RUN_STATE_RUNNING), FindResult(events, "rA", 1))
      << "phones are independent";
  int b_results = 0;
  for (const auto& e : events) b_results += Is(e, "rB", 1) && e.has_result();
  EXPECT_EQ(b_results, 1);
}

TEST_F(AgentLeaseTest, ACancelledQueuedAttemptGetsItsResultAndNeverRuns) {
  StartLab(/*run_seconds=*/2);
  Assign("rA", 1, 0);
  Assign("rB", 1, 0);
  ASSERT_TRUE(WaitState("rA", 1, v1::RUN_STATE_RUNNING));
  Cancel("rB", 1);
  auto b = WaitResult("rB", 1, absl::Seconds(5));
  ASSERT_TRUE(b.has_value()) << "a queued attempt is answered at once";
  EXPECT_EQ(b->state(), v1::RUN_STATE_CANCELLED);
  auto a = WaitResult("rA", 1);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->state(), v1::RUN_STATE_DONE);
  EXPECT_EQ(FindState(coordinator_.events(), "rB", 1, v1::RUN_STATE_INSTALLING), -1);
}

TEST_F(AgentLeaseTest, BenchRefusesAPhoneTheDaemonIsRunningOn) {
  StartLab(/*run_seconds=*/4);
  Assign("rA", 1, 0);
  ASSERT_TRUE(WaitState("rA", 1, v1::RUN_STATE_RUNNING));
  const absl::Time t0 = absl::Now();
  auto bench = testing::Run({testing::BinPath("benchlab-agent"), "bench", "--serial",
                             lab_->Serial(0), "--model", model_, "--apk", apk_, "--adb-port",
                             absl::StrCat(lab_->adb_port())},
                            {.env = Env(), .log_path = "", .cwd = ""}, absl::Seconds(30));
  EXPECT_EQ(bench.exit_code, 3) << bench.output;
  EXPECT_TRUE(absl::StrContains(bench.output, "in use by benchlab-agent daemon")) << bench.output;
  EXPECT_LT(absl::Now() - t0, absl::Seconds(3)) << "refused at once";
  auto a = WaitResult("rA", 1);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->state(), v1::RUN_STATE_DONE) << "the daemon's run was left alone: "
                                            << a->error_message();
  // Once the daemon is done with the phone, bench may use it.
  auto later = testing::Run({testing::BinPath("benchlab-agent"), "bench", "--serial",
                             lab_->Serial(0), "--model", model_, "--apk", apk_, "--adb-port",
                             absl::StrCat(lab_->adb_port()), "--wait-for-phone", "10"},
                            {.env = Env(), .log_path = "", .cwd = ""}, absl::Seconds(60));
  EXPECT_EQ(later.exit_code, 0) << later.output;
}

TEST_F(AgentLeaseTest, TheDaemonWaitsForAPhoneBenchHolds) {
  StartLab(/*run_seconds=*/3);
  auto bench = testing::Subprocess::Spawn(
      {testing::BinPath("benchlab-agent"), "bench", "--serial", lab_->Serial(0), "--model", model_,
       "--apk", apk_, "--adb-port", absl::StrCat(lab_->adb_port())},
      {.env = Env(), .log_path = dir_.path() + "/bench.log", .cwd = ""});
  ASSERT_TRUE(bench.ok());
  // bench holds the lock once its run is under way: the app runs.
  const absl::Time until = absl::Now() + absl::Seconds(20);
  bool app_running = false;
  while (!app_running && absl::Now() < until) {
    auto pid = lab_->adb().Adb({"-s", lab_->Serial(0), "shell", "pidof", "org.tensorflow.lite.benchmark"});
    app_running = pid.exit_code == 0;
  }
  ASSERT_TRUE(app_running) << (*bench)->Output();
  Assign("rA", 1, 0);
  auto status = (*bench)->Wait(absl::Seconds(30));
  const absl::Time bench_done = absl::Now();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 0) << (*bench)->Output();
  auto a = WaitResult("rA", 1);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->state(), v1::RUN_STATE_DONE) << a->error_message();
  // The daemon's run started only after bench let go (its RUNNING came after bench ended).
  auto events = coordinator_.events();
  const int running = FindState(events, "rA", 1, v1::RUN_STATE_RUNNING);
  ASSERT_GE(running, 0);
  EXPECT_GE(absl::FromUnixMillis(events[running].time_unix_ms()),
            bench_done - absl::Milliseconds(500));
}

TEST_F(AgentLeaseTest, AReconnectsHelloListsEveryAttemptHeld) {
  StartLab(/*run_seconds=*/3);
  Assign("rA", 1, 0);
  Assign("rB", 2, 0);  // queued behind rA
  ASSERT_TRUE(WaitState("rA", 1, v1::RUN_STATE_RUNNING));
  coordinator_.Drop();
  ASSERT_TRUE(coordinator_.WaitConnected(2)) << agent_->Output();
  std::vector<std::pair<std::string, int>> listed;
  const v1::AgentHello hello = coordinator_.hello(1);
  for (const auto& r : hello.active_runs()) listed.emplace_back(r.run_id(), r.attempt());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<std::pair<std::string, int>>{{"rA", 1}, {"rB", 2}}));
  // Both still run, one after the other.
  auto a = WaitResult("rA", 1);
  auto b = WaitResult("rB", 2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->state(), v1::RUN_STATE_DONE);
  EXPECT_EQ(b->state(), v1::RUN_STATE_DONE);
}

}  // namespace
}  // namespace benchlab
