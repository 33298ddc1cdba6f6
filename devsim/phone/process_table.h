// ProcessTable: the phone's processes as far as clients can see them (pidof, ps, the
// pids in logcat). Fixed system processes plus app processes that come and go; new pids
// grow like Linux's, with gaps, from a seed-chosen start.
//
// Threading: thread-safe.
#ifndef BENCHLAB_DEVSIM_PHONE_PROCESS_TABLE_H_
#define BENCHLAB_DEVSIM_PHONE_PROCESS_TABLE_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace benchlab::devsim {

// Pids of the system processes whose lines appear in logcat.
inline constexpr int32_t kPidZygote = 808;
inline constexpr int32_t kPidSystemServer = 1402;
inline constexpr int32_t kPidLogd = 512;
inline constexpr int32_t kPidSurfaceFlinger = 951;
inline constexpr int32_t kPidGms = 3127;  // com.google.android.gms.persistent (Play services)

class ProcessTable {
 public:
  explicit ProcessTable(uint64_t seed);

  // Starts a process named `name` (e.g. "org.tensorflow.lite.benchmark"); returns its pid.
  // `shell_user`: started by adb's shell (uid 2000), so the shell may kill it.
  int32_t Spawn(const std::string& name, bool shell_user = false);
  // Kills `pid` with signal `signo`; returns false if it was not running.
  bool Kill(int32_t pid, int signo = 9);
  // The signal the last Kill of `pid` sent (0 when it was not killed).
  int KilledBy(int32_t pid) const;
  // exec: the process keeps its pid and takes the program's name.
  void Rename(int32_t pid, const std::string& name);
  bool ShellUser(int32_t pid) const;
  // The process's CPU affinity mask (taskset); 0 = every core.
  void SetAffinity(int32_t pid, uint64_t mask);
  uint64_t Affinity(int32_t pid) const;
  // Pids running under `name` (pidof), ascending.
  std::vector<int32_t> PidsOf(absl::string_view name) const;
  bool Alive(int32_t pid) const;
  // pid -> name of every process.
  std::map<int32_t, std::string> All() const;

 private:
  mutable absl::Mutex mu_;
  std::map<int32_t, std::string> procs_ ABSL_GUARDED_BY(mu_);
  std::map<int32_t, bool> shell_user_ ABSL_GUARDED_BY(mu_);
  std::map<int32_t, uint64_t> affinity_ ABSL_GUARDED_BY(mu_);
  std::map<int32_t, int> killed_by_ ABSL_GUARDED_BY(mu_);  // of processes that are gone
  int32_t next_pid_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_PROCESS_TABLE_H_
