// Scheduler: per-device queues and leases; see scheduler.h for the policy.
#include "coordinator/scheduler.h"

#include <algorithm>
#include <tuple>

namespace benchlab::coordinator {

absl::Duration RetryBackoff(int retry) {
  absl::Duration d = kRetryBackoffFirst;
  for (int i = 1; i < retry && d < kRetryBackoffMax; ++i) d *= 2;
  return std::min(d, kRetryBackoffMax);
}

void Scheduler::Enqueue(const SchedRun& run) {
  if (runs_.contains(run.run_id)) return;
  Entry& e = runs_[run.run_id];
  e.run = run;
  e.seq = next_seq_++;
  e.queued_at = clock_->Now();
  Device& d = devices_[run.device_id];
  d.queue.insert({e.seq, run.run_id});
  ++queued_total_;
  d.gate_reason.clear();  // the new run may be the better one, with a gate it passes
  Refresh(run.device_id, d);
}

void Scheduler::RestoreLease(const SchedRun& run, absl::Time deadline) {
  if (runs_.contains(run.run_id)) return;
  Entry& e = runs_[run.run_id];
  e.run = run;
  e.seq = next_seq_++;
  e.leased = true;
  e.deadline = deadline;
  deadlines_.insert({deadline, run.run_id});
  Device& d = devices_[run.device_id];
  d.lease = run.run_id;
  Refresh(run.device_id, d);
  JobStats& js = jobs_[run.job_id];
  ++js.in_flight;
  ++js.granted;
}

void Scheduler::SetDeviceOnline(const std::string& device_id, bool online) {
  auto [it, added] = devices_.try_emplace(device_id);
  Device& d = it->second;
  if (!online && (d.online || added)) d.offline_since = clock_->Now();
  d.online = online;
  if (online) {
    offline_.erase(device_id);
  } else {
    offline_.insert(device_id);
  }
  Refresh(device_id, d);
}

void Scheduler::SetDevicePaused(const std::string& device_id, bool paused) {
  Device& d = devices_[device_id];
  // Back from a pause while offline: the queue timeout counts from now, not from before.
  if (d.paused && !paused && !d.online) d.offline_since = clock_->Now();
  d.paused = paused;
  Refresh(device_id, d);
}

bool Scheduler::DevicePaused(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it != devices_.end() && it->second.paused;
}

bool Scheduler::ForgetDevice(const std::string& device_id) {
  auto it = devices_.find(device_id);
  if (it == devices_.end()) return true;
  if (!it->second.lease.empty() || it->second.hold || !it->second.queue.empty()) return false;
  devices_.erase(it);
  ready_.erase(device_id);
  offline_.erase(device_id);
  return true;  // a stale cooling_ entry is skipped by Assign (the phone is unknown)
}

void Scheduler::Refresh(const std::string& device_id, const Device& d) {
  bool ready = !d.paused && d.online && d.lease.empty() && !d.hold && !d.queue.empty() && d.gate_reason.empty();
  if (ready) {
    // Due when its cooldown is over and at least one queued run may start (EligibleFrom).
    absl::Time due = absl::InfiniteFuture();
    absl::flat_hash_map<std::string, absl::Time> job_blocked;
    for (const auto& [seq, run_id] : d.queue) due = std::min(due, EligibleFrom(runs_.at(run_id), job_blocked));
    due = std::max(due, d.cooldown_until);
    if (clock_->Now() < due) {
      cooling_.insert({due, device_id});
      ready = false;
    }
  }
  if (ready) {
    ready_.insert(device_id);
  } else {
    ready_.erase(device_id);
  }
}

bool Scheduler::DeviceOnline(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it != devices_.end() && it->second.online;
}

absl::Time Scheduler::EligibleFrom(const Entry& e, absl::flat_hash_map<std::string, absl::Time>& job_blocked) {
  absl::Time from = e.not_before;
  if (!job_blocked.empty()) {
    if (auto it = job_blocked.find(e.run.job_id); it != job_blocked.end()) from = std::max(from, it->second);
  }
  // Only a backing-off run blocks its job's later runs: the common queue (no retry) neither
  // allocates nor looks anything up.
  if (from != absl::InfinitePast()) job_blocked.insert_or_assign(e.run.job_id, from);
  return from;
}

const Scheduler::Entry* Scheduler::Best(const Device& d, absl::Time now) const {
  const Entry* best = nullptr;
  // Key: higher priority, fewer in flight, fewer granted, older job, earlier queued.
  auto key = [this](const Entry& e) {
    auto it = jobs_.find(e.run.job_id);
    int in_flight = it == jobs_.end() ? 0 : it->second.in_flight;
    int64_t granted = it == jobs_.end() ? 0 : it->second.granted;
    return std::make_tuple(-e.run.priority, in_flight, granted, e.run.job_seq, e.seq);
  };
  absl::flat_hash_map<std::string, absl::Time> job_blocked;
  for (const auto& [seq, run_id] : d.queue) {
    const Entry& e = runs_.at(run_id);
    if (now < EligibleFrom(e, job_blocked)) continue;  // a retry backing off, or behind one
    if (!e.gate_expired_reason.empty()) continue;  // failed its gate; the caller ends it
    if (best == nullptr || key(e) < key(*best)) best = &e;
  }
  return best;
}

std::vector<Lease> Scheduler::Assign() {
  std::vector<Lease> out;
  absl::Time now = clock_->Now();
  while (!cooling_.empty() && cooling_.begin()->first <= now) {
    std::string id = cooling_.begin()->second;
    cooling_.erase(cooling_.begin());
    auto known = devices_.find(id);
    if (known == devices_.end()) continue;  // forgotten since
    Device& d = known->second;
    d.gate_reason.clear();  // its recheck time came: look at the gate again
    Refresh(id, d);
  }
  std::vector<std::string> ready(ready_.begin(), ready_.end());
  ready_.clear();  // each of them gets a lease now, or waits at its gate
  for (const std::string& device_id : ready) {
    Device& d = devices_[device_id];
    const Entry* best = !d.paused && d.online && d.lease.empty() && !d.hold && now >= d.cooldown_until
                            ? Best(d, now)
                            : nullptr;
    if (best == nullptr) {
      Refresh(device_id, d);  // not expected (Refresh keeps ready_ exact); re-filed
      continue;
    }
    Entry& e = runs_.at(best->run.run_id);
    GateDecision gate = EvaluateGate(e.run.gate, d.conditions, now);
    if (gate.pass) {
      e.gated_since = absl::InfiniteFuture();
      out.push_back(Grant(device_id, d, e, now));
      continue;
    }
    if (e.gated_since == absl::InfiniteFuture()) e.gated_since = now;
    const absl::Time give_up = e.gated_since + e.run.gate.timeout;
    if (now >= give_up) {
      if (e.run.gate.fail_on_timeout) {
        e.gate_expired_reason = gate.reason;
        gate_expired_.insert(e.run.run_id);
        Refresh(device_id, d);  // its next run may pass
      } else {
        Lease lease = Grant(device_id, d, e, now);
        lease.conditions_not_met = gate.reason;
        out.push_back(std::move(lease));
      }
      continue;
    }
    d.gate_reason = gate.reason;
    const absl::Time recheck = std::min(gate.recheck_at, give_up);
    if (recheck != absl::InfiniteFuture()) cooling_.insert({recheck, device_id});
  }
  return out;
}

Lease Scheduler::Grant(const std::string& device_id, Device& d, Entry& e, absl::Time now) {
  d.gate_reason.clear();
  d.queue.erase({e.seq, e.run.run_id});
  --queued_total_;
  e.leased = true;
  e.deadline = now + e.run.timeout;
  deadlines_.insert({e.deadline, e.run.run_id});
  d.lease = e.run.run_id;
  JobStats& js = jobs_[e.run.job_id];
  ++js.in_flight;
  ++js.granted;
  return {e.run.run_id, device_id, e.run.attempt};
}

void Scheduler::SetDeviceConditions(const std::string& device_id, const PhoneConditions& conditions) {
  Device& d = devices_[device_id];
  const absl::Time last_run_end = d.conditions.last_run_end;
  d.conditions = conditions;
  d.conditions.last_run_end = last_run_end;  // the scheduler's own record
  if (!d.gate_reason.empty()) {
    d.gate_reason.clear();
    Refresh(device_id, d);
  }
}

std::string Scheduler::GateReason(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it == devices_.end() ? "" : it->second.gate_reason;
}

std::vector<GateFailure> Scheduler::GateExpired() const {
  std::vector<GateFailure> out;
  for (const std::string& id : gate_expired_) out.push_back({id, runs_.at(id).gate_expired_reason});
  return out;
}

void Scheduler::Unassign(const Lease& lease) {
  auto it = runs_.find(lease.run_id);
  if (it == runs_.end() || !it->second.leased) return;
  Entry& e = it->second;
  Device& d = devices_[e.run.device_id];
  deadlines_.erase({e.deadline, lease.run_id});
  if (d.lease == lease.run_id) d.lease.clear();
  e.leased = false;
  d.queue.insert({e.seq, lease.run_id});
  ++queued_total_;
  JobStats& js = jobs_[e.run.job_id];
  --js.in_flight;
  --js.granted;
  Refresh(e.run.device_id, d);
}

EndDecision Scheduler::End(const std::string& run_id, bool retryable, bool wound_down) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return EndDecision::kFinal;
  Entry& e = it->second;
  gate_expired_.erase(run_id);
  e.gate_expired_reason.clear();
  Device& d = devices_[e.run.device_id];
  const absl::Time now = clock_->Now();
  if (e.leased) {
    deadlines_.erase({e.deadline, run_id});
    d.lease.clear();
    if (wound_down) {
      d.cooldown_until = now + e.run.cooldown;
      d.conditions.last_run_end = now;
    } else {
      d.hold = WindDown{run_id, e.run.attempt, e.run.cooldown};
    }
    --jobs_[e.run.job_id].in_flight;
    e.leased = false;
  } else {
    if (d.queue.erase({e.seq, run_id}) > 0) --queued_total_;
    d.gate_reason.clear();  // it may have been the run waiting at the gate
  }
  if (WouldEnd(run_id, retryable) == EndDecision::kRetry) {
    // Re-queued in its old place (same seq): a job's runs on a phone start in their
    // queued order, which an A/B job's ABBA interleaving relies on.
    ++e.run.attempt;
    e.queued_at = now;
    e.not_before = now + RetryBackoff(e.run.attempt - 1);
    d.queue.insert({e.seq, run_id});
    ++queued_total_;
    Refresh(e.run.device_id, d);
    return EndDecision::kRetry;
  }
  const std::string device_id = e.run.device_id;
  runs_.erase(it);
  Refresh(device_id, d);
  return EndDecision::kFinal;
}

