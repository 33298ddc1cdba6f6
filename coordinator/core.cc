// Core: the inventory, the run ledger and the store, coordinated; see core.h.
#include "coordinator/core.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "coordinator/verdicts.h"
#include "common/flags/benchmark_flags.h"
#include "common/flags/cpu_set.h"
#include "common/flags/tool_files.h"
#include "common/flags/tool_flag_table.h"
#include "common/flags/tool_kind.h"
#include "common/version.h"
#include "coordinator/aggregation.h"
#include "coordinator/input_limits.h"
#include "coordinator/job_queries.h"
#include "coordinator/op_aggregation.h"
#include "coordinator/variants.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

Core::Core(Store* store, ArtifactStore* artifacts, Clock* clock)
    : store_(store), artifacts_(artifacts), clock_(clock), ledger_(clock) {
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
  absl::MutexLock commit(&commit_mu_);
  // Everything is read first, then built under the lock.
  auto agents = store()->ListAgents();
  if (!agents.ok()) return agents.status();
  auto devices = store()->ListDevices();
  if (!devices.ok()) return devices.status();
  auto jobs = store()->LoadJobs();
  if (!jobs.ok()) return jobs.status();
  auto runs = store()->LoadRuns();
  if (!runs.ok()) return runs.status();
  auto care = store()->ListDeviceCare();
  if (!care.ok()) return care.status();
  // What assignments carry, resolved once per artifact.
  absl::flat_hash_map<std::string, v1::ArtifactRef> artifacts;
  for (const auto& j : *jobs) {
    for (const std::string& sha : ArtifactsOfSpec(j.job.spec())) {
      if (artifacts.contains(sha)) continue;
      auto a = store()->GetArtifact(sha);
      if (!a.ok()) return a.status();
      artifacts[sha] = a->value_or(v1::ArtifactRef());
    }
  }
  std::vector<v1::Job> restamped;
  {
    absl::MutexLock lock(&mu_);
    for (auto& a : *agents) inventory_.Load(std::move(a));
    for (const auto& d : *devices) {
      inventory_.Load(d);
      ledger_.SetDeviceOnline(d.info.device_id(), false);
    }
    // Drained phones and those in maintenance stay so across restarts (device_care.cc).
    for (const auto& c : *care) {
      if (inventory_.SetCare(c)) ledger_.SetDevicePaused(c.device_id, true);
    }
    for (const auto& j : *jobs) {
      VariantArtifacts variant_artifacts;
      for (const auto& v : j.job.spec().variants()) {
        variant_artifacts.models.push_back(artifacts[v.model_sha256()]);
        variant_artifacts.apks.push_back(v.apk_sha256().empty() ? v1::ArtifactRef() : artifacts[v.apk_sha256()]);
      }
      ledger_.LoadJob(j, artifacts[j.job.spec().model_sha256()], artifacts[ToolArtifactSha(j.job.spec())],
                      variant_artifacts);
    }
    int resumed = 0;
    for (const auto& r : *runs) ledger_.LoadRun(r, &resumed);
    for (const auto& id : ledger_.StampFinishedAfterLoad()) restamped.push_back(ledger_.FindJob(id)->job);
    spdlog::info("event=store_loaded agents={} devices={} jobs={} runs={} in_flight={}", inventory_.agents().size(),
                 inventory_.devices().size(), ledger_.jobs().size(), ledger_.runs().size(), resumed);
  }
  StoreFinishedJobs(restamped);
  return absl::OkStatus();
}

// ---------------- commit steps ----------------

absl::Status Core::StoreRuns(const std::vector<RunChange>& changes) {
  std::vector<v1::Run> runs;
  runs.reserve(changes.size());
  for (const auto& c : changes) runs.push_back(c.run);
  // One transaction for the whole batch: each change is durable before it is sent,
  // without one disk sync per run (8,000 of them when a big job is assigned).
  absl::Status st = runs.size() == 1 ? store()->PutRun(runs[0]) : store()->PutRuns(runs);
  if (!st.ok()) spdlog::error("event=store_failed what=runs count={} error={}", runs.size(), st.ToString());
  return st;
}

void Core::StoreFinishedJobs(const std::vector<v1::Job>& jobs) {
  for (const auto& job : jobs) {
    if (auto st = store()->PutJob(job); !st.ok()) {
      spdlog::error("event=store_failed what=job job={} error={}", job.job_id(), st.ToString());
    }
  }
}

absl::Status Core::CommitRuns(const std::vector<RunChange>& changes) {
  if (changes.empty()) return absl::OkStatus();
  if (auto st = StoreRuns(changes); !st.ok()) return st;
  std::vector<v1::Job> finished;
  {
    absl::MutexLock lock(&mu_);
    finished = ApplyLocked(changes);
  }
  StoreFinishedJobs(finished);
  return absl::OkStatus();
}

std::vector<v1::Job> Core::ApplyLocked(const std::vector<RunChange>& changes) {
  if (!changes.empty()) lab_changes_.Bump();  // readers wait for mu_, then see them
  LedgerEffects fx = ledger_.Apply(changes);
  runs_retried_ += fx.retried;
  for (const auto& c : changes) {
    if (c.kind == RunChange::Kind::kFailed) {
      spdlog::info("event=run_failed run={} error={} retry={} message=\"{}\"", c.run.run_id(),
                   v1::ErrorClass_Name(c.run.error_class()), c.retry, c.reason);
    }
    ObserveLocked(c);
  }
  for (const auto& cmd : fx.cancels) SendToDeviceAgentLocked(cmd.device_id, cmd.message);
  // One job summary per job and pass: watchers see the counters after the pass.
  absl::flat_hash_map<std::string, v1::Job> summaries;
  for (const auto& run_id : fx.published) {
    const v1::Run& run = *ledger_.FindRun(run_id);
    auto w = watchers_.find(run.job_id());
    if (w == watchers_.end() || w->second.empty()) continue;
    auto [s, added] = summaries.try_emplace(run.job_id());
    if (added) s->second = ledger_.JobSummary(run.job_id());
    for (auto& watcher : w->second) watcher->RunChanged(s->second, run);
  }
  return FinishJobsLocked(fx.finished_jobs);
}

