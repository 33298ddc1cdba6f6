// Core: inventory, jobs, runs and their events; see core.h.
#include "coordinator/core.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "coordinator/aggregation.h"
#include "coordinator/variants.h"
#include "coordinator/verdicts.h"
#include "common/flags/benchmark_flags.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

bool IsFinal(v1::RunState s) {
  return s == v1::RUN_STATE_DONE || s == v1::RUN_STATE_FAILED || s == v1::RUN_STATE_CANCELLED;
}

bool IsRetryable(v1::ErrorClass e) {
  switch (e) {
    case v1::ERROR_CLASS_DEVICE_LOST:
    case v1::ERROR_CLASS_TIMED_OUT:
    case v1::ERROR_CLASS_ADB_UNAVAILABLE:
    case v1::ERROR_CLASS_ARTIFACT_UNAVAILABLE:
    case v1::ERROR_CLASS_INSTALL_FAILED:
    case v1::ERROR_CLASS_PUSH_FAILED:
      return true;
    default:
      return false;
  }
}

namespace {

void StampState(v1::Run* run, v1::RunState state, int64_t now_ms) {
  run->set_state(state);
  auto* t = run->mutable_timings();
  switch (state) {
    case v1::RUN_STATE_QUEUED: t->set_queued_unix_ms(now_ms); break;
    case v1::RUN_STATE_ASSIGNED: t->set_assigned_unix_ms(now_ms); break;
    case v1::RUN_STATE_INSTALLING: t->set_installing_unix_ms(now_ms); break;
    case v1::RUN_STATE_PUSHING: t->set_pushing_unix_ms(now_ms); break;
    case v1::RUN_STATE_RUNNING: t->set_running_unix_ms(now_ms); break;
    default: t->set_finished_unix_ms(now_ms); break;
  }
}

// A device field or property by selector key.
std::string DeviceField(const v1::DeviceInfo& d, const std::string& key) {
  if (key == "model") return d.model();
  if (key == "soc") return d.soc();
  if (key == "manufacturer") return d.manufacturer();
  if (key == "abi") return d.abi();
  if (key == "android_version") return d.android_version();
  if (key == "sdk_level") return absl::StrCat(d.sdk_level());
  if (key == "serial") return d.serial();
  auto it = d.properties().find(key);
  return it == d.properties().end() ? std::string() : it->second;
}

bool PropertiesMatch(const v1::DeviceInfo& d,
                     const google::protobuf::Map<std::string, std::string>& props) {
  for (const auto& [k, v] : props) {
    if (DeviceField(d, k) != v) return false;
  }
  return true;
}

}  // namespace

Core::Core(Store* store, ArtifactStore* artifacts, Clock* clock)
    : store_(store), artifacts_(artifacts), clock_(clock), scheduler_(clock) {
  log_hub_ = std::make_unique<LogHub>(LogHub::Options{},
                                      [this](const std::string& d, bool on, size_t phone_tail) {
                                        OnLogInterest(d, on, phone_tail);
                                      });
}

absl::StatusOr<std::unique_ptr<Core>> Core::Open(Store* store, ArtifactStore* artifacts, Clock* clock) {
  std::unique_ptr<Core> core(new Core(store, artifacts, clock));
  if (auto st = core->Load(); !st.ok()) return st;
  return core;
}

absl::Status Core::Load() {
  absl::MutexLock lock(&mu_);
  auto agents = store_->ListAgents();
  if (!agents.ok()) return agents.status();
  for (auto& a : *agents) {
    a.set_connected(false);
    agents_[a.agent_id()].info = a;
  }
  auto devices = store_->ListDevices();
  if (!devices.ok()) return devices.status();
  for (auto& d : *devices) {
    devices_[d.info.device_id()] = {d.info, d.last_seen_unix_ms};
    scheduler_.SetDeviceOnline(d.info.device_id(), false);
  }
  auto jobs = store_->LoadJobs();
  if (!jobs.ok()) return jobs.status();
  for (auto& j : *jobs) {
    JobState& js = jobs_[j.job.job_id()];
    js.job = j.job;
    js.seq = j.seq;
    next_job_seq_ = std::max(next_job_seq_, j.seq + 1);
    if (!j.request_id.empty()) request_ids_[j.request_id] = j.job.job_id();
  }
  auto runs = store_->LoadRuns();
  if (!runs.ok()) return runs.status();
  absl::Time now = clock_->Now();
  int resumed = 0;
  for (auto& r : *runs) {
    auto jit = jobs_.find(r.job_id());
    if (jit == jobs_.end()) continue;
    jit->second.run_ids.push_back(r.run_id());
    jit->second.counts.Set(r.run_id(), r.state());
    runs_[r.run_id()] = r;
    if (r.state() == v1::RUN_STATE_QUEUED) {
      scheduler_.Enqueue(SchedRunLocked(r));
    } else if (!IsFinal(r.state())) {
      // In flight when we stopped: keep the lease; the agent's hello decides its fate.
      scheduler_.RestoreLease(SchedRunLocked(r), now + absl::Seconds(jit->second.job.spec().timeout_s()));
      ++resumed;
    }
  }
  spdlog::info("event=store_loaded agents={} devices={} jobs={} runs={} in_flight={}", agents_.size(),
               devices_.size(), jobs_.size(), runs_.size(), resumed);
  return absl::OkStatus();
}

SchedRun Core::SchedRunLocked(const v1::Run& run) {
  const JobState& js = jobs_.at(run.job_id());
  SchedRun s;
  s.run_id = run.run_id();
  s.job_id = run.job_id();
  s.device_id = run.device_id();
  s.priority = js.job.spec().priority();
  s.job_seq = js.seq;
  s.attempt = std::max(1, run.attempt());
  s.max_attempts = 1 + js.job.spec().retries();
  s.timeout = absl::Seconds(js.job.spec().timeout_s());
  s.cooldown = absl::Seconds(js.job.spec().cooldown_s());
  int queue_s = js.job.spec().queue_timeout_s();
  s.queue_timeout = queue_s > 0 ? absl::Seconds(queue_s) : queue_timeout_;
  return s;
}

