// RunLedger: run states, attempts, retries, deadlines, holds; see run_ledger.h.
#include "coordinator/run_ledger.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

}  // namespace

// ---------------- loading ----------------

void RunLedger::LoadJob(const StoredJob& j, const v1::ArtifactRef& model, const v1::ArtifactRef& apk,
                        const VariantArtifacts& variant_artifacts) {
  LedgerJob& js = jobs_[j.job.job_id()];
  js.job = j.job;
  js.seq = j.seq;
  js.model = model;
  js.apk = apk;
  js.variant_artifacts = variant_artifacts;
  next_job_seq_ = std::max(next_job_seq_, j.seq + 1);
  if (!j.request_id.empty()) request_ids_[j.request_id] = j.job.job_id();
}

bool RunLedger::LoadRun(const v1::Run& r, int* resumed) {
  auto jit = jobs_.find(r.job_id());
  if (jit == jobs_.end()) return false;
  jit->second.run_ids.push_back(r.run_id());
  jit->second.counts.Set(r.run_id(), r.state());
  runs_[r.run_id()] = r;
  if (r.state() == v1::RUN_STATE_QUEUED) {
    scheduler_.Enqueue(ToSched(r));
  } else if (!IsFinal(r.state())) {
    // In flight when we stopped: keep the lease; the agent's hello decides its fate.
    scheduler_.RestoreLease(ToSched(r), clock_->Now() + absl::Seconds(jit->second.job.spec().timeout_s()));
    ++*resumed;
  }
  return true;
}

std::vector<std::string> RunLedger::StampFinishedAfterLoad() {
  std::vector<std::string> out;
  for (auto& [id, js] : jobs_) {
    if (js.job.finished_unix_ms() != 0 || js.run_ids.empty()) continue;
    // until_decided: a block planned but not stored before the stop is planned again from
    // the stored runs (the rule depends on them only), for every phone done with the job.
    std::map<std::string, const v1::Run*> last_of_phone;
    for (const auto& run_id : js.run_ids) last_of_phone[runs_[run_id].device_id()] = &runs_[run_id];
    for (const auto& [device, run] : last_of_phone) PlanExtension(js, *run);
    if (!js.counts.all_final() || !js.pending_runs.empty()) continue;
    int64_t last = 0;
    for (const auto& run_id : js.run_ids) last = std::max(last, runs_[run_id].timings().finished_unix_ms());
    js.job.set_finished_unix_ms(last > 0 ? last : ToUnixMs(clock_->Now()));
    out.push_back(id);
  }
  return out;
}

// ---------------- reads ----------------