std::vector<v1::Job> Core::FinishJobsLocked(const std::vector<std::string>& job_ids) {
  std::vector<v1::Job> finished;
  for (const auto& job_id : job_ids) {
    v1::Job view = ledger_.JobSummary(job_id);
    if (auto w = watchers_.find(job_id); w != watchers_.end()) {
      for (auto& watcher : w->second) watcher->JobFinished(view);
      watchers_total_ -= w->second.size();
      watchers_.erase(w);
    }
    spdlog::info("event=job_finished job={} done={} failed={} cancelled={}", job_id, view.runs_done(),
                 view.runs_failed(), view.runs_cancelled());
    finished.push_back(ledger_.FindJob(job_id)->job);
  }
  return finished;
}

void Core::Schedule() {
  // until_decided blocks planned when a phone's last run of their job ended (ledger
  // Apply) are stored, then added, before phones are leased; after a failed write they
  // stay pending (their job open) and the next pass (Tick) tries again.
  std::vector<RunChange> added;
  {
    absl::MutexLock lock(&mu_);
    added = ledger_.PlanExtensions();
  }
  (void)CommitRuns(added);
  std::vector<RunChange> assigned;
  {
    absl::MutexLock lock(&mu_);
    assigned = ledger_.PlanAssign();
  }
  if (assigned.empty()) return;
  absl::Status st = StoreRuns(assigned);
  absl::MutexLock lock(&mu_);
  if (!st.ok()) {
    ledger_.UndoAssign(assigned);  // queued again, as on disk; the next pass tries again
    return;
  }
  (void)ApplyLocked(assigned);  // an assignment finishes no job
  // What an assignment carries from its job (artifacts, flags), built once per job and
  // variant: a variant job's run gets its variant's model, APK and flags.
  absl::flat_hash_map<std::string, v1::CoordinatorMessage> job_part;
  for (const RunChange& c : assigned) {
    const v1::Run& run = c.run;
    auto [part, new_part] = job_part.try_emplace(absl::StrCat(run.job_id(), "#", run.variant()));
    if (new_part) {
      const LedgerJob& js = *ledger_.FindJob(run.job_id());
      const v1::JobSpec spec = RunSpec(js.job.spec(), run.variant());
      const size_t v = static_cast<size_t>(run.variant());
      const VariantArtifacts& va = js.variant_artifacts;
      const v1::ArtifactRef& model = v < va.models.size() && !va.models[v].sha256().empty() ? va.models[v] : js.model;
      const v1::ArtifactRef& apk = v < va.apks.size() && !va.apks[v].sha256().empty() ? va.apks[v] : js.apk;
      auto* a = part->second.mutable_assign();
      a->set_job_id(run.job_id());
      if (!model.sha256().empty()) *a->mutable_model() = model;
      // The tool's artifact: the APK, or a native binary (issue 11).
      if (IsNativeTool(spec.tool())) {
        a->set_tool(spec.tool());
        if (!apk.sha256().empty()) *a->mutable_binary() = apk;
      } else if (!apk.sha256().empty()) {
        *a->mutable_apk() = apk;
      }
      *a->mutable_flags() = spec.flags();
      *a->mutable_tool_files() = spec.tool_files();  // artifacts resolved at submit
      auto args = RenderFlags(spec.flags());  // validated at submit
      if (args.ok()) {
        for (auto& s : *args) a->add_args(s);
      }
      a->set_timeout_s(spec.timeout_s());
      a->set_cooldown_s(spec.cooldown_s());
      a->set_cpus(spec.cpus());  // resolved per phone by its agent
      // Results as a file (issue 11): on unless the job turned it off.
      a->set_result_file(!spec.has_result_file() || spec.result_file());
    }
    v1::CoordinatorMessage m = part->second;
    auto* a = m.mutable_assign();
    a->set_run_id(run.run_id());
    a->set_attempt(run.attempt());
    const Inventory::Device* d = inventory_.FindDevice(run.device_id());
    a->set_serial(d == nullptr ? "" : d->info.serial());
    SendToDeviceAgentLocked(run.device_id(), m);
    spdlog::info("event=run_assigned run={} device={} attempt={}", run.run_id(), run.device_id(), run.attempt());
  }
}

// ---------------- agents ----------------