// ---------------- agents ----------------

absl::StatusOr<v1::HelloAck> Core::AgentHello(const std::string& agent_id, const v1::AgentHello& hello,
                                              std::shared_ptr<AgentChannel> channel) {
  absl::MutexLock lock(&mu_);
  AgentState& a = agents_[agent_id];
  if (a.channel != nullptr) {
    // The agent redialled while its old session is still registered (half-open after a
    // cut the server has not noticed yet). The identity is the certificate's, so this is
    // the same agent: the new session wins, and its hello's active_runs settle the runs.
    spdlog::warn("event=agent_session_replaced agent={}", agent_id);
    a.channel->Close(absl::StrCat("replaced by a newer session of agent ", agent_id));
    a.channel.reset();
  }
  int64_t now_ms = ToUnixMs(clock_->Now());
  a.channel = std::move(channel);
  a.info.set_agent_id(agent_id);
  a.info.set_hostname(hello.hostname());
  a.info.set_version(hello.version());
  a.info.set_connected(true);
  a.info.set_last_seen_unix_ms(now_ms);
  a.gone_at = absl::InfinitePast();  // back within its grace: the hello settles its runs

  // The hello replaces what we knew about this agent's phones.
  std::vector<std::string> mine;
  for (auto& [id, d] : AgentDevicesLocked(agent_id)) {
    if (d.info.agent_id() == agent_id) mine.push_back(id);
  }
  for (const auto& id : mine) {
    devices_[id].info.set_adb_state("gone");
  }
  for (const auto& info : hello.devices()) {
    DeviceState& d = devices_[absl::StrCat(agent_id, "/", info.serial())];
    d.info = info;
    d.info.set_agent_id(agent_id);
    d.info.set_device_id(absl::StrCat(agent_id, "/", info.serial()));
    d.last_seen_unix_ms = now_ms;
    CheckDuplicateLocked(d.info.device_id());
    if (auto st = store_->PutDevice({d.info, now_ms}); !st.ok()) {
      spdlog::error("event=store_failed what=device error={}", st.ToString());
    }
  }
  int count = 0;
  std::vector<std::string> agent_devices;
  for (auto& [id, d] : AgentDevicesLocked(agent_id)) {
    if (d.info.agent_id() == agent_id) {
      ++count;
      agent_devices.push_back(id);
      UpdateDeviceOnlineLocked(id);
    }
  }
  // Readers that subscribed while the agent was away: ask it to stream those phones.
  // (Lock order core -> hub is the only one; the hub calls back without its lock.)
  for (const auto& id : log_hub_->WithSubscribers(agent_devices)) {
    v1::CoordinatorMessage m;
    m.mutable_log_subscription()->set_serial(devices_[id].info.serial());
    m.mutable_log_subscription()->set_enable(true);
    a.channel->Send(m);
  }
  a.info.set_device_count(count);
  if (auto st = store_->PutAgent(a.info); !st.ok()) {
    spdlog::error("event=store_failed what=agent error={}", st.ToString());
  }

  // Runs leased to this agent's phones that it no longer holds were lost with it.
  absl::flat_hash_map<std::string, int> active;
  for (const auto& r : hello.active_runs()) active[r.run_id()] = r.attempt();
  std::vector<std::string> lost;
  for (auto& [id, d] : AgentDevicesLocked(agent_id)) {
    if (d.info.agent_id() != agent_id) continue;
    // An ended attempt the agent no longer holds has wound down: its phone is free.
    std::string held = scheduler_.HeldBy(id);
    if (!held.empty()) {
      auto h = active.find(held);
      if (h == active.end() || h->second != scheduler_.HeldAttempt(id)) {
        scheduler_.Release(id, held, scheduler_.HeldAttempt(id));
      }
    }
    std::string lease = scheduler_.LeaseOf(id);
    if (lease.empty()) continue;
    auto it = active.find(lease);
    if (it == active.end() || it->second != runs_[lease].attempt()) lost.push_back(lease);
  }
  // Attempts the agent still winds down that we ended already (e.g. cancelled before our
  // restart): their phones stay held until the agent reports them final.
  for (const auto& [run_id, attempt] : active) {
    auto r = runs_.find(run_id);
    if (r == runs_.end() || devices_[r->second.device_id()].info.agent_id() != agent_id) continue;
    if (!IsFinal(r->second.state()) && r->second.attempt() == attempt) continue;  // its lease
    if (scheduler_.HeldBy(r->second.device_id()).empty()) scheduler_.Hold(r->second.device_id(), run_id, attempt);
  }
  for (const auto& run_id : lost) {
    FailRunLocked(run_id, v1::ERROR_CLASS_DEVICE_LOST,
                  "the agent reconnected without this run (agent restarted?)", false);
  }
  spdlog::info("event=agent_connected agent={} host={} version={} devices={} active_runs={}", agent_id,
               hello.hostname(), hello.version(), hello.devices_size(), hello.active_runs_size());
  v1::HelloAck ack;
  ack.set_agent_id(agent_id);
  ack.set_version("benchlab-coordinator 0.1.0");
  // No scheduling here: the session sends the ack first, then calls Tick() to lease
  // the phones that just came online.
  return ack;
}

CoreStats Core::Stats() {
  CoreStats s;
  s.log_lines_dropped_total = static_cast<int64_t>(log_hub_->dropped_lines_total());
  absl::MutexLock lock(&mu_);
  for (const auto& [id, a] : agents_) s.agents_connected += a.channel != nullptr;
  for (const auto& [id, d] : devices_) {
    ++s.devices_total;
    if (scheduler_.DeviceOnline(id)) ++s.devices_online;
    if (!scheduler_.LeaseOf(id).empty() || !scheduler_.HeldBy(id).empty()) ++s.devices_busy;
  }
  for (const auto& [id, r] : runs_) ++s.runs_by_state[r.state()];
  s.events_applied_total = events_applied_;
  s.events_duplicate_total = events_duplicate_;
  s.runs_retried_total = runs_retried_;
  return s;
}

