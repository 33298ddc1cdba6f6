// Wiring: tracker -> inventory -> link (device updates); link -> runs (assign, cancel);
// runner -> outbox + link (run events); link -> log streamers (subscriptions).
#include "agent/daemon.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/run/device_info.h"
#include "agent/run/op_profile_proto.h"
#include "agent/run/phone_lock.h"
#include "agent/run/run_conditions.h"
#include "agent/run/run_provenance.h"
#include "common/flags/tool_files.h"
#include "spdlog/spdlog.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

// Reading a phone's properties should take milliseconds; a phone that takes longer is
// reported with what adb's list says.
constexpr absl::Duration kInfoDeadline = absl::Seconds(10);

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// What a gate on the phone looks at; CPU clocks move with every idle tick and alone are
// not worth a message.
bool GateConditionsDiffer(const v1::RunConditions& a, const v1::RunConditions& b) {
  auto key = [](const v1::RunConditions& c) {
    return std::make_tuple(c.has_battery_level_pct(), c.battery_level_pct(), c.has_battery_temp_c(),
                           std::lround(c.battery_temp_c() * 10), static_cast<int>(c.thermal_status()),
                           c.has_charging(), c.charging(), c.plugged(), c.has_screen_on(), c.screen_on());
  };
  return key(a) != key(b);
}

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
  artifacts_ = std::make_unique<link::ArtifactCache>(options_.state_dir, options_.artifact_cache);
  artifacts_->EnforceCap();  // a lowered cap applies from the start, not only after a fetch
  adb_ = adb::AdbClient::ConnectLocal({.port = options_.adb_port});
  adb_port_ = adb::ResolveAdbServerPort({.port = options_.adb_port});
  phone_models_ = std::make_unique<PhoneModelCap>(adb_.get(), options_.phone_max_models);

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
  if (!options_.metrics_listen.empty()) {
    auto endpoint = exposition::StartMetricsEndpoint(options_.metrics_listen, "agent", [this] {
      return AgentFamilies(metrics_, GaugesNow());
    });
    if (!endpoint.ok()) return endpoint.status();
    metrics_endpoint_ = std::move(*endpoint);
  }
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
    {
      // Said (or about to be said) our last word on it: a re-sent assignment is not rerun.
      absl::MutexLock lock(&mu_);
      if (reported_.insert(run).second) reported_order_.push_back(run);
    }
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

AgentGauges AgentDaemon::GaugesNow() {
  AgentGauges g;
  g.coordinator_connected = connected_.load();
  g.outbox_events = outbox_->size();
  g.outbox_bytes = outbox_->held_bytes();
  const absl::Time oldest = outbox_->oldest_held_since();
  g.outbox_oldest_age_s = oldest == absl::InfiniteFuture() ? 0 : absl::ToDoubleSeconds(absl::Now() - oldest);
  g.outbox_dropped_log_lines = outbox_->dropped_log_lines();
  const adb::AdbClient::ErrorCounts adb_errors = adb_->error_counts();
  g.adb_host_errors = adb_errors.host;
  g.adb_transport_errors = adb_errors.transport;
  absl::MutexLock lock(&mu_);
  for (const auto& [serial, info] : devices_) g.devices.push_back(info);
  return g;
}

void AgentDaemon::Stop() {
  metrics_endpoint_.reset();  // no scrape reads the parts below while they stop
  std::map<std::string, std::unique_ptr<PhoneWorker>> workers;
  std::map<std::string, std::unique_ptr<LogStreamer>> streams;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [key, attempt] : attempts_) {
      attempt->cancelled = true;
      attempt->runner.Cancel();
    }
  }
  if (tracker_) tracker_->Stop();
  if (inventory_thread_.joinable()) inventory_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    workers.swap(workers_);  // the workers see stopping_ and leave their queues
    streams.swap(log_streams_);
  }
  for (auto& [serial, worker] : workers) {
    if (worker->thread.joinable()) worker->thread.join();
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
  // Running or queued; those with a result still unacknowledged are added by the link
  // from the outbox.
  absl::MutexLock lock(&mu_);
  std::vector<v1::ActiveRun> out;
  for (const auto& [key, attempt] : attempts_) {
    v1::ActiveRun r;
    r.set_run_id(key.first);
    r.set_attempt(key.second);
    out.push_back(r);
  }
  return out;
}