absl::StatusOr<v1::HelloAck> Core::AgentHello(const std::string& agent_id, const v1::AgentHello& hello,
                                              std::shared_ptr<AgentChannel> channel) {
  absl::MutexLock commit(&commit_mu_);
  ChangeSignal::BumpOnExit bump(&lab_changes_);
  const int64_t now_ms = ToUnixMs(clock_->Now());
  // The rows this hello stores: its phones and the agent (counting its phones after it).
  std::vector<StoredDevice> device_rows;
  for (const auto& info : hello.devices()) {
    StoredDevice& row = device_rows.emplace_back();
    row.info = info;
    row.info.set_agent_id(agent_id);
    row.info.set_device_id(Inventory::DeviceId(agent_id, info.serial()));
    row.last_seen_unix_ms = now_ms;
  }
  v1::Agent agent_row;
  {
    absl::MutexLock lock(&mu_);
    absl::flat_hash_set<std::string> phones;
    for (auto& [id, d] : inventory_.AgentDevices(agent_id)) {
      if (d.info.agent_id() == agent_id) phones.insert(id);
    }
    for (const auto& row : device_rows) phones.insert(row.info.device_id());
    if (const Inventory::Agent* a = inventory_.FindAgent(agent_id)) agent_row = a->info;
    agent_row.set_agent_id(agent_id);
    agent_row.set_hostname(hello.hostname());
    agent_row.set_version(hello.version());
    agent_row.set_connected(true);
    agent_row.set_last_seen_unix_ms(now_ms);
    agent_row.set_device_count(static_cast<int>(phones.size()));
  }
  // A hello that cannot be stored is refused: the agent redials and says it again.
  for (const auto& row : device_rows) {
    if (auto st = store()->PutDevice(row); !st.ok()) {
      spdlog::error("event=store_failed what=device device={} error={}", row.info.device_id(), st.ToString());
      return st;
    }
  }
  if (auto st = store()->PutAgent(agent_row); !st.ok()) {
    spdlog::error("event=store_failed what=agent agent={} error={}", agent_id, st.ToString());
    return st;
  }

  std::vector<RunChange> lost_changes;
  {
    absl::MutexLock lock(&mu_);
    Inventory::Agent& a = inventory_.agents()[agent_id];
    if (a.channel != nullptr) {
      // The agent redialled while its old session is still registered (half-open after a
      // cut the server has not noticed yet). The identity is the certificate's, so this is
      // the same agent: the new session wins, and its hello's active_runs settle the runs.
      spdlog::warn("event=agent_session_replaced agent={}", agent_id);
      a.channel->Close(absl::StrCat("replaced by a newer session of agent ", agent_id));
      a.channel.reset();
    }
    a.channel = std::move(channel);
    a.info = agent_row;
    a.gone_at = absl::InfinitePast();  // back within its grace: the hello settles its runs
    // The hello replaces what we knew about this agent's phones.
    inventory_.MarkAgentDevicesGone(agent_id);
    for (const auto& info : hello.devices()) inventory_.Report(agent_id, info, false, now_ms);
    std::vector<std::string> agent_devices;
    for (auto& [id, d] : inventory_.AgentDevices(agent_id)) {
      if (d.info.agent_id() == agent_id) {
        agent_devices.push_back(id);
        UpdateDeviceOnlineLocked(id);
      }
    }
    // Readers that subscribed while the agent was away: ask it to stream those phones.
    // (Lock order core -> hub is the only one; the hub calls back without its lock.)
    for (const auto& id : log_hub_->WithSubscribers(agent_devices)) {
      v1::CoordinatorMessage m;
      m.mutable_log_subscription()->set_serial(inventory_.FindDevice(id)->info.serial());
      m.mutable_log_subscription()->set_enable(true);
      a.channel->Send(m);
    }

    // Runs leased to this agent's phones that it no longer holds were lost with it.
    absl::flat_hash_map<std::string, int> active;
    for (const auto& r : hello.active_runs()) active[r.run_id()] = r.attempt();
    const Scheduler& sched = ledger_.scheduler();
    std::vector<std::string> lost;
    for (const auto& id : agent_devices) {
      // An ended attempt the agent no longer holds has wound down: its phone is free.
      std::string held = sched.HeldBy(id);
      if (!held.empty()) {
        auto h = active.find(held);
        if (h == active.end() || h->second != sched.HeldAttempt(id)) ledger_.Release(id, held, sched.HeldAttempt(id));
      }
      std::string lease = sched.LeaseOf(id);
      if (lease.empty()) continue;
      auto it = active.find(lease);
      if (it == active.end() || it->second != ledger_.FindRun(lease)->attempt()) lost.push_back(lease);
    }
    // Attempts the agent still winds down that we ended already (e.g. cancelled before our
    // restart): their phones stay held until the agent reports them final.
    for (const auto& [run_id, attempt] : active) {
      const v1::Run* r = ledger_.FindRun(run_id);
      if (r == nullptr || inventory_.AgentOf(r->device_id()) != agent_id) continue;
      if (!IsFinal(r->state()) && r->attempt() == attempt) continue;  // its lease
      if (sched.HeldBy(r->device_id()).empty()) ledger_.Hold(r->device_id(), run_id, attempt);
    }
    for (const auto& run_id : lost) {
      auto c = ledger_.PlanFail(run_id, v1::ERROR_CLASS_DEVICE_LOST,
                                "the agent reconnected without this run (agent restarted?)", false);
      if (c) lost_changes.push_back(std::move(*c));
    }
  }
  // Not applied when it cannot be stored: the runs keep their leases until their deadline.
  (void)CommitRuns(lost_changes);
  spdlog::info("event=agent_connected agent={} host={} version={} devices={} active_runs={}", agent_id,
               hello.hostname(), hello.version(), hello.devices_size(), hello.active_runs_size());
  v1::HelloAck ack;
  ack.set_agent_id(agent_id);
  ack.set_version(absl::StrCat("benchlab-coordinator ", kVersion));
  // No scheduling here: the session sends the ack first, then calls Tick() to lease
  // the phones that just came online.
  return ack;
}

CoreStats Core::Stats() {
  CoreStats s;
  s.log_lines_dropped_total = static_cast<int64_t>(log_hub_->dropped_lines_total());
  absl::MutexLock lock(&mu_);
  s.agents_connected = inventory_.connected_agents();
  const Scheduler& sched = ledger_.scheduler();
  for (const auto& [id, d] : inventory_.devices()) {
    ++s.devices_total;
    if (sched.DeviceOnline(id)) ++s.devices_online;
    if (!sched.LeaseOf(id).empty() || !sched.HeldBy(id).empty()) ++s.devices_busy;
  }
  for (const auto& [id, r] : ledger_.runs()) ++s.runs_by_state[r.state()];
  s.events_applied_total = events_applied_;
  s.events_duplicate_total = events_duplicate_;
  s.runs_retried_total = runs_retried_;
  s.artifacts_deleted_total = artifacts_deleted_;
  s.artifact_bytes_deleted_total = artifact_bytes_deleted_;
  for (const auto& [id, a] : inventory_.agents()) s.agents[id].connected = a.channel != nullptr;
  for (const v1::Device& d : ListDevicesView(inventory_, sched, {})) {
    s.devices[d.info().device_id()] = {d.info().agent_id(), d.state()};
    ++s.agents[d.info().agent_id()].devices;
  }
  s.failures = failures_;
  s.queue_wait_seconds = queue_wait_seconds_.Snapshot();
  s.run_duration_seconds = run_duration_seconds_.Snapshot();
  return s;
}