void Core::BeginShutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
}

void Core::AgentGone(const std::string& agent_id, AgentChannel* channel) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return;
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || it->second.channel.get() != channel) return;
  it->second.channel.reset();
  it->second.info.set_connected(false);
  it->second.info.set_last_seen_unix_ms(ToUnixMs(clock_->Now()));
  (void)store_->PutAgent(it->second.info);
  for (auto& [id, d] : AgentDevicesLocked(agent_id)) {
    if (d.info.agent_id() == agent_id) UpdateDeviceOnlineLocked(id);
  }
  if (agent_grace_ > absl::ZeroDuration()) {
    // A network blip should not cost the runs: they keep their leases until the agent
    // redials (its hello settles them) or the grace ends (Tick).
    it->second.gone_at = clock_->Now();
    spdlog::info("event=agent_disconnected agent={} grace_s={}", agent_id,
                 absl::ToDoubleSeconds(agent_grace_));
  } else {
    FailLeasesOfAgentLocked(agent_id, "the agent disconnected during the run");
  }
  ScheduleLocked();
}

void Core::set_agent_grace(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  agent_grace_ = grace;
}

void Core::set_queue_timeout(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  queue_timeout_ = timeout > absl::ZeroDuration() ? timeout : absl::InfiniteDuration();  // 0: no limit
}

void Core::FailLeasesOfAgentLocked(const std::string& agent_id, const std::string& why) {
  std::vector<std::string> lost;
  for (auto& [id, d] : AgentDevicesLocked(agent_id)) {
    if (d.info.agent_id() != agent_id) continue;
    // The agent is gone for good: no result of a winding-down attempt will come.
    std::string held = scheduler_.HeldBy(id);
    if (!held.empty()) scheduler_.Release(id, held, scheduler_.HeldAttempt(id));
    std::string lease = scheduler_.LeaseOf(id);
    if (!lease.empty()) lost.push_back(lease);
  }
  for (const auto& run_id : lost) FailRunLocked(run_id, v1::ERROR_CLASS_DEVICE_LOST, why, false);
  spdlog::info("event=agent_runs_lost agent={} runs_lost={}", agent_id, lost.size());
}

Core::DeviceRange Core::AgentDevicesLocked(const std::string& agent_id) {
  // '0' follows '/' in ASCII: [agent/, agent0) holds exactly the ids "agent/...".
  return {devices_.lower_bound(absl::StrCat(agent_id, "/")), devices_.lower_bound(absl::StrCat(agent_id, "0"))};
}

namespace {

// What identifies the physical phone across hosts: ro.serialno, else an adb serial that
// is not host-local (TCP "host:port" and emulator serials name different phones on
// different hosts); "" when nothing does.
std::string PhoneIdentity(const v1::DeviceInfo& d) {
  auto it = d.properties().find("ro.serialno");
  if (it != d.properties().end() && !it->second.empty()) return it->second;
  if (d.serial().empty() || absl::StrContains(d.serial(), ":") || absl::StartsWith(d.serial(), "emulator-")) {
    return "";
  }
  return d.serial();
}

}  // namespace

void Core::CheckDuplicateLocked(const std::string& device_id) {
  DeviceState& d = devices_[device_id];
  d.refused_reason.clear();
  const std::string identity = PhoneIdentity(d.info);
  // The index by identity keeps this O(copies of one phone), not O(phones in the lab).
  if (d.identity != identity) {
    if (!d.identity.empty()) {
      auto& ids = devices_by_identity_[d.identity];
      ids.erase(device_id);
      if (ids.empty()) devices_by_identity_.erase(d.identity);
    }
    d.identity = identity;
    if (!identity.empty()) devices_by_identity_[identity].insert(device_id);
  }
  if (identity.empty() || d.info.adb_state() == "gone") return;
  for (const std::string& id : devices_by_identity_[identity]) {
    if (id == device_id) continue;
    const DeviceState& other = devices_.at(id);
    if (other.info.agent_id() == d.info.agent_id() || !other.refused_reason.empty() ||
        other.info.adb_state() == "gone" || PhoneIdentity(other.info) != identity) {
      continue;
    }
    auto a = agents_.find(other.info.agent_id());
    if (a == agents_.end() || a->second.channel == nullptr) continue;  // its old host is away
    d.refused_reason = absl::StrCat("the same phone (serial ", identity, ") is already registered as ", id,
                                    "; two agents share one adb server or USB hub? Run one agent per adb server");
    spdlog::warn("event=device_refused device={} other={} reason=\"{}\"", device_id, id, d.refused_reason);
    return;
  }
}

void Core::UpdateDeviceOnlineLocked(const std::string& device_id) {
  const DeviceState& d = devices_[device_id];
  auto a = agents_.find(d.info.agent_id());
  bool online = a != agents_.end() && a->second.channel != nullptr && d.info.adb_state() == "device" &&
                d.refused_reason.empty();
  scheduler_.SetDeviceOnline(device_id, online);
}