void AgentDaemon::OnConnectionChange(bool connected) {
  connected_ = connected;
  spdlog::info("event={} coordinator={}", connected ? "connected" : "disconnected",
               options_.link.target);
}

void AgentDaemon::CheckAlive() { absl::MutexLock lock(&mu_); }

void AgentDaemon::InventoryLoop() {
  const bool poll = options_.conditions_interval > absl::ZeroDuration();
  absl::Time next_poll = poll ? absl::Now() + options_.conditions_interval : absl::InfiniteFuture();
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || !inventory_queue_.empty();
    };
    mu_.AwaitWithDeadline(absl::Condition(&ready), next_poll);
    if (stopping_) return;
    std::vector<std::pair<adb::AdbDevice, bool>> batch;
    batch.swap(inventory_queue_);
    mu_.Unlock();
    for (const auto& [device, removed] : batch) RefreshDevice(device, removed);
    if (absl::Now() >= next_poll) {
      PollConditions();
      next_poll = absl::Now() + options_.conditions_interval;
    }
    mu_.Lock();
  }
}

bool AgentDaemon::PhoneBusyLocked(const std::string& serial) {
  for (const auto& [key, attempt] : attempts_) {
    if (attempt->assignment.serial() == serial) return true;
  }
  return false;
}

void AgentDaemon::PollConditions() {
  // A phone with an attempt queued or running is left alone: its run reads them itself,
  // and a dumpsys beside a benchmark would disturb it.
  std::vector<std::pair<std::string, v1::RunConditions>> idle;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [serial, info] : devices_) {
      if (info.adb_state() == "device" && !PhoneBusyLocked(serial)) idle.emplace_back(serial, info.conditions());
    }
  }
  for (const auto& [serial, previous] : idle) {
    auto read = ReadRunConditions(*adb_, serial, kBenchmarkPackage, absl::Now() + kInfoDeadline);
    if (!read.ok() || !GateConditionsDiffer(previous, *read)) continue;
    v1::DeviceUpdate update;
    {
      absl::MutexLock lock(&mu_);
      auto it = devices_.find(serial);
      if (it == devices_.end() || PhoneBusyLocked(serial)) continue;  // gone, or a run took it meanwhile
      SetLatestConditions(*read, &it->second);
      *update.mutable_device() = it->second;
    }
    spdlog::info("event=conditions_changed serial={} battery_temp_c={:.1f} thermal_status={}", serial,
                 read->battery_temp_c(), v1::ThermalStatus_Name(read->thermal_status()));
    if (link_) link_->SendDeviceUpdate(update);
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

void AgentDaemon::Emit(Attempt* attempt, v1::RunEvent event) {
  const v1::RunAssignment& a = attempt->assignment;
  event.set_event_id(absl::StrCat(a.run_id(), "/", a.attempt(), "/", ++attempt->seq));
  event.set_run_id(a.run_id());
  event.set_attempt(a.attempt());
  event.set_time_unix_ms(NowMs());
  if (absl::Status s = link_->SendRunEvent(std::move(event)); !s.ok()) {
    // Still held in memory and sent; only a restart before the disk has room loses it.
    spdlog::error("event=outbox_write_failed run={} error=\"{}\"", a.run_id(), std::string(s.message()));
  }
}

void AgentDaemon::MarkReported(const v1::RunAssignment& a) {
  constexpr size_t kRememberReported = 1024;
  absl::MutexLock lock(&mu_);
  const AttemptKey key{a.run_id(), a.attempt()};
  attempts_.erase(key);
  if (reported_.insert(key).second) reported_order_.push_back(key);
  while (reported_order_.size() > kRememberReported) {
    reported_.erase(reported_order_.front());
    reported_order_.pop_front();
  }
}

std::shared_ptr<AgentDaemon::Attempt> AgentDaemon::CancelLocked(const AttemptKey& key,
                                                               const std::string& reason) {
  auto it = attempts_.find(key);
  if (it == attempts_.end()) return nullptr;
  std::shared_ptr<Attempt> attempt = it->second;
  spdlog::info("event=cancel run={} attempt={} serial={} reason=\"{}\"", key.first, key.second,
               attempt->assignment.serial(), reason);
  attempt->cancelled = true;
  attempt->runner.Cancel();
  auto w = workers_.find(attempt->assignment.serial());
  if (w == workers_.end()) return nullptr;
  auto& queue = w->second->queue;
  auto q = std::find(queue.begin(), queue.end(), attempt);
  if (q == queue.end()) return nullptr;  // running: its worker reports it once wound down
  queue.erase(q);
  return attempt;
}

void AgentDaemon::ReportCancelledInQueue(Attempt* attempt) {
  // Never started: nothing on the phone to wind down.
  v1::RunEvent e;
  e.mutable_result()->set_state(v1::RUN_STATE_CANCELLED);
  e.mutable_result()->set_error_message("cancelled while waiting for the phone");
  MarkReported(attempt->assignment);
  Emit(attempt, std::move(e));
}

void AgentDaemon::OnAssign(const v1::RunAssignment& assignment) {
  const AttemptKey key{assignment.run_id(), assignment.attempt()};
  std::vector<std::shared_ptr<Attempt>> superseded;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (attempts_.contains(key) || reported_.contains(key)) {
      spdlog::info("event=assignment_repeated run={} attempt={} note=\"already held or reported\"",
                   key.first, key.second);
      return;
    }
    // A newer attempt of a run means the coordinator is done with the older ones.
    std::vector<AttemptKey> older;
    for (const auto& [k, a] : attempts_) {
      if (k.first == key.first && k.second < key.second) older.push_back(k);
    }
    for (const AttemptKey& k : older) {
      if (auto queued = CancelLocked(k, "superseded by a newer attempt")) superseded.push_back(queued);
    }
    auto attempt = std::make_shared<Attempt>(adb_.get());
    attempt->assignment = assignment;
    attempts_[key] = attempt;
    std::unique_ptr<PhoneWorker>& worker = workers_[assignment.serial()];
    const bool fresh = worker == nullptr;
    if (fresh) {
      worker = std::make_unique<PhoneWorker>();
      worker->serial = assignment.serial();
    }
    worker->queue.push_back(attempt);
    spdlog::info("event=assigned run={} attempt={} serial={} job={} queued_behind={}",
                 assignment.run_id(), assignment.attempt(), assignment.serial(),
                 assignment.job_id(), worker->queue.size() - 1);
    if (fresh) {
      PhoneWorker* raw = worker.get();
      raw->thread = std::thread([this, raw] { WorkerLoop(raw); });
    }
  }
  for (auto& a : superseded) ReportCancelledInQueue(a.get());
}