void Core::ObserveLocked(const RunChange& c) {
  const v1::RunTimings& t = c.run.timings();
  switch (c.kind) {
    case RunChange::Kind::kAssigned:
      if (t.queued_unix_ms() > 0 && t.assigned_unix_ms() >= t.queued_unix_ms()) {
        queue_wait_seconds_.Observe((t.assigned_unix_ms() - t.queued_unix_ms()) / 1000.0);
      }
      break;
    case RunChange::Kind::kEnded:
    case RunChange::Kind::kFailed:
      if (c.run.state() != v1::RUN_STATE_CANCELLED && c.run.error_class() != v1::ERROR_CLASS_UNSPECIFIED) {
        ++failures_[{c.run.error_class(), c.retry}];
      }
      if ((c.run.state() == v1::RUN_STATE_DONE || c.run.state() == v1::RUN_STATE_FAILED) &&
          t.assigned_unix_ms() > 0 && t.finished_unix_ms() >= t.assigned_unix_ms()) {
        run_duration_seconds_.Observe((t.finished_unix_ms() - t.assigned_unix_ms()) / 1000.0);
      }
      break;
    default:
      break;
  }
}

void Core::BeginShutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  for (auto& [id, a] : inventory_.agents()) {
    if (a.channel != nullptr) a.channel->EndForShutdown();
  }
}

void Core::AgentGone(const std::string& agent_id, AgentChannel* channel) {
  absl::MutexLock commit(&commit_mu_);
  ChangeSignal::BumpOnExit bump(&lab_changes_);
  v1::Agent row;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    Inventory::Agent* a = inventory_.FindAgent(agent_id);
    if (a == nullptr || a->channel.get() != channel) return;
    row = a->info;
  }
  row.set_connected(false);
  row.set_last_seen_unix_ms(ToUnixMs(clock_->Now()));
  // A fact, not a request: followed even when it cannot be stored.
  if (auto st = store()->PutAgent(row); !st.ok()) {
    spdlog::error("event=store_failed what=agent agent={} error={}", agent_id, st.ToString());
  }
  std::vector<RunChange> lost;
  {
    absl::MutexLock lock(&mu_);
    Inventory::Agent& a = *inventory_.FindAgent(agent_id);
    a.channel.reset();
    a.info = row;
    for (auto& [id, d] : inventory_.AgentDevices(agent_id)) {
      if (d.info.agent_id() == agent_id) UpdateDeviceOnlineLocked(id);
    }
    if (agent_grace_ > absl::ZeroDuration()) {
      // A network blip should not cost the runs: they keep their leases until the agent
      // redials (its hello settles them) or the grace ends (Tick).
      a.gone_at = clock_->Now();
      spdlog::info("event=agent_disconnected agent={} grace_s={}", agent_id, absl::ToDoubleSeconds(agent_grace_));
    } else {
      lost = PlanAgentLostLocked(agent_id, "the agent disconnected during the run");
    }
  }
  (void)CommitRuns(lost);
  Schedule();
}

void Core::set_agent_grace(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  agent_grace_ = grace;
}

void Core::set_queue_timeout(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  ledger_.set_queue_timeout(timeout > absl::ZeroDuration() ? timeout : absl::InfiniteDuration());  // 0: no limit
}

std::vector<RunChange> Core::PlanAgentLostLocked(const std::string& agent_id, const std::string& why) {
  std::vector<RunChange> out;
  const Scheduler& sched = ledger_.scheduler();
  for (auto& [id, d] : inventory_.AgentDevices(agent_id)) {
    if (d.info.agent_id() != agent_id) continue;
    // The agent is gone for good: no result of a winding-down attempt will come.
    std::string held = sched.HeldBy(id);
    if (!held.empty()) ledger_.Release(id, held, sched.HeldAttempt(id));
    std::string lease = sched.LeaseOf(id);
    if (lease.empty()) continue;
    if (auto c = ledger_.PlanFail(lease, v1::ERROR_CLASS_DEVICE_LOST, why, false)) out.push_back(std::move(*c));
  }
  spdlog::info("event=agent_runs_lost agent={} runs_lost={}", agent_id, out.size());
  return out;
}

void Core::UpdateDeviceOnlineLocked(const std::string& device_id) {
  ledger_.SetDeviceOnline(device_id, inventory_.Usable(device_id));
  if (const Inventory::Device* d = inventory_.FindDevice(device_id)) {
    ledger_.SetDeviceConditions(device_id, GateConditionsOf(d->info));
  }
}

void Core::set_gate_defaults(const v1::JobSpec& defaults) {
  absl::MutexLock lock(&mu_);
  ledger_.set_gate_defaults(defaults);
}

void Core::set_log_retention(absl::Duration retention) {
  absl::MutexLock lock(&mu_);
  log_retention_ = retention;
}

absl::StatusOr<int> Core::PruneLogs() {
  std::vector<std::string> jobs, runs;
  absl::Time cutoff;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (log_retention_ <= absl::ZeroDuration() || now < next_log_prune_) return 0;
    next_log_prune_ = now + std::clamp(log_retention_ / 10, absl::Seconds(1), absl::Minutes(10));
    cutoff = now - log_retention_;
    for (const auto& [id, js] : ledger_.jobs()) {
      const int64_t finished = js.job.finished_unix_ms();
      if (finished == 0 || finished >= ToUnixMs(cutoff) || logs_pruned_.contains(id)) continue;
      jobs.push_back(id);
      runs.insert(runs.end(), js.run_ids.begin(), js.run_ids.end());
    }
  }
  if (jobs.empty()) return 0;
  auto lines = store()->PruneRunLogs(runs);
  if (!lines.ok()) {
    spdlog::error("event=logs_prune_failed jobs={} error={}", jobs.size(), lines.status().ToString());
    return lines.status();
  }
  spdlog::info("event=logs_pruned jobs={} runs={} lines={} finished_before_unix_ms={} first_job={}", jobs.size(),
               runs.size(), *lines, ToUnixMs(cutoff), jobs.front());
  absl::MutexLock lock(&mu_);
  logs_pruned_.insert(jobs.begin(), jobs.end());
  return static_cast<int>(jobs.size());
}