void Core::DeviceUpdate(const std::string& agent_id, const v1::DeviceUpdate& update) {
  absl::MutexLock lock(&mu_);
  std::string id = absl::StrCat(agent_id, "/", update.device().serial());
  DeviceState& d = devices_[id];
  int64_t now_ms = ToUnixMs(clock_->Now());
  d.info = update.device();
  d.info.set_agent_id(agent_id);
  d.info.set_device_id(id);
  if (update.removed()) d.info.set_adb_state("gone");
  d.last_seen_unix_ms = now_ms;
  CheckDuplicateLocked(id);
  (void)store_->PutDevice({d.info, now_ms});
  UpdateDeviceOnlineLocked(id);
  std::string lease = scheduler_.LeaseOf(id);
  if (!lease.empty() && !scheduler_.DeviceOnline(id)) {
    FailRunLocked(lease, v1::ERROR_CLASS_DEVICE_LOST,
                  absl::StrCat("device ", id, " went ", d.info.adb_state(), " during the run"), true);
  }
  spdlog::info("event=device_update device={} adb_state={} removed={}", id, d.info.adb_state(),
               update.removed());
  ScheduleLocked();
}

absl::Status Core::RunEvent(const std::string& agent_id, const v1::RunEvent& ev) {
  absl::MutexLock lock(&mu_);
  if (ev.event_id().empty()) return absl::InvalidArgumentError("run event without event_id");
  auto it = runs_.find(ev.run_id());
  if (it == runs_.end()) {
    spdlog::warn("event=run_event_ignored agent={} run={} reason=unknown_run", agent_id, ev.run_id());
    return absl::OkStatus();
  }
  const v1::Run& cur = it->second;
  if (IsFinal(cur.state()) || ev.attempt() != cur.attempt() ||
      devices_[cur.device_id()].info.agent_id() != agent_id) {
    // The last word on an attempt we ended already (cancel, timeout, lost phone): it has
    // wound down, so its phone may take the next run.
    if (ev.has_result() && devices_[cur.device_id()].info.agent_id() == agent_id &&
        scheduler_.Release(cur.device_id(), ev.run_id(), ev.attempt())) {
      spdlog::info("event=phone_released device={} run={} attempt={} state={}", cur.device_id(), ev.run_id(),
                   ev.attempt(), v1::RunState_Name(ev.result().state()));
      ScheduleLocked();
      return absl::OkStatus();
    }
    spdlog::debug("event=run_event_stale agent={} run={} attempt={} current_attempt={}", agent_id,
                  ev.run_id(), ev.attempt(), cur.attempt());
    return absl::OkStatus();
  }
  v1::Run next = cur;
  int64_t now_ms = ev.time_unix_ms() > 0 ? ev.time_unix_ms() : ToUnixMs(clock_->Now());
  std::vector<std::string> lines;
  bool ended = false, retry = false;
  switch (ev.event_case()) {
    case v1::RunEvent::kState:
      // States only move forward; a replayed older state changes nothing.
      if (ev.state() > next.state() && ev.state() <= v1::RUN_STATE_RUNNING) StampState(&next, ev.state(), now_ms);
      break;
    case v1::RunEvent::kPartialMetrics:
      *next.mutable_metrics() = ev.partial_metrics();
      break;
    case v1::RunEvent::kRawLog:
      lines.assign(ev.raw_log().lines().begin(), ev.raw_log().lines().end());
      break;
    case v1::RunEvent::kResult: {
      const auto& res = ev.result();
      ended = true;
      if (res.state() == v1::RUN_STATE_DONE) {
        *next.mutable_metrics() = res.metrics();
        next.clear_error_class();
        next.clear_error_message();
        StampState(&next, v1::RUN_STATE_DONE, now_ms);
      } else {
        v1::ErrorClass ec = res.error_class() == v1::ERROR_CLASS_UNSPECIFIED ? v1::ERROR_CLASS_INTERNAL
                                                                             : res.error_class();
        next.set_error_class(ec);
        next.set_error_message(res.error_message());
        if (scheduler_.WouldEnd(next.run_id(), res.state() != v1::RUN_STATE_CANCELLED && IsRetryable(ec)) ==
            EndDecision::kRetry) {
          retry = true;
          next.set_attempt(next.attempt() + 1);
          next.clear_timings();
          StampState(&next, v1::RUN_STATE_QUEUED, now_ms);
        } else {
          StampState(&next, res.state() == v1::RUN_STATE_CANCELLED ? v1::RUN_STATE_CANCELLED
                                                                    : v1::RUN_STATE_FAILED, now_ms);
        }
      }
      break;
    }
    default:
      return absl::InvalidArgumentError("run event without an event");
  }
  auto applied = store_->ApplyEvent(agent_id, ev.event_id(), &next, lines);
  if (!applied.ok()) return applied.status();
  if (!*applied) {
    ++events_duplicate_;
    spdlog::debug("event=run_event_duplicate agent={} id={}", agent_id, ev.event_id());
    return absl::OkStatus();
  }
  ++events_applied_;
  if (retry) ++runs_retried_;
  if (ended) {
    EndDecision d = scheduler_.End(next.run_id(), retry);
    (void)d;
    spdlog::info("event=run_ended run={} device={} state={} error={} retry={}", next.run_id(),
                 next.device_id(), v1::RunState_Name(next.state()), v1::ErrorClass_Name(next.error_class()),
                 retry);
  }
  if (ev.event_case() == v1::RunEvent::kRawLog) {
    runs_[next.run_id()] = std::move(next);  // log lines only: nothing for watchers
  } else {
    runs_[next.run_id()] = next;  // stored already by ApplyEvent
    RunChangedLocked(next);
  }
  if (ended) ScheduleLocked();
  return absl::OkStatus();
}

void Core::AgentLogs(const std::string& agent_id, v1::LogBatch& batch) {
  std::string id = absl::StrCat(agent_id, "/", batch.device_id());
  batch.set_device_id(id);
  log_hub_->Publish(id, std::move(batch));
}

void Core::OnLogInterest(const std::string& device_id, bool enable, size_t phone_tail) {
  absl::MutexLock lock(&mu_);
  auto it = devices_.find(device_id);
  if (it == devices_.end()) return;
  v1::CoordinatorMessage m;
  m.mutable_log_subscription()->set_serial(it->second.info.serial());
  m.mutable_log_subscription()->set_enable(enable);
  m.mutable_log_subscription()->set_tail_lines(static_cast<int32_t>(phone_tail));
  SendToDeviceAgentLocked(device_id, m);
}

