// A timer queue on one thread: sleep until the earliest task is due or a new one arrives.
#include "devsim/phone/scheduler.h"

namespace benchlab::devsim {

Scheduler& Scheduler::Get() {
  static Scheduler* s = new Scheduler();  // leaked on purpose: see header
  return *s;
}

Scheduler::Scheduler() {
  std::thread t([this] { Loop(); });
  absl::MutexLock lock(&mu_);
  loop_id_ = t.get_id();
  t.detach();
}

uint64_t Scheduler::NewGroup() {
  absl::MutexLock lock(&mu_);
  return ++next_group_;
}

void Scheduler::Add(uint64_t group, absl::Time due, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  const bool earliest = tasks_.empty() || due < tasks_.begin()->first.first;
  tasks_.emplace(std::make_pair(due, ++next_seq_), Task{group, std::move(fn)});
  if (earliest) cv_.Signal();
}

void Scheduler::CancelGroup(uint64_t group) {
  absl::MutexLock lock(&mu_);
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    it = it->second.group == group ? tasks_.erase(it) : std::next(it);
  }
  if (std::this_thread::get_id() == loop_id_) return;
  auto idle = [this, group]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_group_ != group; };
  mu_.Await(absl::Condition(&idle));
}

size_t Scheduler::pending() const {
  absl::MutexLock lock(&mu_);
  return tasks_.size();
}

void Scheduler::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (tasks_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const absl::Time due = tasks_.begin()->first.first;
    if (absl::Now() < due) {
      cv_.WaitWithDeadline(&mu_, due);
      continue;
    }
    Task task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    running_group_ = task.group;
    mu_.Unlock();
    task.fn();
    mu_.Lock();
    running_group_ = 0;
  }
}

}  // namespace benchlab::devsim