void Core::DeviceUpdate(const std::string& agent_id, const v1::DeviceUpdate& update) {
  absl::MutexLock commit(&commit_mu_);
  ChangeSignal::BumpOnExit bump(&lab_changes_);
  const int64_t now_ms = ToUnixMs(clock_->Now());
  StoredDevice row{update.device(), now_ms};
  row.info.set_agent_id(agent_id);
  row.info.set_device_id(Inventory::DeviceId(agent_id, update.device().serial()));
  if (update.removed()) row.info.set_adb_state("gone");
  // A fact, not a request: followed even when it cannot be stored.
  if (auto st = store()->PutDevice(row); !st.ok()) {
    spdlog::error("event=store_failed what=device device={} error={}", row.info.device_id(), st.ToString());
  }
  std::vector<RunChange> lost;
  {
    absl::MutexLock lock(&mu_);
    const std::string& id = row.info.device_id();
    const Inventory::Device& d = inventory_.Report(agent_id, update.device(), update.removed(), now_ms);
    UpdateDeviceOnlineLocked(id);
    std::string lease = ledger_.scheduler().LeaseOf(id);
    if (!lease.empty() && !ledger_.scheduler().DeviceOnline(id)) {
      auto c = ledger_.PlanFail(lease, v1::ERROR_CLASS_DEVICE_LOST,
                                absl::StrCat("device ", id, " went ", d.info.adb_state(), " during the run"), true);
      if (c) lost.push_back(std::move(*c));
    }
    spdlog::info("event=device_update device={} adb_state={} removed={}", id, d.info.adb_state(), update.removed());
  }
  (void)CommitRuns(lost);
  Schedule();
}

absl::Status Core::RunEvent(const std::string& agent_id, const v1::RunEvent& ev) {
  if (ev.event_id().empty()) return absl::InvalidArgumentError("run event without event_id");
  absl::MutexLock commit(&commit_mu_);
  ChangeSignal::BumpOnExit bump(&lab_changes_);
  RunChange change;
  std::vector<std::string> lines;
  bool released = false;  // the event freed a phone held by an ended attempt; nothing to store
  {
    absl::MutexLock lock(&mu_);
    const v1::Run* cur = ledger_.FindRun(ev.run_id());
    if (cur == nullptr) {
      spdlog::warn("event=run_event_ignored agent={} run={} reason=unknown_run", agent_id, ev.run_id());
      return absl::OkStatus();
    }
    const bool from_its_agent = inventory_.AgentOf(cur->device_id()) == agent_id;
    if (!ledger_.IsCurrent(ev) || !from_its_agent) {
      // The last word on an attempt we ended already (cancel, timeout, lost phone): it has
      // wound down, so its phone may take the next run.
      if (!(ev.has_result() && from_its_agent && ledger_.Release(cur->device_id(), ev.run_id(), ev.attempt()))) {
        spdlog::debug("event=run_event_stale agent={} run={} attempt={} current_attempt={}", agent_id, ev.run_id(),
                      ev.attempt(), cur->attempt());
        return absl::OkStatus();
      }
      spdlog::info("event=phone_released device={} run={} attempt={} state={}", cur->device_id(), ev.run_id(),
                   ev.attempt(), v1::RunState_Name(ev.result().state()));
      released = true;
    } else {
      auto planned = ledger_.PlanEvent(ev, &lines);
      if (!planned.ok()) return planned.status();
      change = std::move(*planned);
    }
  }
  if (released) {
    Schedule();
    return absl::OkStatus();
  }
  // The event and its run change in one transaction; a failure is returned (no ack: the
  // agent sends the event again) and memory is left as it was.
  auto applied = store()->ApplyEvent(agent_id, ev.event_id(), &change.run, lines);
  if (!applied.ok()) {
    spdlog::error("event=store_failed what=run_event run={} error={}", ev.run_id(), applied.status().ToString());
    return applied.status();
  }
  const bool ended = change.kind == RunChange::Kind::kEnded;
  change.run.clear_ops();  // stored apart (run_ops); GetResults reads them with include_ops
  std::vector<v1::Job> finished;
  {
    absl::MutexLock lock(&mu_);
    if (!*applied) {
      ++events_duplicate_;
      spdlog::debug("event=run_event_duplicate agent={} id={}", agent_id, ev.event_id());
      return absl::OkStatus();
    }
    ++events_applied_;
    // The state the run left its phone in is the phone's latest, until the agent says more
    // (and what the next run's gate reads).
    if (ev.has_result() && ev.result().conditions().has_after() &&
        inventory_.NewerConditions(change.run.device_id(), ev.result().conditions().after())) {
      UpdateDeviceOnlineLocked(change.run.device_id());
    }
    finished = ApplyLocked({change});
    if (ended) {
      const v1::Run& next = change.run;
      spdlog::info("event=run_ended run={} device={} state={} error={} retry={}", next.run_id(), next.device_id(),
                   v1::RunState_Name(next.state()), v1::ErrorClass_Name(next.error_class()), change.retry);
    }
  }
  StoreFinishedJobs(finished);
  if (ended) Schedule();
  return absl::OkStatus();
}

void Core::AgentLogs(const std::string& agent_id, v1::LogBatch& batch) {
  std::string id = Inventory::DeviceId(agent_id, batch.device_id());
  batch.set_device_id(id);
  log_hub_->Publish(id, std::move(batch));
}