void Core::SendToDeviceAgentLocked(const std::string& device_id, const v1::CoordinatorMessage& m) {
  auto d = devices_.find(device_id);
  if (d == devices_.end()) return;
  auto a = agents_.find(d->second.info.agent_id());
  if (a != agents_.end() && a->second.channel) a->second.channel->Send(m);
}

// ---------------- runs ----------------

void Core::ScheduleLocked() {
  std::vector<Lease> leases = scheduler_.Assign();
  if (leases.empty()) return;
  int64_t now_ms = ToUnixMs(clock_->Now());
  // What an assignment carries from its job (artifacts, flags), built once per job.
  absl::flat_hash_map<std::string, v1::CoordinatorMessage> job_part;
  std::vector<v1::Run> assigned;
  std::vector<v1::CoordinatorMessage> messages;
  assigned.reserve(leases.size());
  messages.reserve(leases.size());
  for (const Lease& lease : leases) {
    v1::Run& run = runs_[lease.run_id];
    run.set_attempt(lease.attempt);
    StampState(&run, v1::RUN_STATE_ASSIGNED, now_ms);
    // [variants hook] One part per job and variant; the run's variant's model, APK, flags.
    auto [part, added] = job_part.try_emplace(absl::StrCat(run.job_id(), "#", run.variant()));
    if (added) {
      const v1::JobSpec spec = RunSpec(jobs_.at(run.job_id()).job.spec(), run.variant());
      auto* a = part->second.mutable_assign();
      a->set_job_id(run.job_id());
      auto model = store_->GetArtifact(spec.model_sha256());
      if (model.ok() && model->has_value()) *a->mutable_model() = **model;
      auto apk = store_->GetArtifact(spec.apk_sha256());
      if (apk.ok() && apk->has_value()) *a->mutable_apk() = **apk;
      *a->mutable_flags() = spec.flags();
      auto args = RenderFlags(spec.flags());  // validated at submit
      if (args.ok()) {
        for (auto& s : *args) a->add_args(s);
      }
      a->set_timeout_s(spec.timeout_s());
      a->set_cooldown_s(spec.cooldown_s());
    }
    v1::CoordinatorMessage& m = messages.emplace_back(part->second);
    auto* a = m.mutable_assign();
    a->set_run_id(run.run_id());
    a->set_attempt(run.attempt());
    a->set_serial(devices_[run.device_id()].info.serial());
    assigned.push_back(run);
  }
  // One transaction for the whole pass: each assignment is durable before it is sent,
  // without one disk sync per run (8,000 of them when a big job is submitted).
  if (auto st = store_->PutRuns(assigned); !st.ok()) {
    spdlog::error("event=store_failed what=runs count={} error={}", assigned.size(), st.ToString());
  }
  for (size_t i = 0; i < assigned.size(); ++i) {
    const v1::Run& run = assigned[i];
    RunChangedLocked(run);
    SendToDeviceAgentLocked(run.device_id(), messages[i]);
    spdlog::info("event=run_assigned run={} device={} attempt={}", run.run_id(), run.device_id(),
                 run.attempt());
  }
}

void Core::FailRunLocked(const std::string& run_id, v1::ErrorClass error, const std::string& message,
                         bool notify_agent) {
  auto it = runs_.find(run_id);
  if (it == runs_.end() || IsFinal(it->second.state())) return;
  v1::Run& run = it->second;
  if (notify_agent) {
    v1::CoordinatorMessage m;
    m.mutable_cancel()->set_run_id(run_id);
    m.mutable_cancel()->set_attempt(run.attempt());
    m.mutable_cancel()->set_reason(message);
    SendToDeviceAgentLocked(run.device_id(), m);
  }
  bool retryable = IsRetryable(error);
  EndDecision d = scheduler_.End(run_id, retryable, /*wound_down=*/!notify_agent);
  int64_t now_ms = ToUnixMs(clock_->Now());
  run.set_error_class(error);
  run.set_error_message(message);
  if (d == EndDecision::kRetry) {
    ++runs_retried_;
    run.set_attempt(run.attempt() + 1);
    run.clear_timings();
    StampState(&run, v1::RUN_STATE_QUEUED, now_ms);
  } else {
    StampState(&run, v1::RUN_STATE_FAILED, now_ms);
  }
  spdlog::info("event=run_failed run={} error={} retry={} message=\"{}\"", run_id, v1::ErrorClass_Name(error),
               d == EndDecision::kRetry, message);
  if (auto st = store_->PutRun(run); !st.ok()) {
    spdlog::error("event=store_failed what=run run={} error={}", run_id, st.ToString());
  }
  RunChangedLocked(run);
}

void Core::RunChangedLocked(const v1::Run& run) {
  // Callers store the run themselves (RunEvent atomically with its event id,
  // ScheduleLocked in one batch per pass).
  JobState& js = jobs_[run.job_id()];
  js.counts.Set(run.run_id(), run.state());
  ExtendUntilDecidedLocked(js, run);  // [variants hook] until_decided: more ABBA blocks
  if (!js.watchers.empty()) {
    v1::Job view = JobSummaryLocked(js);
    for (auto& w : js.watchers) w->RunChanged(view, run);
  }
  if (js.counts.all_final() && js.job.finished_unix_ms() == 0) {
    js.job.set_finished_unix_ms(ToUnixMs(clock_->Now()));
    (void)store_->PutJob(js.job);
    v1::Job view = JobSummaryLocked(js);
    for (auto& w : js.watchers) w->JobFinished(view);
    watchers_total_ -= js.watchers.size();
    js.watchers.clear();
    spdlog::info("event=job_finished job={} done={} failed={} cancelled={}", js.job.job_id(),
                 view.runs_done(), view.runs_failed(), view.runs_cancelled());
  }
}

