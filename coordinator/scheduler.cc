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
  devices_[run.device_id].queue.insert({e.seq, run.run_id});
  ++queued_total_;
}

void Scheduler::RestoreLease(const SchedRun& run, absl::Time deadline) {
  if (runs_.contains(run.run_id)) return;
  Entry& e = runs_[run.run_id];
  e.run = run;
  e.seq = next_seq_++;
  e.leased = true;
  e.deadline = deadline;
  devices_[run.device_id].lease = run.run_id;
  JobStats& js = jobs_[run.job_id];
  ++js.in_flight;
  ++js.granted;
}

void Scheduler::SetDeviceOnline(const std::string& device_id, bool online) {
  auto [it, added] = devices_.try_emplace(device_id);
  Device& d = it->second;
  if (!online && (d.online || added)) d.offline_since = clock_->Now();
  d.online = online;
}

bool Scheduler::DeviceOnline(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it != devices_.end() && it->second.online;
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
  for (const auto& [seq, run_id] : d.queue) {
    const Entry& e = runs_.at(run_id);
    if (now < e.not_before) continue;  // a retry still backing off
    if (best == nullptr || key(e) < key(*best)) best = &e;
  }
  return best;
}

std::vector<Lease> Scheduler::Assign() {
  std::vector<Lease> out;
  absl::Time now = clock_->Now();
  for (auto& [device_id, d] : devices_) {
    if (!d.online || !d.lease.empty() || d.hold || d.queue.empty() || now < d.cooldown_until) continue;
    const Entry* best = Best(d, now);
    if (best == nullptr) continue;
    Entry& e = runs_.at(best->run.run_id);
    d.queue.erase({e.seq, e.run.run_id});
    --queued_total_;
    e.leased = true;
    e.deadline = now + e.run.timeout;
    d.lease = e.run.run_id;
    JobStats& js = jobs_[e.run.job_id];
    ++js.in_flight;
    ++js.granted;
    out.push_back({e.run.run_id, device_id, e.run.attempt});
  }
  return out;
}

EndDecision Scheduler::End(const std::string& run_id, bool retryable, bool wound_down) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return EndDecision::kFinal;
  Entry& e = it->second;
  Device& d = devices_[e.run.device_id];
  const absl::Time now = clock_->Now();
  if (e.leased) {
    d.lease.clear();
    if (wound_down) {
      d.cooldown_until = now + e.run.cooldown;
    } else {
      d.hold = WindDown{run_id, e.run.attempt, e.run.cooldown};
    }
    --jobs_[e.run.job_id].in_flight;
    e.leased = false;
  } else {
    if (d.queue.erase({e.seq, run_id}) > 0) --queued_total_;
  }
  if (WouldEnd(run_id, retryable) == EndDecision::kRetry) {
    ++e.run.attempt;
    e.seq = next_seq_++;
    e.queued_at = now;
    e.not_before = now + RetryBackoff(e.run.attempt - 1);
    d.queue.insert({e.seq, run_id});
    ++queued_total_;
    return EndDecision::kRetry;
  }
  runs_.erase(it);
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
  devices_[device_id].hold = WindDown{run_id, attempt, absl::ZeroDuration()};
}

bool Scheduler::Release(const std::string& device_id, const std::string& run_id, int attempt) {
  auto it = devices_.find(device_id);
  if (it == devices_.end() || !it->second.hold || it->second.hold->run_id != run_id ||
      it->second.hold->attempt != attempt) {
    return false;
  }
  it->second.cooldown_until = clock_->Now() + it->second.hold->cooldown;
  it->second.hold.reset();
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
  for (const auto& [id, e] : runs_) {
    if (e.leased && now >= e.deadline) out.push_back(id);
  }
  return out;
}

std::vector<std::string> Scheduler::QueueExpired() const {
  std::vector<std::string> out;
  absl::Time now = clock_->Now();
  for (const auto& [device_id, d] : devices_) {
    if (d.online || d.queue.empty()) continue;
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