void Core::OnLogInterest(const std::string& device_id, bool enable, size_t phone_tail) {
  absl::MutexLock lock(&mu_);
  const Inventory::Device* d = inventory_.FindDevice(device_id);
  if (d == nullptr) return;
  v1::CoordinatorMessage m;
  m.mutable_log_subscription()->set_serial(d->info.serial());
  m.mutable_log_subscription()->set_enable(enable);
  m.mutable_log_subscription()->set_tail_lines(static_cast<int32_t>(phone_tail));
  SendToDeviceAgentLocked(device_id, m);
}

void Core::SendToDeviceAgentLocked(const std::string& device_id, const v1::CoordinatorMessage& m) {
  if (AgentChannel* ch = inventory_.ChannelOf(device_id)) ch->Send(m);
}

void Core::Tick() {
  absl::MutexLock commit(&commit_mu_);
  std::vector<RunChange> changes;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    for (auto& [id, a] : inventory_.agents()) {
      if (a.channel == nullptr && a.gone_at != absl::InfinitePast() && now - a.gone_at >= agent_grace_) {
        a.gone_at = absl::InfinitePast();
        for (auto& c : PlanAgentLostLocked(
                 id, absl::StrCat("the agent disconnected during the run and did not come back within ",
                                  absl::FormatDuration(agent_grace_)))) {
          changes.push_back(std::move(c));
        }
      }
    }
    // A run lost with its agent may also be past its deadline: it ends once.
    absl::flat_hash_set<std::string> seen;
    for (const auto& c : changes) seen.insert(c.run.run_id());
    for (auto& c : ledger_.PlanTimeouts()) {
      if (seen.insert(c.run.run_id()).second) changes.push_back(std::move(c));
    }
  }
  (void)CommitRuns(changes);  // when it cannot be stored, the next tick plans it again
  Schedule();
}

// ---------------- Lab ----------------

std::vector<v1::Agent> Core::ListAgents() {
  absl::MutexLock lock(&mu_);
  return inventory_.ListAgents();
}

std::vector<v1::Device> Core::ListDevices(const v1::ListDevicesRequest& req) {
  absl::MutexLock lock(&mu_);
  return ListDevicesView(inventory_, ledger_.scheduler(), req);
}

absl::StatusOr<v1::ArtifactRef> Core::GetArtifact(const std::string& sha256) {
  auto a = store()->GetArtifact(sha256);
  if (!a.ok()) return a.status();
  // Both the record and the bytes: a file lost from disk must be uploaded again.
  if (!a->has_value() || !artifacts_->Has(sha256)) {
    return absl::NotFoundError(absl::StrCat("artifact ", sha256, " is not on the coordinator"));
  }
  return **a;
}

absl::StatusOr<v1::UploadArtifactResponse> Core::RecordArtifact(const v1::ArtifactRef& artifact,
                                                                bool deduplicated) {
  auto existing = store()->GetArtifact(artifact.sha256());
  if (!existing.ok()) return existing.status();
  v1::UploadArtifactResponse resp;
  if (existing->has_value()) {
    *resp.mutable_artifact() = **existing;
    resp.set_deduplicated(true);
    return resp;
  }
  v1::ArtifactRef stored = artifact;
  stored.set_stored_unix_ms(ToUnixMs(clock_->Now()));  // retention counts from here
  if (auto st = store()->PutArtifact(stored); !st.ok()) return st;
  *resp.mutable_artifact() = stored;
  resp.set_deduplicated(deduplicated);
  return resp;
}