v1::Job Core::JobViewLocked(const JobState& js) {
  v1::Job j = js.job;
  js.counts.Fill(&j);
  return j;
}

v1::Job Core::JobSummaryLocked(JobState& js) {
  // Swapped out and back (O(1)) rather than copied and cleared (O(devices)).
  google::protobuf::RepeatedPtrField<std::string> ids;
  ids.Swap(js.job.mutable_device_ids());
  v1::Job j = js.job;
  js.job.mutable_device_ids()->Swap(&ids);
  js.counts.Fill(&j);
  return j;
}

void Core::Tick() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  for (auto& [id, a] : agents_) {
    if (a.channel == nullptr && a.gone_at != absl::InfinitePast() && now - a.gone_at >= agent_grace_) {
      a.gone_at = absl::InfinitePast();
      FailLeasesOfAgentLocked(id, absl::StrCat("the agent disconnected during the run and did not come back within ",
                                               absl::FormatDuration(agent_grace_)));
    }
  }
  for (const auto& run_id : scheduler_.Expired()) {
    const v1::Run& r = runs_[run_id];
    FailRunLocked(run_id, v1::ERROR_CLASS_TIMED_OUT,
                  absl::StrCat("no result within the job's timeout of ", jobs_[r.job_id()].job.spec().timeout_s(),
                               " s"),
                  true);
  }
  for (const auto& run_id : scheduler_.QueueExpired()) {
    const v1::Run& r = runs_[run_id];
    FailRunLocked(run_id, v1::ERROR_CLASS_QUEUE_TIMED_OUT,
                  absl::StrCat("phone ", r.device_id(), " stayed offline longer than the job's queue timeout of ",
                               absl::FormatDuration(SchedRunLocked(r).queue_timeout),
                               " while this run waited; plug it back in (or check its agent) and resubmit"),
                  false);
  }
  ScheduleLocked();
}

// ---------------- Lab ----------------

std::vector<v1::Agent> Core::ListAgents() {
  absl::MutexLock lock(&mu_);
  // Counted now: phones come and go after the hello (device updates).
  std::map<std::string, int> phones;
  for (const auto& [id, d] : devices_) {
    if (d.info.adb_state() != "gone") ++phones[d.info.agent_id()];
  }
  std::vector<v1::Agent> out;
  for (const auto& [id, a] : agents_) {
    out.push_back(a.info);
    out.back().set_device_count(phones[id]);
  }
  return out;
}

std::vector<v1::Device> Core::ListDevices(const v1::ListDevicesRequest& req) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Device> out;
  size_t max_queue = req.max_queue() > 0 ? req.max_queue() : 20;
  for (const auto& [id, d] : devices_) {
    if (req.agents_size() > 0 &&
        std::find(req.agents().begin(), req.agents().end(), d.info.agent_id()) == req.agents().end()) {
      continue;
    }
    if (!PropertiesMatch(d.info, req.properties())) continue;
    v1::Device dev;
    *dev.mutable_info() = d.info;
    std::string lease = scheduler_.LeaseOf(id);
    if (lease.empty()) lease = scheduler_.HeldBy(id);  // an ended run still winding down
    dev.set_state(!scheduler_.DeviceOnline(id) ? v1::DEVICE_STATE_OFFLINE
                  : lease.empty()              ? v1::DEVICE_STATE_IDLE
                                               : v1::DEVICE_STATE_BUSY);
    dev.set_current_run_id(lease);
    size_t total = 0;
    for (auto& q : scheduler_.QueuedFor(id, max_queue, &total)) dev.add_queued_run_ids(q);
    dev.set_queue_length(static_cast<int>(total));
    dev.set_last_seen_unix_ms(d.last_seen_unix_ms);
    dev.set_refused_reason(d.refused_reason);
    if (req.states_size() > 0 &&
        std::find(req.states().begin(), req.states().end(), dev.state()) == req.states().end()) {
      continue;
    }
    out.push_back(std::move(dev));
  }
  return out;
}

absl::StatusOr<v1::ArtifactRef> Core::GetArtifact(const std::string& sha256) {
  auto a = store_->GetArtifact(sha256);
  if (!a.ok()) return a.status();
  // Both the record and the bytes: a file lost from disk must be uploaded again.
  if (!a->has_value() || !artifacts_->Has(sha256)) {
    return absl::NotFoundError(absl::StrCat("artifact ", sha256, " is not on the coordinator"));
  }
  return **a;
}

absl::StatusOr<v1::UploadArtifactResponse> Core::RecordArtifact(const v1::ArtifactRef& artifact,
                                                                bool deduplicated) {
  auto existing = store_->GetArtifact(artifact.sha256());
  if (!existing.ok()) return existing.status();
  v1::UploadArtifactResponse resp;
  if (existing->has_value()) {
    *resp.mutable_artifact() = **existing;
    resp.set_deduplicated(true);
    return resp;
  }
  if (auto st = store_->PutArtifact(artifact); !st.ok()) return st;
  *resp.mutable_artifact() = artifact;
  resp.set_deduplicated(deduplicated);
  return resp;
}

std::vector<std::string> Core::SelectLocked(const v1::DeviceSelector& sel) {
  std::vector<std::string> out;
  for (const auto& [id, d] : devices_) {
    if (sel.devices_size() > 0) {
      bool hit = false;
      for (const auto& want : sel.devices()) hit |= (want == id || want == d.info.serial());
      if (!hit) continue;
    }
    if (sel.agents_size() > 0 &&
        std::find(sel.agents().begin(), sel.agents().end(), d.info.agent_id()) == sel.agents().end()) {
      continue;
    }
    if (!PropertiesMatch(d.info, sel.properties())) continue;
    if (d.info.adb_state() == "gone" && sel.devices_size() == 0) continue;
    if (sel.skip_offline() && !scheduler_.DeviceOnline(id)) continue;
    out.push_back(id);
  }
  return out;
}

