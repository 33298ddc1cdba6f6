// CoordinatorLink against an in-process fake AgentLink server (real gRPC on loopback):
// the replay keeps the outbox's order and pace with live events behind it, and an event
// left unacknowledged ends the session so the redial replays it.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/link/coordinator_link.h"
#include "agent/link/outbox.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/temp_dir.h"

namespace benchlab::agent::link {
namespace {

namespace v1 = benchlab::v1;
using ::benchlab::testing::TempDir;

// Records hellos and run events; acknowledges events only when `ack` is set.
class FakeCoordinator : public v1::AgentLink::Service {
 public:
  explicit FakeCoordinator(bool ack) : ack_(ack) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  ~FakeCoordinator() override { server_->Shutdown(std::chrono::system_clock::now()); }

  grpc::Status Connect(grpc::ServerContext*,
                       grpc::ServerReaderWriter<v1::CoordinatorMessage, v1::AgentMessage>* stream) override {
    v1::AgentMessage in;
    if (!stream->Read(&in) || !in.has_hello()) return grpc::Status(grpc::FAILED_PRECONDITION, "hello first");
    {
      absl::MutexLock l(&mu_);
      hellos_.push_back(in.hello());
    }
    v1::CoordinatorMessage out;
    out.mutable_hello_ack()->set_agent_id(in.hello().agent_id());
    if (!stream->Write(out)) return grpc::Status::OK;
    while (stream->Read(&in)) {
      if (!in.has_run_event()) continue;
      {
        absl::MutexLock l(&mu_);
        events_.push_back(in.run_event().event_id());
      }
      if (ack_) {
        v1::CoordinatorMessage ack;
        ack.mutable_ack()->add_event_ids(in.run_event().event_id());
        if (!stream->Write(ack)) break;
      }
    }
    return grpc::Status::OK;
  }

  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  bool WaitEvents(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock l(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  bool WaitHellos(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock l(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return hellos_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<std::string> events() {
    absl::MutexLock l(&mu_);
    return events_;
  }
  std::vector<v1::AgentHello> hellos() {
    absl::MutexLock l(&mu_);
    return hellos_;
  }

 private:
  const bool ack_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex mu_;
  std::vector<v1::AgentHello> hellos_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

class NoPhones : public LinkHandler {
 public:
  std::vector<v1::DeviceInfo> CurrentDevices() override { return {}; }
  std::vector<v1::ActiveRun> ActiveRuns() override { return {}; }
  void OnAssign(const v1::RunAssignment&) override {}
  void OnCancel(const v1::CancelRun&) override {}
  void OnLogSubscription(const v1::LogSubscription&) override {}
};

v1::RunEvent Lines(const std::string& id) {
  v1::RunEvent e;
  e.set_event_id(id);
  e.set_run_id("j1.0.0");
  e.set_attempt(2);
  e.mutable_raw_log()->add_lines("INFO: " + id);
  return e;
}

LinkOptions Options(const std::string& target) {
  LinkOptions o;
  o.target = target;
  o.insecure = true;
  o.agent_id = "host1";
  o.replay_jitter = absl::ZeroDuration();
  o.backoff.initial = absl::Milliseconds(50);
  o.backoff.max = absl::Milliseconds(100);
  o.seed = 5;
  return o;
}

TEST(CoordinatorLinkSessionTest, ReplayKeepsOutboxOrderAndPaceAndLiveEventsFollow) {
  TempDir dir;
  FakeCoordinator fake(/*ack=*/true);
  auto box = Outbox::Open(dir.path());
  ASSERT_TRUE(box.ok());
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) {
    want.push_back(absl::StrCat("e", i));
    ASSERT_TRUE((*box)->Add(Lines(want.back())).ok());
  }
  NoPhones handler;
  LinkOptions o = Options(fake.target());
  o.replay_events_per_s = 100;
  CoordinatorLink link(o, &handler, box->get());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(link.Start().ok());
  ASSERT_TRUE(fake.WaitHellos(1));
  ASSERT_TRUE(link.SendRunEvent(Lines("live")).ok());
  want.push_back("live");
  ASSERT_TRUE(fake.WaitEvents(want.size()));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));  // 20 events at 100/s
  EXPECT_EQ(fake.events(), want);
  // The hello named the run the outbox still held.
  ASSERT_EQ(fake.hellos()[0].active_runs_size(), 1);
  EXPECT_EQ(fake.hellos()[0].active_runs(0).run_id(), "j1.0.0");
  EXPECT_EQ(fake.hellos()[0].active_runs(0).attempt(), 2);
  link.Stop();
}

TEST(CoordinatorLinkSessionTest, UnacknowledgedEventEndsTheSessionAndIsReplayed) {
  TempDir dir;
  FakeCoordinator fake(/*ack=*/false);
  auto box = Outbox::Open(dir.path());
  ASSERT_TRUE(box.ok());
  NoPhones handler;
  LinkOptions o = Options(fake.target());
  o.ack_timeout = absl::Milliseconds(300);
  CoordinatorLink link(o, &handler, box->get());
  ASSERT_TRUE(link.Start().ok());
  ASSERT_TRUE(fake.WaitHellos(1));
  ASSERT_TRUE(link.SendRunEvent(Lines("e1")).ok());
  ASSERT_TRUE(fake.WaitHellos(2));
  ASSERT_TRUE(fake.WaitEvents(2));
  EXPECT_EQ(fake.events()[0], "e1");
  EXPECT_EQ(fake.events()[1], "e1");
  EXPECT_GE(link.stats().ack_timeouts, 1u);
  EXPECT_EQ(fake.hellos()[1].active_runs_size(), 1);
  EXPECT_EQ((*box)->size(), 1u);  // still held: never acknowledged
  link.Stop();
}

}  // namespace
}  // namespace benchlab::agent::link
