// Replies are sent from the reader thread right after the assignment arrives, so a job
// on the fake lab finishes as fast as the coordinator can schedule it.
#include "tests/integration/cli_fake_agent.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace benchlab::testing {

namespace v1 = benchlab::v1;

std::unique_ptr<CliFakeAgent> CliFakeAgent::Connect(const std::string& address, CliFakeAgentOptions options) {
  std::unique_ptr<CliFakeAgent> agent(new CliFakeAgent(std::move(options)));
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  agent->stub_ = v1::AgentLink::NewStub(channel);
  agent->ctx_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(2)));
  agent->stream_ = agent->stub_->Connect(&agent->ctx_);
  v1::AgentMessage hello;
  auto* h = hello.mutable_hello();
  h->set_agent_id(agent->options_.agent_id);
  const std::string& hostile = agent->options_.hostile_text;
  h->set_hostname(agent->options_.agent_id + ".lab" + hostile);
  h->set_version("fake");
  for (const auto& serial : agent->options_.serials) {
    auto* d = h->add_devices();
    d->set_serial(serial);
    d->set_adb_state(agent->options_.offline_serials.contains(serial) ? "offline" : "device");
    d->set_model("Pixel 7" + hostile);
    d->set_manufacturer("Google");
    d->set_soc("Tensor G2" + hostile);
    d->set_android_version("14");
    d->set_sdk_level(34);
    d->set_abi("arm64-v8a");
    d->set_battery_level_pct(87);
    d->set_battery_temp_c(31.5);
    d->set_has_battery_temp(true);
  }
  agent->reader_ = std::thread([a = agent.get()] { a->ReadLoop(); });
  agent->logger_ = std::thread([a = agent.get()] { a->LogLoop(); });
  if (!agent->Write(hello)) return nullptr;
  absl::MutexLock l(&agent->mu_);
  // Runs under agent->mu_ (Await holds it); the assert tells the analysis so.
  auto acked_or_closed = [a = agent.get()] {
    a->mu_.AssertReaderHeld();
    return a->hello_acked_ || a->closed_;
  };
  agent->mu_.AwaitWithTimeout(absl::Condition(&acked_or_closed), absl::Seconds(10));
  if (!agent->hello_acked_) return nullptr;
  return agent;
}

CliFakeAgent::~CliFakeAgent() {
  stop_ = true;
  ctx_.TryCancel();
  if (reader_.joinable()) reader_.join();
  if (logger_.joinable()) logger_.join();
}

bool CliFakeAgent::Write(const v1::AgentMessage& message) {
  absl::MutexLock l(&write_mu_);
  return stream_->Write(message);
}

bool CliFakeAgent::WaitForLogSubscription(const std::string& serial, absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto subscribed = [this, &serial]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return subscribed_.contains(serial); };
  return mu_.AwaitWithTimeout(absl::Condition(&subscribed), timeout);
}

void CliFakeAgent::OnAssign(const v1::RunAssignment& a) {
  ++assignments_;
  if (options_.hold_runs) return;
  int repeat = 0;
  // run id "<job>.<device index>.<repeat>"
  if (size_t dot = a.run_id().rfind('.'); dot != std::string::npos) repeat = std::atoi(a.run_id().c_str() + dot + 1);
  auto event = [&](auto fill) {
    v1::AgentMessage m;
    auto* e = m.mutable_run_event();
    {
      absl::MutexLock l(&write_mu_);
      e->set_event_id(absl::StrCat(a.run_id(), "/", a.attempt(), "/", ++event_seq_));
    }
    e->set_run_id(a.run_id());
    e->set_attempt(a.attempt());
    e->set_time_unix_ms(absl::ToUnixMillis(absl::Now()));
    fill(e);
    (void)Write(m);
  };
  for (auto state : {v1::RUN_STATE_INSTALLING, v1::RUN_STATE_PUSHING, v1::RUN_STATE_RUNNING}) {
    event([state](v1::RunEvent* e) { e->set_state(state); });
  }
  event([this](v1::RunEvent* e) {
    e->mutable_raw_log()->add_lines("INFO: Loaded model" + options_.hostile_text);
  });
  if (options_.fail_serials.contains(a.serial())) {
    event([this](v1::RunEvent* e) {
      e->mutable_result()->set_state(v1::RUN_STATE_FAILED);
      e->mutable_result()->set_error_class(v1::ERROR_CLASS_APP_CRASHED);
      e->mutable_result()->set_error_message("fake crash: FATAL EXCEPTION in main" + options_.hostile_text);
    });
    return;
  }
  double avg = avg_us_ * (1.0 + 0.001 * repeat);
  const bool impossible = options_.impossible_metrics;
  event([avg, impossible](v1::RunEvent* e) {
    e->mutable_result()->set_state(v1::RUN_STATE_DONE);
    v1::BenchmarkMetrics* m = e->mutable_result()->mutable_metrics();
    m->set_count(50);
    m->set_first_us(static_cast<int64_t>(avg * 1.5));
    m->set_curr_us(static_cast<int64_t>(avg));
    m->set_min_us(static_cast<int64_t>(avg * 0.9));
    m->set_max_us(static_cast<int64_t>(avg * 1.2));
    m->set_avg_us(avg);
    m->set_std_us(12);
    m->set_init_us(2500);
    m->set_first_inference_us(static_cast<int64_t>(avg * 1.5));
    m->set_warmup_avg_us(avg * 1.1);
    m->set_inference_avg_us(avg);
    m->set_memory_init_mb(3.5);
    m->set_memory_overall_mb(12.25);
    m->set_peak_memory_mb(20.5);
    if (impossible) {
      m->set_avg_us(std::nan(""));
      m->set_min_us(-5);
    }
  });
}

void CliFakeAgent::ReadLoop() {
  v1::CoordinatorMessage m;
  while (stream_->Read(&m)) {
    if (m.has_hello_ack()) {
      absl::MutexLock l(&mu_);
      hello_acked_ = true;
    } else if (m.has_assign()) {
      OnAssign(m.assign());
    } else if (m.has_cancel()) {
      ++cancels_;
    } else if (m.has_log_subscription()) {
      absl::MutexLock l(&mu_);
      if (m.log_subscription().enable()) {
        subscribed_.insert(m.log_subscription().serial());
      } else {
        subscribed_.erase(m.log_subscription().serial());
      }
    }
  }
  absl::MutexLock l(&mu_);
  closed_ = true;
}

void CliFakeAgent::LogLoop() {
  int n = 0;
  while (!stop_) {
    std::set<std::string> serials;
    {
      absl::MutexLock l(&mu_);
      if (closed_) return;
      serials = subscribed_;
    }
    for (const auto& serial : serials) {
      v1::AgentMessage m;
      v1::LogBatch* batch = m.mutable_logs();
      batch->set_device_id(serial);
      for (const char* tag : {"FakeTag", "OtherTag"}) {
        v1::LogLine* line = batch->add_lines();
        line->set_time_unix_us(absl::ToUnixMicros(absl::Now()));
        line->set_pid(4242);
        line->set_tid(4243);
        line->set_priority(v1::LOG_PRIORITY_INFO);
        line->set_tag(tag);
        line->set_message(absl::StrCat("fake log line ", n, " from ", serial, options_.hostile_text));
      }
      ++n;
      (void)Write(m);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace benchlab::testing