absl::StatusOr<v1::Job> Core::SubmitJob(const v1::SubmitJobRequest& req, const std::string& submitter,
                                        google::protobuf::RepeatedPtrField<std::string>* offline_devices) {
  v1::JobSpec spec = req.spec();
  if (spec.repeats() == 0) spec.set_repeats(1);
  if (spec.timeout_s() == 0) spec.set_timeout_s(600);
  if (spec.repeats() < 0 || spec.repeats() > 1000) return absl::InvalidArgumentError("repeats must be 1..1000");
  if (spec.timeout_s() < 0 || spec.timeout_s() > 86400) return absl::InvalidArgumentError("timeout_s must be 1..86400");
  if (spec.retries() < 0 || spec.retries() > 10) return absl::InvalidArgumentError("retries must be 0..10");
  if (spec.cooldown_s() < 0 || spec.cooldown_s() > 3600) return absl::InvalidArgumentError("cooldown_s must be 0..3600");
  if (spec.priority() < -100 || spec.priority() > 100) return absl::InvalidArgumentError("priority must be -100..100");
  if (spec.queue_timeout_s() < 0 || spec.queue_timeout_s() > 7 * 86400) {
    return absl::InvalidArgumentError("queue_timeout_s must be 0 (the lab's default)..604800");
  }
  if (auto args = RenderFlags(spec.flags()); !args.ok()) return args.status();
  if (auto st = NormalizeVariants(&spec, store_); !st.ok()) return st;  // [variants hook] A/B jobs
  for (const auto& [sha, kind] : {std::pair{spec.model_sha256(), v1::ARTIFACT_KIND_MODEL},
                                  std::pair{spec.apk_sha256(), v1::ARTIFACT_KIND_APK}}) {
    auto a = store_->GetArtifact(sha);
    if (!a.ok()) return a.status();
    if (!a->has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          v1::ArtifactKind_Name(kind), " ", sha.empty() ? "(none given)" : sha,
          " is not on the coordinator; upload it first (UploadArtifact)"));
    }
  }
  const auto& sel = spec.selector();
  if (!sel.all() && sel.devices_size() == 0 && sel.agents_size() == 0 && sel.properties_size() == 0) {
    return absl::InvalidArgumentError("the device selector is empty; name devices, agents, properties or set all");
  }
  absl::MutexLock lock(&mu_);
  if (!req.request_id().empty()) {
    auto it = request_ids_.find(req.request_id());
    if (it != request_ids_.end()) return JobViewLocked(jobs_[it->second]);
  }
  std::vector<std::string> devices = SelectLocked(sel);
  if (devices.empty()) {
    v1::DeviceSelector any = sel;
    any.set_skip_offline(false);
    if (sel.skip_offline() && !SelectLocked(any).empty()) {
      return absl::FailedPreconditionError(
          "the device selector matches no online device, only offline ones (see ListDevices; include offline "
          "phones to queue runs until they come back)");
    }
    return absl::FailedPreconditionError("the device selector matches no known device (see ListDevices)");
  }
  // The wait for an offline phone in force now is the job's.
  if (spec.queue_timeout_s() == 0 && queue_timeout_ != absl::InfiniteDuration()) {
    spec.set_queue_timeout_s(static_cast<int32_t>(absl::ToInt64Seconds(queue_timeout_)));
  }
  int64_t seq = next_job_seq_++;
  int64_t now_ms = ToUnixMs(clock_->Now());
  StoredJob stored;
  stored.seq = seq;
  stored.request_id = req.request_id();
  v1::Job& job = stored.job;
  job.set_job_id(absl::StrFormat("j%06d", seq));
  *job.mutable_spec() = spec;
  job.set_submitted_by(submitter);
  job.set_created_unix_ms(now_ms);
  for (const auto& d : devices) {
    job.add_device_ids(d);
    if (offline_devices != nullptr && !scheduler_.DeviceOnline(d)) offline_devices->Add(std::string(d));
  }
  std::vector<v1::Run> runs;
  for (size_t di = 0; di < devices.size(); ++di) {
    for (int rep = 0; rep < RunsPerPhone(spec); ++rep) {  // [variants hook] 2x in A/B jobs
      v1::Run& r = runs.emplace_back();
      r.set_run_id(absl::StrFormat("%s.%d.%d", job.job_id(), di, rep));
      r.set_job_id(job.job_id());
      r.set_device_id(devices[di]);
      r.set_repeat(rep);
      r.set_variant(VariantAt(spec, rep));  // [variants hook] ABBA order
      r.set_attempt(1);
      StampState(&r, v1::RUN_STATE_QUEUED, now_ms);
    }
  }
  if (auto st = store_->CreateJob(stored, runs); !st.ok()) return st;
  JobState& js = jobs_[job.job_id()];
  js.job = job;
  js.seq = seq;
  if (!req.request_id().empty()) request_ids_[req.request_id()] = job.job_id();
  // Runs are enqueued repeat-major so that one device's repeats interleave with other jobs.
  for (auto& r : runs) {
    js.run_ids.push_back(r.run_id());
    js.counts.Set(r.run_id(), r.state());
    runs_[r.run_id()] = r;
    scheduler_.Enqueue(SchedRunLocked(r));
  }
  spdlog::info("event=job_submitted job={} by={} devices={} runs={}", job.job_id(), submitter,
               devices.size(), runs.size());
  ScheduleLocked();
  return JobViewLocked(js);
}

absl::StatusOr<v1::GetJobResponse> Core::GetJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  v1::GetJobResponse resp;
  *resp.mutable_job() = JobViewLocked(it->second);
  for (const auto& id : it->second.run_ids) *resp.add_runs() = runs_[id];
  return resp;
}

