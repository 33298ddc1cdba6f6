// Process bookkeeping for pidof/ps and the pids printed in logcat.
#include "devsim/phone/process_table.h"

namespace benchlab::devsim {

ProcessTable::ProcessTable(uint64_t seed) : rng_(seed ^ 0x5eedc0ffeeULL) {
  absl::MutexLock lock(&mu_);
  procs_ = {{1, "init"},
            {kPidLogd, "logd"},
            {kPidZygote, "zygote64"},
            {kPidSurfaceFlinger, "surfaceflinger"},
            {kPidSystemServer, "system_server"},
            {kPidGms, "com.google.android.gms.persistent"},
            {2210, "com.android.systemui"},
            {2634, "com.android.phone"}};
  next_pid_ = 5000 + static_cast<int32_t>(rng_() % 20000);
}

int32_t ProcessTable::Spawn(const std::string& name, bool shell_user) {
  absl::MutexLock lock(&mu_);
  // Other processes start in between, so pids jump a little.
  next_pid_ += 1 + static_cast<int32_t>(rng_() % 60);
  if (next_pid_ > 32000) next_pid_ = 3000 + static_cast<int32_t>(rng_() % 1000);
  while (procs_.count(next_pid_)) ++next_pid_;
  procs_[next_pid_] = name;
  if (shell_user) shell_user_[next_pid_] = true;
  killed_by_.erase(next_pid_);
  return next_pid_;
}

bool ProcessTable::Kill(int32_t pid, int signo) {
  absl::MutexLock lock(&mu_);
  if (procs_.erase(pid) == 0) return false;
  shell_user_.erase(pid);
  affinity_.erase(pid);
  killed_by_[pid] = signo;
  if (killed_by_.size() > 256) killed_by_.erase(killed_by_.begin());  // bounded memory
  return true;
}

int ProcessTable::KilledBy(int32_t pid) const {
  absl::MutexLock lock(&mu_);
  auto it = killed_by_.find(pid);
  return it == killed_by_.end() ? 0 : it->second;
}

void ProcessTable::Rename(int32_t pid, const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = procs_.find(pid);
  if (it != procs_.end()) it->second = name;
}

bool ProcessTable::ShellUser(int32_t pid) const {
  absl::MutexLock lock(&mu_);
  return shell_user_.count(pid) > 0;
}

void ProcessTable::SetAffinity(int32_t pid, uint64_t mask) {
  absl::MutexLock lock(&mu_);
  if (procs_.count(pid)) affinity_[pid] = mask;
}

uint64_t ProcessTable::Affinity(int32_t pid) const {
  absl::MutexLock lock(&mu_);
  auto it = affinity_.find(pid);
  return it == affinity_.end() ? 0 : it->second;
}

std::vector<int32_t> ProcessTable::PidsOf(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  std::vector<int32_t> out;
  for (const auto& [pid, n] : procs_) {
    if (n == name) out.push_back(pid);
  }
  return out;
}

bool ProcessTable::Alive(int32_t pid) const {
  absl::MutexLock lock(&mu_);
  return procs_.count(pid) > 0;
}

std::map<int32_t, std::string> ProcessTable::All() const {
  absl::MutexLock lock(&mu_);
  return procs_;
}

}  // namespace benchlab::devsim
