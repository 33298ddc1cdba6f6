// Decides which queued run each idle phone gets next. Pure logic: no I/O, no threads; the
// caller (the coordinator core) holds its lock around every call and does the messaging.
// Policy: a phone serves one run at a time; higher job priority first; among equal
// priority the job with the fewest runs in flight, then the fewest leases granted so far
// (round robin between jobs), then the older job; within a job, the earliest queued run.
#ifndef BENCHLAB_COORDINATOR_SCHEDULER_H_
#define BENCHLAB_COORDINATOR_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "coordinator/clock.h"

namespace benchlab::coordinator {

struct SchedRun {
  std::string run_id;
  std::string job_id;
  std::string device_id;
  int priority = 0;
  // Order of job creation (smaller = older); used for tie-breaks.
  int64_t job_seq = 0;
  int attempt = 1;
  // Total attempts allowed (1 + retries).
  int max_attempts = 1;
  absl::Duration timeout = absl::Minutes(10);
  absl::Duration cooldown = absl::ZeroDuration();
};

struct Lease {
  std::string run_id;
  std::string device_id;
  int attempt = 1;
};

// What became of a run that ended.
enum class EndDecision {
  kFinal,  // no retry: the caller records the final state
  kRetry,  // re-queued with attempt + 1
};

class Scheduler {
 public:
  explicit Scheduler(Clock* clock) : clock_(clock) {}

  // Adds a run waiting for its device. A run already known is ignored.
  void Enqueue(const SchedRun& run);
  // Re-establishes a lease after a restart (the run was assigned before).
  void RestoreLease(const SchedRun& run, absl::Time deadline);
  // Marks a phone usable or not. An offline phone gets no leases; its lease (if any)
  // stays until the caller ends the run.
  void SetDeviceOnline(const std::string& device_id, bool online);
  bool DeviceOnline(const std::string& device_id) const;

  // Leases every idle, online phone past its cooldown to its best queued run.
  std::vector<Lease> Assign();

  // Ends a leased or queued run. The phone is freed (cooling down for the run's
  // cooldown). `retryable` failures with attempts left are re-queued (kRetry).
  EndDecision End(const std::string& run_id, bool retryable);
  // Removes a run (cancelled) wherever it is. Returns true when it held a lease.
  bool Remove(const std::string& run_id);

  // Leased runs past their deadline (the caller ends them as timed_out).
  std::vector<std::string> Expired() const;
  // The run holding this phone's lease, or "".
  std::string LeaseOf(const std::string& device_id) const;
  // Runs queued for this phone, in the order they would be served (up to max).
  std::vector<std::string> QueuedFor(const std::string& device_id, size_t max, size_t* total) const;
  int Attempt(const std::string& run_id) const;
  bool Known(const std::string& run_id) const { return runs_.contains(run_id); }
  size_t queued_count() const { return queued_total_; }

 private:
  struct Entry {
    SchedRun run;
    bool leased = false;
    absl::Time deadline;
    int64_t seq = 0;  // enqueue order
  };
  struct Device {
    bool online = false;
    std::string lease;  // run id
    absl::Time cooldown_until = absl::InfinitePast();
    std::set<std::pair<int64_t, std::string>> queue;  // (seq, run_id)
  };
  struct JobStats {
    int in_flight = 0;
    int64_t granted = 0;
  };

  const Entry* Best(const Device& d) const;
  // Puts the phone in ready_ or cooling_ (or neither) per its state; call after any
  // change to its online flag, lease, queue or cooldown.
  void Refresh(const std::string& device_id, const Device& d);

  Clock* clock_;
  int64_t next_seq_ = 0;
  size_t queued_total_ = 0;
  absl::flat_hash_map<std::string, Entry> runs_;
  std::map<std::string, Device> devices_;
  absl::flat_hash_map<std::string, JobStats> jobs_;
  // Indexes so that Assign and Expired cost O(what changed), not O(phones) or O(runs):
  // phones online, idle, with a queue and past their cooldown;
  std::set<std::string> ready_;
  // phones that were waiting for their cooldown (cooldown_until, device); an entry may be
  // stale (Refresh re-checks the phone when it comes due);
  std::set<std::pair<absl::Time, std::string>> cooling_;
  // leased runs by deadline.
  std::set<std::pair<absl::Time, std::string>> deadlines_;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_SCHEDULER_H_
