// Scheduler: per-device queues and leases; see scheduler.h for the policy.
#include "coordinator/scheduler.h"

#include <tuple>

namespace benchlab::coordinator {

void Scheduler::Enqueue(const SchedRun& run) {
  if (runs_.contains(run.run_id)) return;
  Entry& e = runs_[run.run_id];
  e.run = run;
  e.seq = next_seq_++;
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
  devices_[device_id].online = online;
}

bool Scheduler::DeviceOnline(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it != devices_.end() && it->second.online;
}

const Scheduler::Entry* Scheduler::Best(const Device& d) const {
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
    if (best == nullptr || key(e) < key(*best)) best = &e;
  }
  return best;
}

std::vector<Lease> Scheduler::Assign() {
  std::vector<Lease> out;
  absl::Time now = clock_->Now();
  for (auto& [device_id, d] : devices_) {
    if (!d.online || !d.lease.empty() || d.queue.empty() || now < d.cooldown_until) continue;
    const Entry* best = Best(d);
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

EndDecision Scheduler::End(const std::string& run_id, bool retryable) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return EndDecision::kFinal;
  Entry& e = it->second;
  Device& d = devices_[e.run.device_id];
  if (e.leased) {
    d.lease.clear();
    d.cooldown_until = clock_->Now() + e.run.cooldown;
    --jobs_[e.run.job_id].in_flight;
    e.leased = false;
  } else {
    if (d.queue.erase({e.seq, run_id}) > 0) --queued_total_;
  }
  if (retryable && e.run.attempt < e.run.max_attempts) {
    ++e.run.attempt;
    e.seq = next_seq_++;
    d.queue.insert({e.seq, run_id});
    ++queued_total_;
    return EndDecision::kRetry;
  }
  runs_.erase(it);
  return EndDecision::kFinal;
}

bool Scheduler::Remove(const std::string& run_id) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return false;
  bool leased = it->second.leased;
  // Not retryable: End() frees the phone (with cooldown) or dequeues, then forgets it.
  it->second.run.max_attempts = 0;
  (void)End(run_id, false);
  return leased;
}

std::vector<std::string> Scheduler::Expired() const {
  std::vector<std::string> out;
  absl::Time now = clock_->Now();
  for (const auto& [id, e] : runs_) {
    if (e.leased && now >= e.deadline) out.push_back(id);
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
