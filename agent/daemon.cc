// Wiring: tracker -> inventory -> link (device updates); link -> runs (assign, cancel);
// runner -> outbox + link (run events); link -> log streamers (subscriptions).
#include "agent/daemon.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/run/device_info.h"
#include "spdlog/spdlog.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

// Reading a phone's properties should take milliseconds; a phone that takes longer is
// reported with what adb's list says.
constexpr absl::Duration kInfoDeadline = absl::Seconds(10);

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

AgentDaemon::AgentDaemon(DaemonOptions options) : options_(std::move(options)) {}

AgentDaemon::~AgentDaemon() { Stop(); }

absl::Status AgentDaemon::Start() {
  // A bad link config fails before anything starts (the adb server included).
  if (absl::Status s = link::CoordinatorLink::CheckOptions(options_.link); !s.ok()) return s;
  auto outbox = link::Outbox::Open(options_.state_dir + "/outbox",
                                   {.max_bytes = options_.outbox_max_bytes});
  if (!outbox.ok()) return outbox.status();
  outbox_ = std::move(*outbox);
  CloseRunsLostInARestart();
  artifacts_ = std::make_unique<link::ArtifactCache>(options_.state_dir);
  adb_ = adb::AdbClient::ConnectLocal({.port = options_.adb_port});

  // The first list is read before dialling so the hello carries every phone.
  tracker_ = std::make_unique<DeviceTracker>(
      adb_.get(),
      [this](const adb::AdbDevice& d, bool removed) {
        absl::MutexLock lock(&mu_);
        inventory_queue_.emplace_back(d, removed);
      },
      options_.tracker);
  tracker_->Start();
  if (!tracker_->WaitForFirstSnapshot(absl::Seconds(15))) {
    spdlog::warn("event=no_device_list adb_port={} note=\"dialling anyway; phones are reported "
                 "when adb answers\"",
                 options_.adb_port);
  }
  std::vector<std::pair<adb::AdbDevice, bool>> initial;
  {
    absl::MutexLock lock(&mu_);
    initial.swap(inventory_queue_);
  }
  for (const auto& [device, removed] : initial) RefreshDevice(device, removed);
  inventory_thread_ = std::thread([this] { InventoryLoop(); });

  link_ = std::make_unique<link::CoordinatorLink>(options_.link, this, outbox_.get());
  if (absl::Status s = link_->Start(); !s.ok()) return s;
  spdlog::info("event=agent_started coordinator={} agent={} phones={} outbox_events={}",
               options_.link.target, options_.link.agent_id, initial.size(), outbox_->size());
  return absl::OkStatus();
}

void AgentDaemon::CloseRunsLostInARestart() {
  // A new process runs nothing yet: a run with events in the outbox but no result was cut
  // short by our own death. Say so, or the coordinator would keep its phone leased (the
  // hello lists runs with unacknowledged events) until the job's timeout.
  std::map<std::pair<std::string, int>, bool> has_result;
  for (const v1::RunEvent& e : outbox_->Unacked()) {
    bool& done = has_result[{e.run_id(), e.attempt()}];
    done = done || e.has_result();
  }
  for (const auto& [run, done] : has_result) {
    if (done) continue;
    v1::RunEvent e;
    e.set_event_id(absl::StrCat(run.first, "/", run.second, "/agent-restarted"));
    e.set_run_id(run.first);
    e.set_attempt(run.second);
    e.set_time_unix_ms(NowMs());
    e.mutable_result()->set_state(v1::RUN_STATE_FAILED);
    e.mutable_result()->set_error_class(v1::ERROR_CLASS_DEVICE_LOST);
    e.mutable_result()->set_error_message("the agent stopped during the run");
    spdlog::warn("event=run_lost_in_restart run={} attempt={}", run.first, run.second);
    if (absl::Status s = outbox_->Add(e); !s.ok()) {
      spdlog::error("event=outbox_write_failed run={} error=\"{}\"", run.first,
                    std::string(s.message()));
    }
  }
}

void AgentDaemon::Stop() {
  std::map<std::string, std::unique_ptr<ActiveRunState>> runs;
  std::map<std::string, std::unique_ptr<LogStreamer>> streams;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, run] : runs_) {
      if (run->runner) run->runner->Cancel();
    }
  }
  if (tracker_) tracker_->Stop();
  if (inventory_thread_.joinable()) inventory_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    runs.swap(runs_);
    streams.swap(log_streams_);
  }
  for (auto& [id, run] : runs) {
    if (run->thread.joinable()) run->thread.join();
  }
  streams.clear();  // stops each streamer
  if (link_) link_->Stop();
  if (outbox_) (void)outbox_->Sync();
}

std::vector<v1::DeviceInfo> AgentDaemon::CurrentDevices() {
  absl::MutexLock lock(&mu_);
  std::vector<v1::DeviceInfo> out;
  for (const auto& [serial, info] : devices_) out.push_back(info);
  return out;
}

