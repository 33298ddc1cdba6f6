// The fake agents of FakeAgentFleet: gRPC callback-API reactors, no thread of their own, so
// 2,000 of them do not starve each other of CPU (a thread per agent made the load
// generator, not the coordinator, late to answer keepalive pings on a loaded machine).
#include "tests/support/fake_agent_fleet.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace benchlab::testing {

namespace v1 = benchlab::v1;

class FakeAgentFleet::Agent : public grpc::ClientBidiReactor<v1::AgentMessage, v1::CoordinatorMessage> {
 public:
  Agent(const std::string& target, const std::string& name, int index, int phones,
        std::shared_ptr<Counters> counters)
      : counters_(std::move(counters)) {
    grpc::ChannelArguments args;
    args.SetInt("benchlab.fleet.agent", index);  // a distinct arg: a connection of its own
    stub_ = v1::AgentLink::NewStub(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
    stub_->async()->Connect(&ctx_, this);
    v1::AgentMessage m;
    m.mutable_hello()->set_agent_id(name);
    for (int p = 0; p < phones; ++p) {
      auto* d = m.mutable_hello()->add_devices();
      d->set_serial(absl::StrCat("SER", index, "-", p));
      d->set_adb_state("device");
      d->set_model("Pixel 7");
    }
    Send(std::move(m));
    StartRead(&in_);
    StartCall();
  }
  ~Agent() override {
    ctx_.TryCancel();
    done_.WaitForNotification();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_hello_ack()) ++counters_->connected;
    if (in_.has_assign()) Answer(in_.assign());
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override {
    const v1::AgentMessage* next = nullptr;
    {
      absl::MutexLock l(&mu_);
      out_.pop_front();
      if (ok && !out_.empty()) next = &out_.front();
    }
    if (next) StartWrite(next);  // not under mu_: a reaction may run inline
  }
  void OnDone(const grpc::Status&) override {
    if (!counters_->closing) ++counters_->ended;
    done_.Notify();
  }

 private:
  void Answer(const v1::RunAssignment& a) {
    ++counters_->assigned;
    int64_t now_ns = absl::GetCurrentTimeNanos();
    for (int64_t prev = counters_->last_assign_ns.load();
         prev < now_ns && !counters_->last_assign_ns.compare_exchange_weak(prev, now_ns);) {
    }
    auto send = [&](auto fill) {
      v1::AgentMessage out;
      auto* e = out.mutable_run_event();
      e->set_event_id(absl::StrCat(a.run_id(), "/", ++seq_));
      e->set_run_id(a.run_id());
      e->set_attempt(a.attempt());
      fill(e);
      Send(std::move(out));
    };
    send([](v1::RunEvent* e) { e->set_state(v1::RUN_STATE_RUNNING); });
    send([](v1::RunEvent* e) {
      e->mutable_result()->set_state(v1::RUN_STATE_DONE);
      e->mutable_result()->mutable_metrics()->set_avg_us(1234);
    });
  }
  // One write in flight at a time; the rest wait in out_ (front = in flight).
  void Send(v1::AgentMessage m) {
    const v1::AgentMessage* first = nullptr;
    {
      absl::MutexLock l(&mu_);
      out_.push_back(std::move(m));  // a deque: the in-flight front does not move
      if (out_.size() == 1) first = &out_.front();
    }
    if (first) StartWrite(first);
  }

  std::shared_ptr<Counters> counters_;
  std::unique_ptr<v1::AgentLink::Stub> stub_;
  grpc::ClientContext ctx_;
  v1::CoordinatorMessage in_;
  int seq_ = 0;  // read path only
  absl::Mutex mu_;
  std::deque<v1::AgentMessage> out_ ABSL_GUARDED_BY(mu_);
  absl::Notification done_;
};

FakeAgentFleet::FakeAgentFleet(std::string target, std::string name_prefix)
    : target_(std::move(target)), prefix_(std::move(name_prefix)), counters_(std::make_shared<Counters>()) {}

FakeAgentFleet::~FakeAgentFleet() {
  counters_->closing = true;
  agents_.clear();
}

int FakeAgentFleet::Connect(int agents, int phones, absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  int target_count = connected() + agents;
  for (int i = 0; i < agents; ++i) {
    int index = static_cast<int>(agents_.size());
    while (connected() < index - 100 && absl::Now() < end) absl::SleepFor(absl::Milliseconds(5));
    agents_.push_back(std::make_unique<Agent>(target_, absl::StrCat(prefix_, index), index, phones, counters_));
  }
  while (connected() < target_count && absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
  return connected();
}

}  // namespace benchlab::testing