EndDecision Scheduler::WouldEnd(const std::string& run_id, bool retryable) const {
  auto it = runs_.find(run_id);
  return it != runs_.end() && retryable && it->second.run.attempt < it->second.run.max_attempts ? EndDecision::kRetry
                                                                                               : EndDecision::kFinal;
}

bool Scheduler::Remove(const std::string& run_id) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return false;
  bool leased = it->second.leased;
  // Not retryable: End() holds the phone until the attempt wound down, or dequeues, then
  // forgets the run.
  it->second.run.max_attempts = 0;
  (void)End(run_id, false, /*wound_down=*/false);
  return leased;
}

void Scheduler::Hold(const std::string& device_id, const std::string& run_id, int attempt) {
  Device& d = devices_[device_id];
  d.hold = WindDown{run_id, attempt, absl::ZeroDuration()};
  Refresh(device_id, d);
}

bool Scheduler::Release(const std::string& device_id, const std::string& run_id, int attempt) {
  auto it = devices_.find(device_id);
  if (it == devices_.end() || !it->second.hold || it->second.hold->run_id != run_id ||
      it->second.hold->attempt != attempt) {
    return false;
  }
  it->second.cooldown_until = clock_->Now() + it->second.hold->cooldown;
  it->second.conditions.last_run_end = clock_->Now();
  it->second.hold.reset();
  Refresh(device_id, it->second);
  return true;
}