absl::StatusOr<v1::Job> Core::SubmitJob(const v1::SubmitJobRequest& req, const std::string& submitter,
                                        google::protobuf::RepeatedPtrField<std::string>* offline_devices) {
  // Before the first artifact read: a sweep deleting after it makes the check below redo them.
  const uint64_t sweeps_seen = artifact_sweeps_deleting_.load();
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
  if (auto st = CheckGate(spec); !st.ok()) return st;  // coordinator/run_gate.h
  if (auto args = RenderFlags(spec.flags()); !args.ok()) return args.status();
  // A/B jobs: variants checked and their artifacts resolved here, before any lock.
  VariantArtifacts variant_artifacts;
  if (auto st = NormalizeVariants(&spec, store(), &variant_artifacts); !st.ok()) return st;
  if (auto st = CheckTool(spec); !st.ok()) return st;
  if (auto st = CheckJobCpus(spec); !st.ok()) return st;  // issue 11: --cpus, native tools only
  // Each tool's flags (common/flags/tool_flag_table.h); variants run the APK.
  if (auto st = CheckFlagsForTool(spec.tool(), spec.flags()); !st.ok()) return st;
  for (const v1::Variant& v : spec.variants()) {
    if (auto st = CheckFlagsForTool(v1::TOOL_KIND_APK, v.flags()); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("variant ", v.label(), ": ", st.message()));
    }
  }
  // `apk` holds the job's tool artifact: the APK, or the native binary.
  v1::ArtifactRef model, apk;
  for (const auto& [sha, kind, ref] :
       {std::tuple{spec.model_sha256(), v1::ARTIFACT_KIND_MODEL, &model},
        std::tuple{ToolArtifactSha(spec), IsNativeTool(spec.tool()) ? v1::ARTIFACT_KIND_BINARY : v1::ARTIFACT_KIND_APK,
                   &apk}}) {
    auto a = store()->GetArtifact(sha);
    if (!a.ok()) return a.status();
    if (!a->has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          v1::ArtifactKind_Name(kind), " ", sha.empty() ? "(none given)" : sha,
          " is not on the coordinator; upload it first (UploadArtifact)"));
    }
    if (kind == v1::ARTIFACT_KIND_BINARY && (*a)->kind() != v1::ARTIFACT_KIND_BINARY) {
      return absl::FailedPreconditionError(absl::StrCat("artifact ", sha, " is a ", v1::ArtifactKind_Name((*a)->kind()),
                                                        ", not a BINARY: upload the tool's executable as kind BINARY"));
    }
    *ref = **a;
  }
  // Tool files (issue 11): checked, and each resolved to its stored artifact, which the
  // spec keeps (so assignments carry it, also after a restart).
  if (auto st = CheckToolFiles(spec); !st.ok()) return st;
  for (v1::ToolFile& tf : *spec.mutable_tool_files()) {
    auto a = store()->GetArtifact(tf.sha256());
    if (!a.ok()) return a.status();
    if (!a->has_value()) {
      return absl::FailedPreconditionError(absl::StrCat("the tool file for --", tf.flag(), " (", tf.sha256(),
                                                        ") is not on the coordinator; upload it first (kind TOOL_LIBRARY)"));
    }
    if ((*a)->kind() != v1::ARTIFACT_KIND_TOOL_LIBRARY) {
      return absl::FailedPreconditionError(absl::StrCat("artifact ", tf.sha256(), " is a ", v1::ArtifactKind_Name((*a)->kind()),
                                                        ", not a TOOL_LIBRARY: upload the library as kind TOOL_LIBRARY"));
    }
    *tf.mutable_artifact() = **a;
  }
  const auto& sel = spec.selector();
  if (!sel.all() && sel.devices_size() == 0 && sel.agents_size() == 0 && sel.properties_size() == 0) {
    return absl::InvalidArgumentError("the device selector is empty; name devices, agents, properties or set all");
  }
  absl::MutexLock commit(&commit_mu_);
  if (artifact_sweeps_deleting_.load() != sweeps_seen) {
    if (auto st = RecheckArtifacts(spec); !st.ok()) return st;
  }
  ChangeSignal::BumpOnExit bump(&lab_changes_);
  NewJob job;
  {
    absl::MutexLock lock(&mu_);
    if (!req.request_id().empty()) {
      std::string id = ledger_.JobOfRequest(req.request_id());
      if (!id.empty()) return ledger_.JobView(*ledger_.FindJob(id));
    }
    std::vector<std::string> devices = inventory_.Select(sel, ledger_.scheduler());
    if (devices.empty()) {
      v1::DeviceSelector any = sel;
      any.set_skip_offline(false);
      if (sel.skip_offline() && !inventory_.Select(any, ledger_.scheduler()).empty()) {
        return absl::FailedPreconditionError(
            "the device selector matches no online device, only offline ones (see ListDevices; include offline "
            "phones to queue runs until they come back)");
      }
      return absl::FailedPreconditionError("the device selector matches no known device (see ListDevices)");
    }
    if (offline_devices != nullptr) {
      for (const auto& d : devices) {
        if (!ledger_.scheduler().DeviceOnline(d)) offline_devices->Add(std::string(d));
      }
    }
    job = ledger_.PlanJob(spec, req.request_id(), submitter, devices);
  }
  job.model = std::move(model);
  job.apk = std::move(apk);
  job.variant_artifacts = std::move(variant_artifacts);
  // Stored before it exists in memory: a failed write creates nothing.
  if (auto st = store()->CreateJob(job.stored, job.runs); !st.ok()) {
    spdlog::error("event=store_failed what=job job={} error={}", job.stored.job.job_id(), st.ToString());
    if (offline_devices != nullptr) offline_devices->Clear();
    return st;
  }
  const std::string& job_id = job.stored.job.job_id();
  {
    absl::MutexLock lock(&mu_);
    ledger_.AddJob(job);
    spdlog::info("event=job_submitted job={} by={} devices={} runs={}", job_id, submitter,
                 job.stored.job.device_ids_size(), job.runs.size());
  }
  Schedule();
  absl::MutexLock lock(&mu_);
  return ledger_.JobView(*ledger_.FindJob(job_id));
}

absl::StatusOr<v1::GetJobResponse> Core::GetJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  return GetJobView(ledger_, job_id);
}

absl::StatusOr<v1::ListJobsResponse> Core::ListJobs(const v1::ListJobsRequest& req) {
  absl::MutexLock lock(&mu_);
  return ListJobsView(ledger_, req);
}

absl::StatusOr<v1::Job> Core::CancelJob(const std::string& job_id) {
  absl::MutexLock commit(&commit_mu_);
  ChangeSignal::BumpOnExit bump(&lab_changes_);
  v1::Job job;
  std::vector<RunChange> changes;
  {
    absl::MutexLock lock(&mu_);
    const LedgerJob* js = ledger_.FindJob(job_id);
    if (js == nullptr) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
    if (js->job.finished_unix_ms() != 0) {
      v1::Job view = ledger_.JobView(*js);
      return absl::FailedPreconditionError(
          absl::StrCat("job ", job_id, " already finished (", view.runs_done(), " done, ", view.runs_failed(),
                       " failed, ", view.runs_cancelled(), " cancelled); nothing to cancel"));
    }
    changes = ledger_.PlanCancel(job_id, &job);
  }
  if (auto st = store()->PutJob(job); !st.ok()) {
    spdlog::error("event=store_failed what=job job={} error={}", job_id, st.ToString());
    return st;
  }
  absl::Status runs_stored = changes.empty() ? absl::OkStatus() : StoreRuns(changes);
  std::vector<v1::Job> finished;
  v1::Job view;
  {
    absl::MutexLock lock(&mu_);
    // Stored: the job is marked cancelled (which may finish it: only a pending
    // until_decided block kept it open).
    const bool finished_now = ledger_.ApplyJob(job);
    if (runs_stored.ok()) finished = ApplyLocked(changes);
    if (finished_now) {
      for (auto& j : FinishJobsLocked({job_id})) finished.push_back(std::move(j));
    }
    view = ledger_.JobView(*ledger_.FindJob(job_id));
  }
  // The runs were not stored as cancelled: they go on; cancelling again retries.
  if (!runs_stored.ok()) return runs_stored;
  StoreFinishedJobs(finished);
  spdlog::info("event=job_cancelled job={}", job_id);
  Schedule();
  return view;
}

