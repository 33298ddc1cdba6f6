// The coordinator binary as an operator runs it: SIGHUP reads the tokens file again (a
// new token works at once; a bad file keeps the tokens in use and the log says why), the
// health service answers SERVING for "" and each served service by name (and a Watch
// stream sees NOT_SERVING once SIGTERM arrives), start-up warns
// of a tokens file others may read (and makes the database 0600), and an unknown key in
// the coordinator's or the agent's config file is an error naming the key and the file.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using testing::LabCluster;
using testing::RunResult;

// Polls until `done` holds (the coordinator handles the signal on its next loop turn).
bool Eventually(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return done();
}

class CoordinatorOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = keys_.path() + "/tokens";
    ASSERT_TRUE(testing::WriteFile(tokens_, "t-admin admin alice\n"));
    auto lab = LabCluster::Start({.hosts = 0, .coordinator_extra = {"--tokens-file", tokens_}, .token = "t-admin"});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
  }
  int Agents(const std::string& token) { return lab_->Cli({"agents", "--token", token}).exit_code; }

  testing::TempDir keys_;
  std::string tokens_;
  std::unique_ptr<LabCluster> lab_;
};

TEST_F(CoordinatorOpsTest, SighupReloadsTheTokensFileAndABadFileKeepsTheOldTokens) {
  EXPECT_EQ(Agents("t-new"), 5);
  ASSERT_TRUE(testing::WriteFile(tokens_, "t-admin admin alice\nt-new read dashboard\n"));
  lab_->coordinator().Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return Agents("t-new") == 0; })) << "the new token works after SIGHUP";

  ASSERT_TRUE(testing::WriteFile(tokens_, "t-admin admin alice\nt-other superuser eve\n"));
  lab_->coordinator().Signal(SIGHUP);
  const std::string log = lab_->dir() + "/coordinator.log";
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(testing::ReadFile(log), "event=tokens_reload_failed"); }))
      << testing::ReadFile(log);
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(log), "role must be read, submit or admin"));
  EXPECT_EQ(Agents("t-new"), 0) << "a bad file keeps the tokens in use";
  EXPECT_EQ(Agents("t-other"), 5);
  EXPECT_TRUE(lab_->coordinator().Running());
}

