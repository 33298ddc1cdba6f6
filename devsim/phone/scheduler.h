// Scheduler: one background thread, shared by every phone in the process, that runs
// timed callbacks (the benchmark app's log lines, background log noise). Phones do not
// need a thread each, and a thousand idle phones cost nothing but their queued tasks.
//
// Threading: Add/CancelGroup from any thread; callbacks run on the scheduler thread, one
// at a time, so they must be short and must not block.
#ifndef BENCHLAB_DEVSIM_PHONE_SCHEDULER_H_
#define BENCHLAB_DEVSIM_PHONE_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace benchlab::devsim {

class Scheduler {
 public:
  // The process-wide scheduler (created on first use, never destroyed, so phones that
  // outlive main's locals are still safe).
  static Scheduler& Get();

  // A fresh group id; cancel a group to drop all its pending tasks at once.
  uint64_t NewGroup();
  // Runs `fn` at `due` (or soon after) unless its group is cancelled first.
  void Add(uint64_t group, absl::Time due, std::function<void()> fn);
  // Drops the group's pending tasks and waits until none of its tasks is running (unless
  // called from a task itself). After it returns, no task of the group runs again.
  void CancelGroup(uint64_t group);
  // Number of pending tasks (for tests and benchmarks).
  size_t pending() const;

 private:
  Scheduler();
  void Loop();

  struct Task {
    uint64_t group;
    std::function<void()> fn;
  };
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  // Ordered by due time, then by insertion (so equal times keep their order).
  std::multimap<std::pair<absl::Time, uint64_t>, Task> tasks_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_group_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t running_group_ ABSL_GUARDED_BY(mu_) = 0;  // 0: none
  std::thread::id loop_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_SCHEDULER_H_