std::vector<v1::ActiveRun> AgentDaemon::ActiveRuns() {
  absl::MutexLock lock(&mu_);
  std::vector<v1::ActiveRun> out;
  for (const auto& [id, run] : runs_) {
    if (run->finished) continue;
    v1::ActiveRun r;
    r.set_run_id(id);
    r.set_attempt(run->assignment.attempt());
    out.push_back(r);
  }
  return out;
}

void AgentDaemon::OnConnectionChange(bool connected) {
  spdlog::info("event={} coordinator={}", connected ? "connected" : "disconnected",
               options_.link.target);
}

void AgentDaemon::InventoryLoop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || !inventory_queue_.empty();
    };
    mu_.Await(absl::Condition(&ready));
    if (stopping_) return;
    std::vector<std::pair<adb::AdbDevice, bool>> batch;
    batch.swap(inventory_queue_);
    mu_.Unlock();
    for (const auto& [device, removed] : batch) RefreshDevice(device, removed);
    mu_.Lock();
  }
}

void AgentDaemon::RefreshDevice(const adb::AdbDevice& device, bool removed) {
  v1::DeviceUpdate update;
  if (removed) {
    update.set_removed(true);
    update.mutable_device()->set_serial(device.serial);
    update.mutable_device()->set_adb_state("removed");
  } else {
    auto info = ReadDeviceInfo(*adb_, device, absl::Now() + kInfoDeadline);
    if (info.ok()) {
      *update.mutable_device() = *info;
    } else {
      spdlog::warn("event=device_info_failed serial={} error=\"{}\"", device.serial,
                   std::string(info.status().message()));
      update.mutable_device()->set_serial(device.serial);
      update.mutable_device()->set_adb_state(device.state);
      update.mutable_device()->set_model(device.model);
      update.mutable_device()->set_battery_level_pct(-1);
    }
  }
  spdlog::info("event=device serial={} state={}", device.serial,
               removed ? "removed" : update.device().adb_state());
  {
    absl::MutexLock lock(&mu_);
    if (removed) {
      devices_.erase(device.serial);
    } else {
      devices_[device.serial] = update.device();
    }
  }
  if (link_) link_->SendDeviceUpdate(update);
}

void AgentDaemon::Emit(const v1::RunAssignment& a, int* seq, v1::RunEvent event) {
  event.set_event_id(absl::StrCat(a.run_id(), "/", a.attempt(), "/", ++*seq));
  event.set_run_id(a.run_id());
  event.set_attempt(a.attempt());
  event.set_time_unix_ms(NowMs());
  if (absl::Status s = link_->SendRunEvent(std::move(event)); !s.ok()) {
    // Still held in memory and sent; only a restart before the disk has room loses it.
    spdlog::error("event=outbox_write_failed run={} error=\"{}\"", a.run_id(), std::string(s.message()));
  }
}

std::vector<std::unique_ptr<AgentDaemon::ActiveRunState>> AgentDaemon::TakeFinishedRuns() {
  std::vector<std::unique_ptr<ActiveRunState>> done;
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (it->second->finished) {
      done.push_back(std::move(it->second));
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
  return done;
}

void AgentDaemon::OnAssign(const v1::RunAssignment& assignment) {
  std::vector<std::unique_ptr<ActiveRunState>> finished;
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  finished = TakeFinishedRuns();  // joined when this returns, after the lock is released
  if (runs_.contains(assignment.run_id())) return;  // a re-sent assignment we already run
  auto run = std::make_unique<ActiveRunState>();
  run->assignment = assignment;
  run->runner = std::make_unique<BenchmarkRunner>(adb_.get());
  ActiveRunState* raw = run.get();
  runs_[assignment.run_id()] = std::move(run);
  spdlog::info("event=assigned run={} attempt={} serial={} job={}", assignment.run_id(),
               assignment.attempt(), assignment.serial(), assignment.job_id());
  raw->thread = std::thread([this, raw] { Execute(raw); });
}

void AgentDaemon::OnCancel(const v1::CancelRun& cancel) {
  absl::MutexLock lock(&mu_);
  auto it = runs_.find(cancel.run_id());
  if (it == runs_.end() || it->second->assignment.attempt() != cancel.attempt()) return;
  spdlog::info("event=cancel run={} reason=\"{}\"", cancel.run_id(), cancel.reason());
  it->second->runner->Cancel();
}

void AgentDaemon::OnLogSubscription(const v1::LogSubscription& sub) {
  std::unique_ptr<LogStreamer> stopped;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    auto it = log_streams_.find(sub.serial());
    if (sub.enable() && it == log_streams_.end()) {
      // Batches the link cannot take (disconnected, queue full) are counted and told to
      // the readers with the next batch that gets through (LogBatch.missed_lines).
      auto dropped = std::make_shared<uint64_t>(0);  // the sink runs one call at a time
      LogStreamerOptions options;
      options.tail_lines = static_cast<size_t>(std::max(0, sub.tail_lines()));
      auto streamer = std::make_unique<LogStreamer>(
          adb_.get(), sub.serial(), [this, dropped](v1::LogBatch batch) {
            const uint64_t carried = *dropped;
            const uint64_t lines = static_cast<uint64_t>(batch.lines_size());
            batch.set_missed_lines(batch.missed_lines() + carried);
            *dropped = link_->SendLogs(std::move(batch)) ? 0 : carried + lines;
          },
          options);
      streamer->Start();
      log_streams_[sub.serial()] = std::move(streamer);
      spdlog::info("event=log_stream_on serial={} tail_lines={}", sub.serial(), sub.tail_lines());
    } else if (!sub.enable() && it != log_streams_.end()) {
      stopped = std::move(it->second);
      log_streams_.erase(it);
      spdlog::info("event=log_stream_off serial={}", sub.serial());
    }
  }
  stopped.reset();  // joins its threads outside the lock
}