// One Health/Check call, the request hand-encoded (field 1: service name).
grpc::Status HealthCheck(grpc::GenericStub& stub, const std::string& service, std::string* response) {
  std::string request;
  if (!service.empty()) request = absl::StrCat("\x0a", std::string(1, static_cast<char>(service.size())), service);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
    status = s;
    done.Notify();
  });
  done.WaitForNotification();
  std::vector<grpc::Slice> slices;
  if (status.ok() && resp.Dump(&slices).ok()) {
    for (auto& s : slices) response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

TEST_F(CoordinatorOpsTest, HealthIsServingForEveryServedServiceByName) {
  grpc::GenericStub stub(grpc::CreateChannel(lab_->address(), grpc::InsecureChannelCredentials()));
  for (const std::string service : {"", "benchlab.v1.Lab", "benchlab.v1.AgentLink"}) {
    std::string resp;
    grpc::Status st = HealthCheck(stub, service, &resp);
    ASSERT_TRUE(st.ok()) << "'" << service << "': " << st.error_message();
    EXPECT_EQ(resp, std::string("\x08\x01", 2)) << "'" << service << "' SERVING";
  }
  std::string resp;
  EXPECT_EQ(HealthCheck(stub, "no.such.Service", &resp).error_code(), grpc::NOT_FOUND);
}

// A grpc.health.v1.Health/Watch stream of the overall health (""), each status message
// kept as it arrives (bytes: "\x08\x01" SERVING, "\x08\x02" NOT_SERVING).
class HealthWatch : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit HealthWatch(grpc::GenericStub* stub) {
    grpc::Slice empty{std::string()};
    request_ = grpc::ByteBuffer(&empty, 1);
    stub->PrepareBidiStreamingCall(&ctx_, "/grpc.health.v1.Health/Watch", grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    std::vector<grpc::Slice> slices;
    std::string msg;
    if (response_.Dump(&slices).ok()) {
      for (auto& s : slices) msg.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    {
      absl::MutexLock l(&mu_);
      seen_.push_back(msg);
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status&) override { done_.Notify(); }
  bool Saw(const std::string& status) {
    absl::MutexLock l(&mu_);
    return std::find(seen_.begin(), seen_.end(), status) != seen_.end();
  }
  // Ends the call (if the server has not) and waits for OnDone.
  void Finish() {
    ctx_.TryCancel();
    done_.WaitForNotification();
  }

 private:
  grpc::ClientContext ctx_;
  grpc::ByteBuffer request_, response_;
  absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
  absl::Notification done_;
};

TEST_F(CoordinatorOpsTest, HealthWatchSeesNotServingWhenTheCoordinatorShutsDown) {
  grpc::GenericStub stub(grpc::CreateChannel(lab_->address(), grpc::InsecureChannelCredentials()));
  HealthWatch watch(&stub);
  const std::string kServing("\x08\x01", 2), kNotServing("\x08\x02", 2);
  ASSERT_TRUE(Eventually([&] { return watch.Saw(kServing); })) << "SERVING first";
  EXPECT_FALSE(watch.Saw(kNotServing));
  lab_->coordinator().Signal(SIGTERM);
  EXPECT_TRUE(Eventually([&] { return watch.Saw(kNotServing); })) << "NOT_SERVING while shutting down";
  watch.Finish();
  auto exit = lab_->coordinator().Wait(absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0) << "a clean stop";
}

}  // namespace
}  // namespace benchlab

namespace benchlab {
namespace {

TEST_F(CoordinatorOpsTest, StartUpWarnsOfAReadableTokensFileAndMakesThePrivateDatabase) {
  // The fixture wrote the tokens file with the test's umask (0644 here): warned, named.
  const std::string log = testing::ReadFile(lab_->dir() + "/coordinator.log");
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("event=loose_permissions what=\"tokens file\" path=", tokens_)))
      << log;
  EXPECT_FALSE(absl::StrContains(log, "what=\"database\"")) << "the coordinator made it 0600: " << log;
  struct stat st;
  ASSERT_EQ(::stat((lab_->dir() + "/coordinator/benchlab.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ConfigFiles, AnUnknownKeyIsAnErrorNamingTheKeyAndTheFile) {
  testing::TempDir dir;
  const std::string coordinator_toml = dir.path() + "/coordinator.toml";
  ASSERT_TRUE(testing::WriteFile(coordinator_toml, "listen = \"127.0.0.1:0\"\nlisten-adress = \"x\"\n"));
  RunResult r = testing::Run({testing::BinPath("benchlab-coordinator"), "--config", coordinator_toml, "--data-dir",
                              dir.path() + "/data", "--insecure"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output, absl::StrCat("benchlab-coordinator: unknown key 'listen-adress' in config file ",
                                   coordinator_toml,
                                   " (config keys are the long option names without '--'; see --help)\n"));
  const std::string agent_toml = dir.path() + "/agent.toml";
  ASSERT_TRUE(testing::WriteFile(agent_toml, "coordinator = \"127.0.0.1:1\"\nstate_dri = \"/tmp/x\"\n"));
  r = testing::Run({testing::BinPath("benchlab-agent"), "--config", agent_toml, "--insecure"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, absl::StrCat("unknown key 'state_dri' in config file ", agent_toml)))
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line: " << r.output;
}

}  // namespace
}  // namespace benchlab

namespace benchlab {
namespace {

// SIGTERM with a WatchJob, a StreamLogs and an agent session open: each ends UNAVAILABLE
// "shutting down" (clients redial at once), not CANCELLED.
TEST(CoordinatorShutdown, SigtermEndsStreamsUnavailable) {
  auto started = LabCluster::Start({.hosts = 1, .phones_per_host = 1, .run_seconds = 0.2});
  ASSERT_TRUE(started.ok()) << started.status();
  LabCluster& lab = **started;
  const std::string phone = lab.DeviceId(0, 0);
  // A drained phone keeps the job open (queued) for as long as the test needs.
  ASSERT_EQ(lab.Cli({"device", "drain", phone}).exit_code, 0);
  RunResult r = lab.Cli({"run", lab.model_path(), "--apk", lab.apk_path(), "--devices", phone, "--detach"});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  auto stub = lab.Lab();
  grpc::ClientContext watch_ctx;
  v1::WatchJobRequest watch_req;
  watch_req.set_job_id("j000001");
  auto watch = stub->WatchJob(&watch_ctx, watch_req);
  v1::WatchJobResponse snapshot;
  ASSERT_TRUE(watch->Read(&snapshot)) << "the snapshot: the call is open on the server";
  grpc::ClientContext logs_ctx;
  v1::StreamLogsRequest logs_req;
  logs_req.set_device_id(phone);
  logs_req.set_tail_lines(5);
  auto logs = stub->StreamLogs(&logs_ctx, logs_req);
  v1::LogBatch batch;
  ASSERT_TRUE(logs->Read(&batch)) << "the phone's newest lines: the call is open on the server";

  lab.coordinator().Signal(SIGTERM);
  while (watch->Read(&snapshot)) {
  }
  grpc::Status st = watch->Finish();
  EXPECT_EQ(st.error_code(), grpc::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(st.error_message(), "shutting down");
  while (logs->Read(&batch)) {
  }
  st = logs->Finish();
  EXPECT_EQ(st.error_code(), grpc::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(st.error_message(), "shutting down");
  const std::string agent_log = lab.dir() + "/agent0.log";
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(testing::ReadFile(agent_log), "UNAVAILABLE: shutting down"); }))
      << testing::ReadFile(agent_log);
  EXPECT_TRUE(lab.coordinator().Wait(absl::Seconds(10)).ok());
}

}  // namespace
}  // namespace benchlab