void AgentDaemon::OnCancel(const v1::CancelRun& cancel) {
  std::shared_ptr<Attempt> queued;
  {
    absl::MutexLock lock(&mu_);
    queued = CancelLocked({cancel.run_id(), cancel.attempt()}, cancel.reason());
  }
  if (queued) ReportCancelledInQueue(queued.get());
}

void AgentDaemon::WorkerLoop(PhoneWorker* worker) {
  for (;;) {
    std::shared_ptr<Attempt> attempt;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this, worker]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !worker->queue.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      attempt = worker->queue.front();
      worker->queue.pop_front();
    }
    Execute(attempt.get());
  }
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
            const bool sent = link_->SendLogs(std::move(batch));
            metrics_.CountLogLines(sent ? lines : 0, sent ? 0 : lines);
            *dropped = sent ? 0 : carried + lines;
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

void AgentDaemon::Execute(Attempt* attempt) {
  const v1::RunAssignment& a = attempt->assignment;
  // The timeout counts from the moment the phone's worker takes the attempt up (time
  // queued behind another attempt is not this one's), downloads included.
  const absl::Time taken_up = absl::Now();
  const absl::Duration timeout =
      a.timeout_s() > 0 ? absl::Seconds(a.timeout_s()) : absl::Minutes(10);
  auto cancelled = [attempt] { return attempt->cancelled.load(); };
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
    if (abandoned && result.state() == v1::RUN_STATE_CANCELLED) return;
    metrics_.CountRun(result.state(), result.error_class());
    MarkReported(a);
    v1::RunEvent e;
    *e.mutable_result() = std::move(result);
    Emit(attempt, std::move(e));
  };
  auto cancelled_result = [](const std::string& when) {
    v1::RunResult r;
    r.set_state(v1::RUN_STATE_CANCELLED);
    r.set_error_message(absl::StrCat("cancelled ", when));
    return r;
  };

  // Artifacts first (host cache, else downloaded from the coordinator with resume); a
  // cancel ends the download at its next chunk.
  class CancellableDownloader : public link::ArtifactDownloader {
   public:
    CancellableDownloader(link::ArtifactDownloader* inner, std::function<bool()> cancelled)
        : inner_(inner), cancelled_(std::move(cancelled)) {}
    absl::Status Download(const std::string& sha256, int64_t offset, ChunkSink sink) override {
      if (cancelled_()) return absl::CancelledError("the run was cancelled");
      return inner_->Download(sha256, offset, [&](int64_t at, absl::string_view data, int64_t size) {
        if (cancelled_()) return absl::CancelledError("the run was cancelled");
        return sink(at, data, size);
      });
    }

   private:
    link::ArtifactDownloader* inner_;
    std::function<bool()> cancelled_;
  } downloader(link_->downloader(), cancelled);
  // The tool: the APK, or a native binary (issue 11); both are cached artifacts.
  const bool native = a.tool() == v1::TOOL_KIND_NATIVE || a.tool() == v1::TOOL_KIND_LITERT;
  const v1::ArtifactRef& tool_ref = native ? a.binary() : a.apk();
  // The leases keep both files out of the cache's evictions until this attempt ends.
  absl::StatusOr<link::ArtifactLease> model = artifacts_->Fetch(a.model(), downloader);
  absl::StatusOr<link::ArtifactLease> tool =
      model.ok() ? artifacts_->Fetch(tool_ref, downloader) : absl::StatusOr<link::ArtifactLease>(model.status());
  if (cancelled()) return finish(cancelled_result("while fetching its artifacts"));
  if (!model.ok() || !tool.ok()) {
    v1::RunResult r;
    r.set_state(v1::RUN_STATE_FAILED);
    r.set_error_class(v1::ERROR_CLASS_ARTIFACT_UNAVAILABLE);
    r.set_error_message(absl::StrCat("fetching ", model.ok() ? (native ? "the binary" : "the APK") : "the model",
                                     " from the coordinator: ",
                                     (model.ok() ? tool : model).status().message()));
    return finish(std::move(r));
  }

  // Tool files (issue 11): fetched (cached by hash) like the tool, pushed next to it, and
  // the tool told where (common/flags/tool_files.h).
  std::vector<RunRequest::ToolFilePush> tool_files;
  std::vector<std::string> tool_file_args;
  std::vector<link::ArtifactLease> tool_file_leases;  // held, like the model's, until the attempt ends
  for (const v1::ToolFile& tf : a.tool_files()) {
    auto local = artifacts_->Fetch(tf.artifact(), downloader);
    if (cancelled()) return finish(cancelled_result("while fetching its artifacts"));
    if (!local.ok()) {
      v1::RunResult r;
      r.set_state(v1::RUN_STATE_FAILED);
      r.set_error_class(v1::ERROR_CLASS_ARTIFACT_UNAVAILABLE);
      r.set_error_message(absl::StrCat("fetching the tool file for --", tf.flag(), " from the coordinator: ",
                                       local.status().message()));
      return finish(std::move(r));
    }
    tool_files.push_back({.local_path = local->path(),
                          .remote_dir = ToolFileRemoteDir(tf),
                          .remote_name = ToolFileRemoteName(tf),
                          .size_bytes = static_cast<uint64_t>(tf.artifact().size_bytes())});
    tool_file_args.push_back(absl::StrCat("--", tf.flag(), "=", ToolFileRemoteDir(tf)));
    tool_file_leases.push_back(std::move(*local));
  }

  // The phone's lock: `benchlab-agent bench` on this phone holds it while it runs.
  auto phone_lock = PhoneLock::Acquire(
      adb_port_, a.serial(),
      absl::StrCat("benchlab-agent daemon, run ", a.run_id(), " attempt ", a.attempt()),
      taken_up + timeout, cancelled);
  if (!phone_lock.ok()) {
    if (phone_lock.status().code() == absl::StatusCode::kCancelled) {
      return finish(cancelled_result("while waiting for the phone's lock"));
    }
    v1::RunResult r;
    r.set_state(v1::RUN_STATE_FAILED);
    r.set_error_class(v1::ERROR_CLASS_TIMED_OUT);
    r.set_error_message(absl::StrCat("the run's timeout passed before the phone was free: ",
                                     phone_lock.status().message()));
    return finish(std::move(r));
  }

  RunRequest request{
      .serial = a.serial(),
      .tool = native ? a.tool() : v1::TOOL_KIND_APK,
      .binary_path = native ? tool->path() : std::string(),
      .binary_sha256 = native ? a.binary().sha256() : std::string(),
      .binary_size_bytes = native ? static_cast<uint64_t>(a.binary().size_bytes()) : 0,
      .tool_files = std::move(tool_files),
      .apk_path = native ? std::string() : tool->path(),
      .apk_sha256 = native ? std::string() : a.apk().sha256(),
      .model_path = model->path(),
      .model_sha256 = a.model().sha256(),
      .model_size_bytes = static_cast<uint64_t>(a.model().size_bytes()),
      .args = {a.args().begin(), a.args().end()},
      .cpus = a.cpus(),
      .timeout = std::max(absl::Seconds(1), timeout - (absl::Now() - taken_up)),
      // The pause comes after the result (below), so the result is not held back by it.
      .cooldown_max = absl::ZeroDuration(),
      .result_file = a.result_file(),
  };
  // Each checked again with CheckToolArg by the runner, as every argument.
  request.args.insert(request.args.end(), tool_file_args.begin(), tool_file_args.end());
  RunObserver observer;
  observer.on_state = [&](v1::RunState state) {
    v1::RunEvent e;
    e.set_state(state);
    Emit(attempt, std::move(e));
  };
  observer.on_log_lines = [&](std::vector<std::string> lines) {
    v1::RunEvent e;
    for (std::string& l : lines) e.mutable_raw_log()->add_lines(std::move(l));
    Emit(attempt, std::move(e));
  };
  observer.on_partial_metrics = [&](const v1::BenchmarkMetrics& m) {
    v1::RunEvent e;
    *e.mutable_partial_metrics() = m;
    Emit(attempt, std::move(e));
  };
  // Returns once the app is force-stopped and no command of this attempt is running.
  RunOutcome outcome = attempt->runner.Run(request, observer);
  if (!outcome.timings.push_skipped && outcome.timings.push > absl::ZeroDuration() &&
      outcome.error_class != v1::ERROR_CLASS_PUSH_FAILED) {
    metrics_.CountPush(request.model_size_bytes, outcome.timings.push);
  }

  v1::RunResult r;
  r.set_state(outcome.state);
  *r.mutable_conditions() = outcome.conditions;
  if (outcome.exit_code.has_value()) r.set_exit_code(*outcome.exit_code);
  r.set_cpu_mask(outcome.cpu_mask);
  *r.mutable_provenance() = MakeRunProvenance(request, outcome);
  r.set_result_file_status(outcome.result_file_status);
  r.set_result_file_note(outcome.result_file_note);
  if (outcome.state == v1::RUN_STATE_DONE) {
    *r.mutable_metrics() = outcome.metrics;
    FillOpsAndDelegation(outcome.parsed, &r);
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

  // The phone keeps at most phone_max_models models: trimmed while we still hold its lock,
  // after the result (not delaying it), and only once the run's model reached the phone
  // (listed only when this run pushed it).
  const bool model_on_phone = outcome.timings.push_skipped || (outcome.timings.push > absl::ZeroDuration() &&
                                                              outcome.error_class != v1::ERROR_CLASS_PUSH_FAILED);
  if (model_on_phone && outcome.error_class != v1::ERROR_CLASS_DEVICE_LOST) {
    auto removed = phone_models_->AfterRun(a.serial(), absl::StrCat(a.model().sha256(), ".tflite"),
                                           !outcome.timings.push_skipped, absl::Now() + absl::Seconds(30));
    if (!removed.ok()) {
      spdlog::warn("event=phone_model_cap_failed serial={} error=\"{}\"", a.serial(), removed.status().ToString());
    }
    for (const std::string& path : removed.ok() ? *removed : std::vector<std::string>()) {
      spdlog::info("event=phone_model_removed serial={} path={} max_models={}", a.serial(), path,
                   phone_models_->max_models());
    }
  }

  // Cooldown: the phone (and its lock) stays with this worker for cooldown_s after the
  // result, so the next attempt on it, whoever sent it and whenever it arrived, starts on
  // a rested phone; the result itself is not delayed.
  if (a.cooldown_s() > 0 && outcome.error_class != v1::ERROR_CLASS_DEVICE_LOST) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(a.cooldown_s()));
  }
  phone_lock->reset();

  // The run heated the phone and drained its battery: tell the coordinator.
  if (outcome.error_class != v1::ERROR_CLASS_DEVICE_LOST) {
    for (const adb::AdbDevice& d : tracker_->Current()) {
      if (d.serial == a.serial()) RefreshDevice(d, false);
    }
  }
}

}  // namespace benchlab::agent