std::string Scheduler::HeldBy(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it == devices_.end() || !it->second.hold ? "" : it->second.hold->run_id;
}

int Scheduler::HeldAttempt(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it == devices_.end() || !it->second.hold ? 0 : it->second.hold->attempt;
}

std::vector<std::string> Scheduler::Expired() const {
  std::vector<std::string> out;
  absl::Time now = clock_->Now();
  for (const auto& [deadline, id] : deadlines_) {
    if (now < deadline) break;
    out.push_back(id);
  }
  return out;
}

std::vector<std::string> Scheduler::QueueExpired() const {
  std::vector<std::string> out;
  absl::Time now = clock_->Now();
  for (const std::string& device_id : offline_) {
    const Device& d = devices_.at(device_id);
    if (d.queue.empty() || d.paused) continue;  // paused: its runs wait for the admin
    for (const auto& [seq, run_id] : d.queue) {
      const Entry& e = runs_.at(run_id);
      if (now >= std::max(d.offline_since, e.queued_at) + e.run.queue_timeout) out.push_back(run_id);
    }
  }
  return out;
}

std::string Scheduler::LeaseOf(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it == devices_.end() ? "" : it->second.lease;
}

std::vector<std::string> Scheduler::QueuedFor(const std::string& device_id, size_t max,
                                              size_t* total) const {
  std::vector<std::string> out;
  auto it = devices_.find(device_id);
  if (total) *total = it == devices_.end() ? 0 : it->second.queue.size();
  if (it == devices_.end()) return out;
  for (const auto& [seq, run_id] : it->second.queue) {
    if (out.size() >= max) break;
    out.push_back(run_id);
  }
  return out;
}

int Scheduler::Attempt(const std::string& run_id) const {
  auto it = runs_.find(run_id);
  return it == runs_.end() ? 0 : it->second.run.attempt;
}

}  // namespace benchlab::coordinator