absl::StatusOr<v1::GetResultsResponse> Core::GetResults(const v1::GetResultsRequest& req) {
  if (req.page_size() < 0) return absl::InvalidArgumentError("page_size must be 0 (default) or more");
  size_t max_runs = req.page_size() == 0 ? kDefaultResultsPageRuns : std::min(req.page_size(), kMaxResultsPageRuns);
  size_t first = 0;
  absl::StatusOr<v1::GetResultsResponse> resp;
  // include_ops, first page: every done run of the job by (device, variant), whose op rows
  // (read from the store outside the lock) make the per-device op aggregates.
  std::map<std::pair<std::string, int>, std::vector<std::string>> done_runs;
  {
    absl::MutexLock lock(&mu_);
    resp = ResultsPageView(ledger_, inventory_, req, max_runs, &first);
    if (resp.ok() && req.include_ops() && first == 0) {
      for (const auto& id : ledger_.FindJob(req.job_id())->run_ids) {
        const v1::Run& r = *ledger_.FindRun(id);
        if (r.state() == v1::RUN_STATE_DONE) done_runs[{r.device_id(), r.variant()}].push_back(id);
      }
    }
  }
  if (!resp.ok()) return resp.status();
  for (v1::DeviceResults& d : *resp->mutable_devices()) {
    std::vector<std::vector<v1::OpProfileRow>> rows;
    for (const auto& id : done_runs[{d.device_id(), d.variant()}]) {
      auto ops = store()->RunOps(id);
      if (!ops.ok()) return ops.status();
      if (!ops->empty()) rows.push_back(std::move(*ops));
    }
    for (auto& a : AggregateOps(rows)) *d.add_ops() = std::move(a);
  }
  // The page ends at kListPageBytes too (at least one run): with their raw logs, runs
  // can be large, and a page must fit a client's message limit.
  // Each field costs its size plus its tag and length (at most 6 bytes here).
  size_t bytes = resp->job().ByteSizeLong() + 16;
  for (const auto& d : resp->devices()) bytes += d.ByteSizeLong() + 6;
  auto* runs = resp->mutable_runs();
  for (int i = 0; i < runs->size(); ++i) {
    v1::Run& r = (*runs)[i];
    if (req.include_raw_log()) {
      auto lines = store()->RawLog(r.run_id());
      if (!lines.ok()) return lines.status();
      for (auto& l : *lines) r.add_raw_log(std::move(l));
    }
    if (req.include_ops() && r.state() == v1::RUN_STATE_DONE) {
      auto ops = store()->RunOps(r.run_id());
      if (!ops.ok()) return ops.status();
      for (auto& row : *ops) *r.add_ops() = std::move(row);
    }
    bytes += r.ByteSizeLong() + 6;
    if (i > 0 && bytes > kListPageBytes) {
      runs->DeleteSubrange(i, runs->size() - i);
      resp->set_next_page_token(absl::StrCat(first + i));
      break;
    }
  }
  return resp;
}

absl::StatusOr<v1::CompareJobsResponse> Core::CompareJobs(const v1::CompareJobsRequest& req) {
  if (auto metrics = CompareMetrics(req); !metrics.ok()) return metrics.status();
  // The verdicts read every run's values: all pages (in memory here, no message limit).
  auto all_results = [this](const std::string& job_id) -> absl::StatusOr<v1::GetResultsResponse> {
    v1::GetResultsRequest r;
    r.set_job_id(job_id);
    auto first = GetResults(r);
    if (!first.ok()) return first.status();
    while (!first->next_page_token().empty()) {
      r.set_page_token(first->next_page_token());
      auto page = GetResults(r);
      if (!page.ok()) return page.status();
      for (auto& run : *page->mutable_runs()) *first->add_runs() = std::move(run);
      first->set_next_page_token(page->next_page_token());
    }
    return first;
  };
  if (!req.variant_job_id().empty()) {  // B against A within one variant job
    auto job = all_results(req.variant_job_id());
    if (!job.ok()) return job.status();
    return CompareVariants(*job, req);
  }
  auto base = all_results(req.baseline_job_id());
  if (!base.ok()) return base.status();
  auto cand = all_results(req.candidate_job_id());
  if (!cand.ok()) return cand.status();
  return CompareResults(*base, *cand, req);  // coordinator/verdicts.h
}

absl::StatusOr<v1::WatchJobResponse> Core::Watch(const std::string& job_id, std::shared_ptr<JobWatcher> w) {
  absl::MutexLock lock(&mu_);
  const LedgerJob* js = ledger_.FindJob(job_id);
  if (js == nullptr) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  v1::WatchJobResponse snap;
  *snap.mutable_job() = ledger_.JobView(*js);
  for (const auto& id : js->run_ids) *snap.add_runs() = *ledger_.FindRun(id);
  if (js->job.finished_unix_ms() == 0) {
    if (watchers_total_ >= kMaxWatchers) {
      return absl::ResourceExhaustedError("too many WatchJob streams open; try again later");
    }
    ++watchers_total_;
    watchers_[job_id].push_back(std::move(w));
  }
  return snap;
}

void Core::Unwatch(const std::string& job_id, JobWatcher* w) {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(job_id);
  if (it == watchers_.end()) return;
  auto& ws = it->second;
  auto gone = std::remove_if(ws.begin(), ws.end(), [w](const auto& p) { return p.get() == w; });
  watchers_total_ -= std::distance(gone, ws.end());
  ws.erase(gone, ws.end());
  if (ws.empty()) watchers_.erase(it);
}

absl::Status Core::CheckDevice(const std::string& device_id) {
  absl::MutexLock lock(&mu_);
  if (inventory_.FindDevice(device_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("device ", device_id, " not known; see ListDevices"));
  }
  return absl::OkStatus();
}

}  // namespace benchlab::coordinator
