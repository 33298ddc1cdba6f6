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
  int32_t Spawn(const std::string& name);
  // Kills `pid`; returns false if it was not running.
  bool Kill(int32_t pid);
  // Pids running under `name` (pidof), ascending.
  std::vector<int32_t> PidsOf(absl::string_view name) const;
  bool Alive(int32_t pid) const;
  // pid -> name of every process.
  std::map<int32_t, std::string> All() const;

 private:
  mutable absl::Mutex mu_;
  std::map<int32_t, std::string> procs_ ABSL_GUARDED_BY(mu_);
  int32_t next_pid_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_PROCESS_TABLE_H_