void AgentDaemon::Execute(ActiveRunState* run) {
  const v1::RunAssignment& a = run->assignment;
  const absl::Time received = absl::Now();
  const absl::Duration timeout =
      a.timeout_s() > 0 ? absl::Seconds(a.timeout_s()) : absl::Minutes(10);
  int seq = 0;
  auto finish = [&](v1::RunResult result) {
    bool abandoned;
    {
      absl::MutexLock lock(&mu_);
      abandoned = stopping_;
    }
    spdlog::info("event=run_finished run={} attempt={} serial={} state={} error={} message=\"{}\"",
                 a.run_id(), a.attempt(), a.serial(), v1::RunState_Name(result.state()),
                 v1::ErrorClass_Name(result.error_class()), result.error_message());
    // A run cut short by our own shutdown is not reported: the coordinator retries it
    // when our next hello does not list it.
    if (!(abandoned && result.state() == v1::RUN_STATE_CANCELLED)) {
      v1::RunEvent e;
      *e.mutable_result() = std::move(result);
      Emit(a, &seq, std::move(e));
    }
  };
  // Last thing the thread does: from here OnAssign may join it (it takes no lock after).
  struct MarkFinished {
    AgentDaemon* self;
    ActiveRunState* run;
    ~MarkFinished() {
      absl::MutexLock lock(&self->mu_);
      run->finished = true;
    }
  } mark_finished{this, run};

  // Artifacts first (host cache, else downloaded from the coordinator with resume).
  auto model = artifacts_->Fetch(a.model(), *link_->downloader());
  auto apk = model.ok() ? artifacts_->Fetch(a.apk(), *link_->downloader()) : model;
  if (!model.ok() || !apk.ok()) {
    v1::RunResult r;
    r.set_state(v1::RUN_STATE_FAILED);
    r.set_error_class(v1::ERROR_CLASS_ARTIFACT_UNAVAILABLE);
    r.set_error_message(absl::StrCat("fetching ", model.ok() ? "the APK" : "the model",
                                     " from the coordinator: ",
                                     (model.ok() ? apk : model).status().message()));
    finish(std::move(r));
    return;
  }

  RunRequest request{
      .serial = a.serial(),
      .apk_path = *apk,
      .apk_sha256 = a.apk().sha256(),
      .model_path = *model,
      .model_sha256 = a.model().sha256(),
      .model_size_bytes = static_cast<uint64_t>(a.model().size_bytes()),
      .args = {a.args().begin(), a.args().end()},
      // The deadline counts from the assignment's arrival, downloads included.
      .timeout = std::max(absl::Seconds(1), timeout - (absl::Now() - received)),
      // The coordinator's scheduler keeps the phone busy for cooldown_s after the result.
      .cooldown_max = absl::ZeroDuration(),
  };
  RunObserver observer;
  observer.on_state = [&](v1::RunState state) {
    v1::RunEvent e;
    e.set_state(state);
    Emit(a, &seq, std::move(e));
  };
  observer.on_log_lines = [&](std::vector<std::string> lines) {
    v1::RunEvent e;
    for (std::string& l : lines) e.mutable_raw_log()->add_lines(std::move(l));
    Emit(a, &seq, std::move(e));
  };
  observer.on_partial_metrics = [&](const v1::BenchmarkMetrics& m) {
    v1::RunEvent e;
    *e.mutable_partial_metrics() = m;
    Emit(a, &seq, std::move(e));
  };
  RunOutcome outcome = run->runner->Run(request, observer);

  v1::RunResult r;
  r.set_state(outcome.state);
  if (outcome.state == v1::RUN_STATE_DONE) {
    *r.mutable_metrics() = outcome.metrics;
  } else {
    r.set_error_class(outcome.error_class);
    std::string message = outcome.error_message;
    // The first evidence lines travel with the message; the rest are in the raw log.
    for (size_t i = 0; i < outcome.evidence.size() && i < 5; ++i) {
      absl::StrAppend(&message, "\n  ", outcome.evidence[i]);
    }
    r.set_error_message(message);
  }
  finish(std::move(r));

  // The run heated the phone and drained its battery: tell the coordinator.
  if (outcome.error_class != v1::ERROR_CLASS_DEVICE_LOST) {
    for (const adb::AdbDevice& d : tracker_->Current()) {
      if (d.serial == a.serial()) RefreshDevice(d, false);
    }
  }
}

}  // namespace benchlab::agent