absl::StatusOr<v1::ListJobsResponse> Core::ListJobs(const v1::ListJobsRequest& req) {
  absl::MutexLock lock(&mu_);
  int page = req.page_size() <= 0 ? 50 : std::min(req.page_size(), 500);
  // Token: the job id to continue before (jobs are listed newest first; ids sort by age).
  v1::ListJobsResponse resp;
  auto it = req.page_token().empty() ? jobs_.end() : jobs_.lower_bound(req.page_token());
  while (it != jobs_.begin()) {
    --it;
    if (req.active_only() && it->second.job.finished_unix_ms() != 0) continue;
    if (resp.jobs_size() == page) {
      resp.set_next_page_token(std::next(it)->first);
      break;
    }
    *resp.add_jobs() = JobViewLocked(it->second);
  }
  // The token names the last listed job; listing continues with older ones.
  if (!resp.next_page_token().empty()) resp.set_next_page_token(resp.jobs(resp.jobs_size() - 1).job_id());
  return resp;
}

absl::StatusOr<v1::Job> Core::CancelJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  JobState& js = it->second;
  if (js.job.finished_unix_ms() != 0) {
    v1::Job view = JobViewLocked(js);
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job_id, " already finished (", view.runs_done(), " done, ", view.runs_failed(),
                     " failed, ", view.runs_cancelled(), " cancelled); nothing to cancel"));
  }
  js.job.set_cancelled(true);
  (void)store_->PutJob(js.job);
  int64_t now_ms = ToUnixMs(clock_->Now());
  for (const auto& id : std::vector<std::string>(js.run_ids)) {
    v1::Run& run = runs_[id];
    if (IsFinal(run.state())) continue;
    if (scheduler_.Remove(id)) {
      v1::CoordinatorMessage m;
      m.mutable_cancel()->set_run_id(id);
      m.mutable_cancel()->set_attempt(run.attempt());
      m.mutable_cancel()->set_reason("job cancelled");
      SendToDeviceAgentLocked(run.device_id(), m);
    }
    StampState(&run, v1::RUN_STATE_CANCELLED, now_ms);
    (void)store_->PutRun(run);
    RunChangedLocked(run);
  }
  spdlog::info("event=job_cancelled job={}", job_id);
  v1::Job view = JobViewLocked(js);
  ScheduleLocked();
  return view;
}

absl::StatusOr<v1::GetResultsResponse> Core::GetResults(const v1::GetResultsRequest& req) {
  auto job = GetJob(req.job_id());
  if (!job.ok()) return job.status();
  v1::GetResultsResponse resp;
  *resp.mutable_job() = job->job();
  std::map<std::string, std::vector<const v1::BenchmarkMetrics*>> by_device;
  std::map<std::string, std::pair<int, int>> counts;
  for (auto& r : *job->mutable_runs()) {
    if (req.include_raw_log()) {
      auto lines = store_->RawLog(r.run_id());
      if (lines.ok()) {
        for (auto& l : *lines) r.add_raw_log(std::move(l));
      }
    }
    *resp.add_runs() = r;
  }
  for (const auto& r : resp.runs()) {
    if (r.state() == v1::RUN_STATE_DONE) {
      by_device[r.device_id()].push_back(&r.metrics());
      ++counts[r.device_id()].first;
    } else if (r.state() == v1::RUN_STATE_FAILED) {
      ++counts[r.device_id()].second;
    }
  }
  absl::MutexLock lock(&mu_);
  for (const auto& device_id : resp.job().device_ids()) {
    v1::DeviceResults* d = resp.add_devices();
    d->set_device_id(device_id);
    *d->mutable_device() = devices_[device_id].info;
    d->set_runs_done(counts[device_id].first);
    d->set_runs_failed(counts[device_id].second);
    for (auto& a : AggregateRuns(by_device[device_id])) *d->add_aggregates() = std::move(a);
  }
  return resp;
}

absl::StatusOr<v1::CompareJobsResponse> Core::CompareJobs(const v1::CompareJobsRequest& req) {
  if (auto metrics = CompareMetrics(req); !metrics.ok()) return metrics.status();
  if (!req.variant_job_id().empty()) {  // [variants hook] B vs A of one job
    v1::GetResultsRequest r;
    r.set_job_id(req.variant_job_id());
    auto results = GetResults(r);
    if (!results.ok()) return results.status();
    return CompareVariants(*results, req);
  }
  v1::GetResultsRequest rb, rc;
  rb.set_job_id(req.baseline_job_id());
  rc.set_job_id(req.candidate_job_id());
  auto base = GetResults(rb);
  if (!base.ok()) return base.status();
  auto cand = GetResults(rc);
  if (!cand.ok()) return cand.status();
  return CompareResults(*base, *cand, req);  // coordinator/verdicts.h
}

absl::StatusOr<v1::WatchJobResponse> Core::Watch(const std::string& job_id, std::shared_ptr<JobWatcher> w) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  v1::WatchJobResponse snap;
  *snap.mutable_job() = JobViewLocked(it->second);
  for (const auto& id : it->second.run_ids) *snap.add_runs() = runs_[id];
  if (it->second.job.finished_unix_ms() == 0) {
    if (watchers_total_ >= kMaxWatchers) {
      return absl::ResourceExhaustedError("too many WatchJob streams open; try again later");
    }
    ++watchers_total_;
    it->second.watchers.push_back(std::move(w));
  }
  return snap;
}

void Core::Unwatch(const std::string& job_id, JobWatcher* w) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  auto& ws = it->second.watchers;
  auto gone = std::remove_if(ws.begin(), ws.end(), [w](const auto& p) { return p.get() == w; });
  watchers_total_ -= std::distance(gone, ws.end());
  ws.erase(gone, ws.end());
}

absl::Status Core::CheckDevice(const std::string& device_id) {
  absl::MutexLock lock(&mu_);
  if (!devices_.contains(device_id)) {
    return absl::NotFoundError(absl::StrCat("device ", device_id, " not known; see ListDevices"));
  }
  return absl::OkStatus();
}

}  // namespace benchlab::coordinator