const LedgerJob* RunLedger::FindJob(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const v1::Run* RunLedger::FindRun(const std::string& run_id) const {
  auto it = runs_.find(run_id);
  return it == runs_.end() ? nullptr : &it->second;
}

v1::Job RunLedger::JobView(const LedgerJob& js) const {
  v1::Job j = js.job;
  js.counts.Fill(&j);
  return j;
}

v1::Job RunLedger::JobSummary(const std::string& job_id) {
  LedgerJob& js = jobs_.at(job_id);
  // Swapped out and back (O(1)) rather than copied and cleared (O(devices)).
  google::protobuf::RepeatedPtrField<std::string> ids;
  ids.Swap(js.job.mutable_device_ids());
  v1::Job j = js.job;
  js.job.mutable_device_ids()->Swap(&ids);
  js.counts.Fill(&j);
  return j;
}

std::string RunLedger::JobOfRequest(const std::string& request_id) const {
  auto it = request_ids_.find(request_id);
  return it == request_ids_.end() ? "" : it->second;
}

SchedRun RunLedger::ToSched(const v1::Run& run) const {
  const LedgerJob& js = jobs_.at(run.job_id());
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
  s.gate = GateOf(js.job.spec());
  return s;
}

// ---------------- plans ----------------

NewJob RunLedger::PlanJob(const v1::JobSpec& spec_in, const std::string& request_id, const std::string& submitter,
                          const std::vector<std::string>& devices) const {
  NewJob out;
  v1::JobSpec spec = spec_in;
  // The wait for an offline phone in force now is the job's.
  if (spec.queue_timeout_s() == 0 && queue_timeout_ != absl::InfiniteDuration()) {
    spec.set_queue_timeout_s(static_cast<int32_t>(absl::ToInt64Seconds(queue_timeout_)));
  }
  // So is the lab's gate: the spec records what its runs waited for.
  ApplyGateDefaults(gate_defaults_, &spec);
  int64_t now_ms = ToUnixMs(clock_->Now());
  out.stored.seq = next_job_seq_;
  out.stored.request_id = request_id;
  v1::Job& job = out.stored.job;
  job.set_job_id(absl::StrFormat("j%06d", out.stored.seq));
  *job.mutable_spec() = spec;
  job.set_submitted_by(submitter);
  job.set_created_unix_ms(now_ms);
  for (const auto& d : devices) job.add_device_ids(d);
  for (size_t di = 0; di < devices.size(); ++di) {
    // A variant job runs both variants on each phone, in ABBA order (variants.h).
    for (int rep = 0; rep < RunsPerPhone(spec); ++rep) {
      v1::Run& r = out.runs.emplace_back();
      r.set_run_id(absl::StrFormat("%s.%d.%d", job.job_id(), di, rep));
      r.set_job_id(job.job_id());
      r.set_device_id(devices[di]);
      r.set_repeat(rep);
      r.set_variant(VariantAt(spec, rep));
      r.set_attempt(1);
      StampState(&r, v1::RUN_STATE_QUEUED, now_ms);
    }
  }
  return out;
}

void RunLedger::AddJob(const NewJob& nj) {
  const v1::Job& job = nj.stored.job;
  LedgerJob& js = jobs_[job.job_id()];
  js.job = job;
  js.seq = nj.stored.seq;
  js.model = nj.model;
  js.apk = nj.apk;
  js.variant_artifacts = nj.variant_artifacts;
  next_job_seq_ = std::max(next_job_seq_, nj.stored.seq + 1);
  if (!nj.stored.request_id.empty()) request_ids_[nj.stored.request_id] = job.job_id();
  // Runs are enqueued repeat-major so that one device's repeats interleave with other jobs.
  for (const auto& r : nj.runs) {
    js.run_ids.push_back(r.run_id());
    js.counts.Set(r.run_id(), r.state());
    runs_[r.run_id()] = r;
    scheduler_.Enqueue(ToSched(r));
  }
}

bool RunLedger::IsCurrent(const v1::RunEvent& ev) const {
  const v1::Run* r = FindRun(ev.run_id());
  return r != nullptr && !IsFinal(r->state()) && ev.attempt() == r->attempt();
}

absl::StatusOr<RunChange> RunLedger::PlanEvent(const v1::RunEvent& ev, std::vector<std::string>* raw_lines) const {
  RunChange c;
  c.run = runs_.at(ev.run_id());
  v1::Run& next = c.run;
  int64_t now_ms = ev.time_unix_ms() > 0 ? ev.time_unix_ms() : ToUnixMs(clock_->Now());
  switch (ev.event_case()) {
    case v1::RunEvent::kState:
      // States only move forward; a replayed older state changes nothing.
      if (ev.state() > next.state() && ev.state() <= v1::RUN_STATE_RUNNING) StampState(&next, ev.state(), now_ms);
      break;
    case v1::RunEvent::kPartialMetrics:
      *next.mutable_metrics() = ev.partial_metrics();
      break;
    case v1::RunEvent::kRawLog:
      c.kind = RunChange::Kind::kRawLog;
      raw_lines->assign(ev.raw_log().lines().begin(), ev.raw_log().lines().end());
      break;
    case v1::RunEvent::kResult: {
      const auto& res = ev.result();
      c.kind = RunChange::Kind::kEnded;
      *next.mutable_conditions() = res.conditions();
      if (res.has_exit_code()) {
        next.set_exit_code(res.exit_code());
      } else {
        next.clear_exit_code();
      }
      next.set_cpu_mask(res.cpu_mask());
      *next.mutable_provenance() = res.provenance();
      // Op rows go to the store with this change and are then dropped from memory (Core).
      next.clear_delegation();
      next.clear_ops();
      next.clear_warnings();
      // What the agent made of the tool's result file (issue 11).
      next.set_result_file_status(res.result_file_status());
      next.set_result_file_note(res.result_file_note());
      if (res.state() == v1::RUN_STATE_DONE) {
        *next.mutable_metrics() = res.metrics();
        if (res.has_delegation()) *next.mutable_delegation() = res.delegation();
        *next.mutable_ops() = res.ops();
        *next.mutable_warnings() = res.warnings();
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
          c.retry = true;
          next.set_attempt(next.attempt() + 1);
          next.clear_timings();
          next.clear_conditions();  // the next attempt brings its own
          next.clear_cpu_mask();
          next.clear_provenance();
          StampState(&next, v1::RUN_STATE_QUEUED, now_ms);
        } else {
          StampState(&next, res.state() == v1::RUN_STATE_CANCELLED ? v1::RUN_STATE_CANCELLED : v1::RUN_STATE_FAILED,
                     now_ms);
        }
      }
      break;
    }
    default:
      return absl::InvalidArgumentError("run event without an event");
  }
  return c;
}

