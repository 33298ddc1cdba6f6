// Scheduler: per-device queues and leases; see scheduler.h for the policy.
#include "coordinator/scheduler.h"

#include <tuple>

namespace benchlab::coordinator {

void Scheduler::Enqueue(const SchedRun& run) {
  if (runs_.contains(run.run_id)) return;
  Entry& e = runs_[run.run_id];
  e.run = run;
  e.seq = next_seq_++;
  Device& d = devices_[run.device_id];
  d.queue.insert({e.seq, run.run_id});
  ++queued_total_;
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
  Device& d = devices_[device_id];
  d.online = online;
  Refresh(device_id, d);
}

void Scheduler::Refresh(const std::string& device_id, const Device& d) {
  bool ready = d.online && d.lease.empty() && !d.queue.empty();
  if (ready && clock_->Now() < d.cooldown_until) {
    cooling_.insert({d.cooldown_until, device_id});
    ready = false;
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
  while (!cooling_.empty() && cooling_.begin()->first <= now) {
    std::string id = cooling_.begin()->second;
    cooling_.erase(cooling_.begin());
    Refresh(id, devices_[id]);
  }
  std::vector<std::string> ready(ready_.begin(), ready_.end());
  ready_.clear();  // each of them gets a lease now
  for (const std::string& device_id : ready) {
    Device& d = devices_[device_id];
    if (!d.online || !d.lease.empty() || d.queue.empty() || now < d.cooldown_until) {
      Refresh(device_id, d);  // not expected (Refresh keeps ready_ exact); re-filed
      continue;
    }
    const Entry* best = Best(d);
    Entry& e = runs_.at(best->run.run_id);
    d.queue.erase({e.seq, e.run.run_id});
    --queued_total_;
    e.leased = true;
    e.deadline = now + e.run.timeout;
    deadlines_.insert({e.deadline, e.run.run_id});
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
    deadlines_.erase({e.deadline, run_id});
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
    Refresh(e.run.device_id, d);
    return EndDecision::kRetry;
  }
  Refresh(e.run.device_id, d);
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
  for (const auto& [deadline, id] : deadlines_) {
    if (now < deadline) break;
    out.push_back(id);
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