std::optional<RunChange> RunLedger::PlanFail(const std::string& run_id, v1::ErrorClass error,
                                             const std::string& message, bool notify_agent) const {
  auto it = runs_.find(run_id);
  if (it == runs_.end() || IsFinal(it->second.state())) return std::nullopt;
  RunChange c;
  c.kind = RunChange::Kind::kFailed;
  c.run = it->second;
  c.notify_agent = notify_agent;
  c.ended_attempt = c.run.attempt();
  c.reason = message;
  c.retry = scheduler_.WouldEnd(run_id, IsRetryable(error)) == EndDecision::kRetry;
  int64_t now_ms = ToUnixMs(clock_->Now());
  c.run.set_error_class(error);
  c.run.set_error_message(message);
  if (c.retry) {
    c.run.set_attempt(c.run.attempt() + 1);
    c.run.clear_timings();
    StampState(&c.run, v1::RUN_STATE_QUEUED, now_ms);
  } else {
    StampState(&c.run, v1::RUN_STATE_FAILED, now_ms);
  }
  return c;
}

std::vector<RunChange> RunLedger::PlanCancel(const std::string& job_id, v1::Job* job) const {
  std::vector<RunChange> out;
  const LedgerJob& js = jobs_.at(job_id);
  *job = js.job;
  job->set_cancelled(true);
  int64_t now_ms = ToUnixMs(clock_->Now());
  for (const auto& id : js.run_ids) {
    const v1::Run& run = runs_.at(id);
    if (IsFinal(run.state())) continue;
    RunChange& c = out.emplace_back();
    c.kind = RunChange::Kind::kCancelled;
    c.run = run;
    c.ended_attempt = run.attempt();
    c.reason = "job cancelled";
    StampState(&c.run, v1::RUN_STATE_CANCELLED, now_ms);
  }
  return out;
}

std::vector<RunChange> RunLedger::PlanTimeouts() const {
  std::vector<RunChange> out;
  for (const auto& run_id : scheduler_.Expired()) {
    const v1::Run& r = runs_.at(run_id);
    auto c = PlanFail(run_id, v1::ERROR_CLASS_TIMED_OUT,
                      absl::StrCat("no result within the job's timeout of ", jobs_.at(r.job_id()).job.spec().timeout_s(),
                                   " s"),
                      true);
    if (c) out.push_back(std::move(*c));
  }
  for (const auto& run_id : scheduler_.QueueExpired()) {
    const v1::Run& r = runs_.at(run_id);
    auto c = PlanFail(run_id, v1::ERROR_CLASS_QUEUE_TIMED_OUT,
                      absl::StrCat("phone ", r.device_id(), " stayed offline longer than the job's queue timeout of ",
                                   absl::FormatDuration(ToSched(r).queue_timeout),
                                   " while this run waited; plug it back in (or check its agent) and resubmit"),
                      false);
    if (c) out.push_back(std::move(*c));
  }
  for (const auto& [run_id, reason] : scheduler_.GateExpired()) {
    const v1::Run& r = runs_.at(run_id);
    auto c = PlanFail(run_id, v1::ERROR_CLASS_CONDITIONS_NOT_MET,
                      absl::StrCat("phone ", r.device_id(), " did not meet the job's run conditions within ",
                                   jobs_.at(r.job_id()).job.spec().gate_timeout_s(), " s (", reason,
                                   "); let it cool or charge, or relax the gate"),
                      false);
    if (c) out.push_back(std::move(*c));
  }
  return out;
}

std::vector<RunChange> RunLedger::PlanAssign() {
  std::vector<Lease> leases = scheduler_.Assign();
  std::vector<RunChange> out;
  out.reserve(leases.size());
  int64_t now_ms = ToUnixMs(clock_->Now());
  for (const Lease& lease : leases) {
    RunChange& c = out.emplace_back();
    c.kind = RunChange::Kind::kAssigned;
    c.run = runs_.at(lease.run_id);
    c.run.set_attempt(lease.attempt);
    c.run.set_conditions_not_met(lease.conditions_not_met);
    StampState(&c.run, v1::RUN_STATE_ASSIGNED, now_ms);
  }
  return out;
}

void RunLedger::UndoAssign(const std::vector<RunChange>& assigned) {
  // Backwards: the last lease granted is the first taken back.
  for (auto it = assigned.rbegin(); it != assigned.rend(); ++it) {
    scheduler_.Unassign({it->run.run_id(), it->run.device_id(), it->run.attempt()});
  }
}

std::vector<RunChange> RunLedger::PlanExtensions() const {
  std::vector<RunChange> out;
  for (const auto& job_id : extending_jobs_) {
    for (const v1::Run& r : jobs_.at(job_id).pending_runs) {
      RunChange& c = out.emplace_back();
      c.kind = RunChange::Kind::kAdded;
      c.run = r;
    }
  }
  return out;
}

void RunLedger::PlanExtension(LedgerJob& js, const v1::Run& run) {
  const v1::JobSpec& spec = js.job.spec();
  if (spec.variants_size() != 2 || !spec.until_decided() || js.job.cancelled()) return;
  for (const v1::Run& p : js.pending_runs) {
    if (p.device_id() == run.device_id()) return;  // its next block is planned already
  }
  std::vector<const v1::Run*> runs;
  runs.reserve(js.run_ids.size());
  for (const auto& id : js.run_ids) runs.push_back(&runs_.at(id));
  std::vector<int> next = NextPositions(js.job, runs, run.device_id());
  if (next.empty()) return;
  const auto& ids = js.job.device_ids();
  const int di = static_cast<int>(std::find(ids.begin(), ids.end(), run.device_id()) - ids.begin());
  const int64_t now_ms = ToUnixMs(clock_->Now());
  for (int p : next) {
    v1::Run& r = js.pending_runs.emplace_back();
    r.set_run_id(absl::StrFormat("%s.%d.%d", js.job.job_id(), di, p));
    r.set_job_id(js.job.job_id());
    r.set_device_id(run.device_id());
    r.set_repeat(p);
    r.set_variant(VariantAt(spec, p));
    r.set_attempt(1);
    StampState(&r, v1::RUN_STATE_QUEUED, now_ms);
  }
  extending_jobs_.insert(js.job.job_id());
  spdlog::info("event=until_decided_block job={} device={} runs={} from={}", js.job.job_id(), run.device_id(),
               next.size(), next.front());
}

// ---------------- apply ----------------

LedgerEffects RunLedger::Apply(const std::vector<RunChange>& changes) {
  LedgerEffects fx;
  auto cancel = [&fx](const RunChange& c) {
    v1::CoordinatorMessage m;
    m.mutable_cancel()->set_run_id(c.run.run_id());
    m.mutable_cancel()->set_attempt(c.ended_attempt);
    m.mutable_cancel()->set_reason(c.reason);
    fx.cancels.push_back({c.run.device_id(), std::move(m)});
  };
  for (const RunChange& c : changes) {
    const std::string& id = c.run.run_id();
    switch (c.kind) {
      case RunChange::Kind::kProgress:
      case RunChange::Kind::kRawLog:
      case RunChange::Kind::kAssigned:
        break;
      case RunChange::Kind::kEnded:
        (void)scheduler_.End(id, c.retry);
        fx.retried += c.retry;
        break;
      case RunChange::Kind::kFailed:
        if (c.notify_agent) cancel(c);
        (void)scheduler_.End(id, c.retry, /*wound_down=*/!c.notify_agent);
        fx.retried += c.retry;
        break;
      case RunChange::Kind::kCancelled:
        if (scheduler_.Remove(id)) cancel(c);
        break;
      case RunChange::Kind::kAdded: {
        // Only a run still pending joins (its job was not cancelled since it was planned).
        LedgerJob& js = jobs_.at(c.run.job_id());
        auto p = std::find_if(js.pending_runs.begin(), js.pending_runs.end(),
                              [&id](const v1::Run& r) { return r.run_id() == id; });
        if (p == js.pending_runs.end() || runs_.contains(id)) continue;
        js.pending_runs.erase(p);
        if (js.pending_runs.empty()) extending_jobs_.erase(js.job.job_id());
        js.run_ids.push_back(id);
        break;
      }
    }
    runs_[id] = c.run;
    if (c.kind == RunChange::Kind::kAdded) scheduler_.Enqueue(ToSched(c.run));
    if (c.kind == RunChange::Kind::kRawLog) continue;  // log lines only: nothing for watchers
    LedgerJob& js = jobs_.at(c.run.job_id());
    js.counts.Set(id, c.run.state());
    fx.published.push_back(id);
    // until_decided: a phone's last run of the job ended undecided; its next block is
    // planned now, so the job stays open until it is stored and added.
    if (IsFinal(c.run.state()) && c.kind != RunChange::Kind::kCancelled) PlanExtension(js, c.run);
    if (js.counts.all_final() && js.pending_runs.empty() && js.job.finished_unix_ms() == 0) {
      js.job.set_finished_unix_ms(ToUnixMs(clock_->Now()));
      fx.finished_jobs.push_back(js.job.job_id());
    }
  }
  return fx;
}

bool RunLedger::ApplyJob(const v1::Job& job) {
  LedgerJob& js = jobs_.at(job.job_id());
  js.job.set_cancelled(job.cancelled());
  if (!job.cancelled() || js.pending_runs.empty()) return false;
  js.pending_runs.clear();  // a cancelled job is not extended
  extending_jobs_.erase(job.job_id());
  if (!js.counts.all_final() || js.job.finished_unix_ms() != 0) return false;
  js.job.set_finished_unix_ms(ToUnixMs(clock_->Now()));
  return true;
}

}  // namespace benchlab::coordinator
