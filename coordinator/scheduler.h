// Decides which queued run each idle phone gets next. Pure logic: no I/O, no threads; the
// caller (the coordinator core) holds its lock around every call and does the messaging.
// Policy: a phone serves one run at a time; higher job priority first; among equal
// priority the job with the fewest runs in flight, then the fewest leases granted so far
// (round robin between jobs), then the older job; within a job, the earliest queued run.
// A phone's lease outlives a run the coordinator ended itself (cancel, timeout, phone
// lost): the phone stays held until the agent reports that attempt wound down (Release),
// so no next run starts beside it. A retry waits out a backoff in its old place in the
// queue: the job's later runs on that phone wait with it (other jobs may use the phone), so
// a job's runs on a phone start in their queued order (an A/B job's ABBA order survives a
// retry). A queued run whose phone stays offline longer than its queue timeout is
// reported (QueueExpired).
#ifndef BENCHLAB_COORDINATOR_SCHEDULER_H_
#define BENCHLAB_COORDINATOR_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "coordinator/clock.h"
#include "coordinator/run_gate.h"

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
  // How long the run may wait for its phone while the phone is offline (counted from
  // when the phone went offline or the run was queued, whichever is later).
  absl::Duration queue_timeout = absl::InfiniteDuration();
  // What the phone must show before this run starts on it (its job's gate).
  GateRequirements gate;
};

// The pause before retry n (n = the new attempt - 1): kRetryBackoffFirst, doubling up to
// kRetryBackoffMax. It outlasts the agent's 1 s debounce of a lost phone, so a retry does
// not run (and fail) on a phone the coordinator still believes online.
inline constexpr absl::Duration kRetryBackoffFirst = absl::Seconds(2);
inline constexpr absl::Duration kRetryBackoffMax = absl::Seconds(30);
absl::Duration RetryBackoff(int retry);

struct Lease {
  std::string run_id;
  std::string device_id;
  int attempt = 1;
  // Set when the run starts although the phone failed its gate for the gate's timeout
  // (policy PROCEED): the requirement it failed.
  std::string conditions_not_met;
};

// A queued run whose phone failed its gate for the gate's timeout under policy FAIL.
struct GateFailure {
  std::string run_id;
  std::string reason;
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
  // Device care: a paused phone (drained or in maintenance) gets no new lease; a lease it
  // holds runs on, its queued runs wait (their queue timeout does not run while paused;
  // it starts again at unpause).
  void SetDevicePaused(const std::string& device_id, bool paused);
  bool DevicePaused(const std::string& device_id) const;
  // Drops what is known of a phone gone for good. The caller ended its runs first; false
  // (nothing dropped) while a run is leased to it, holds it or is queued for it.
  bool ForgetDevice(const std::string& device_id);

  // Leases every idle, online phone past its cooldown to its best queued run, when the
  // phone passes that run's gate. A phone that fails it waits (it cools, nothing else
  // starts on it: head-of-line, so the phone gets the rest it needs) and shows the reason
  // in GateReason until a new report (SetDeviceConditions), the time the gate named
  // (min idle), or the gate's timeout: then the run starts marked conditions_not_met, or
  // is reported by TakeGateFailures (policy FAIL).
  std::vector<Lease> Assign();
  // The phone's latest conditions, as its agent reported them; re-checks a waiting gate.
  void SetDeviceConditions(const std::string& device_id, const PhoneConditions& conditions);
  // Why the phone's next run waits at its gate ("battery 41.5 C > 38 C"), or "".
  std::string GateReason(const std::string& device_id) const;
  // Queued runs whose gate timed out under policy FAIL: they stay queued (skipped by
  // Assign) until the caller ends them (End) with ERROR_CLASS_CONDITIONS_NOT_MET.
  std::vector<GateFailure> GateExpired() const;
  // Takes back a lease Assign just granted (its assignment could not be stored): the run
  // is queued again in its old place and the phone is idle, as if Assign had not run.
  void Unassign(const Lease& lease);

  // Ends a leased or queued run. `retryable` failures with attempts left are re-queued
  // (kRetry) behind a RetryBackoff. A leased phone is freed (cooling down for the run's
  // cooldown) when `wound_down` (the agent reported the attempt final, or the agent is
  // gone); otherwise it stays held by that attempt until Release.
  EndDecision End(const std::string& run_id, bool retryable, bool wound_down = true);
  // What End(run_id, retryable) would decide; the one place of the retry policy.
  EndDecision WouldEnd(const std::string& run_id, bool retryable) const;
  // Removes a run (cancelled) wherever it is; a leased phone stays held until Release.
  // Returns true when it held a lease.
  bool Remove(const std::string& run_id);
  // Holds a phone for an attempt still winding down (e.g. listed by a reconnecting agent).
  void Hold(const std::string& device_id, const std::string& run_id, int attempt);
  // The attempt holding the phone wound down: the phone is free (after its cooldown).
  // False when the phone is not held by exactly that attempt.
  bool Release(const std::string& device_id, const std::string& run_id, int attempt);
  // The run whose ended attempt still holds this phone, or "".
  std::string HeldBy(const std::string& device_id) const;
  int HeldAttempt(const std::string& device_id) const;

  // Leased runs past their deadline (the caller ends them as timed_out).
  std::vector<std::string> Expired() const;
  // Queued runs whose phone has been offline longer than their queue timeout (the caller
  // ends them).
  std::vector<std::string> QueueExpired() const;
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
    absl::Time queued_at;
    absl::Time not_before = absl::InfinitePast();  // retry backoff
    // When it first waited at its phone's gate; InfiniteFuture when not waiting.
    absl::Time gated_since = absl::InfiniteFuture();
    // Non-empty: its gate timed out under policy FAIL (listed by GateExpired).
    std::string gate_expired_reason;
  };
  // An ended attempt the agent is still winding down on the phone.
  struct WindDown {
    std::string run_id;
    int attempt = 0;
    absl::Duration cooldown;
  };
  struct Device {
    bool online = false;
    absl::Time offline_since = absl::InfinitePast();
    std::string lease;  // run id
    std::optional<WindDown> hold;
    absl::Time cooldown_until = absl::InfinitePast();
    std::set<std::pair<int64_t, std::string>> queue;  // (seq, run_id)
    PhoneConditions conditions;  // last_run_end kept here too
    // Non-empty while its best run waits at the gate; it is then out of ready_ until a
    // report, a queue change or its recheck time (in cooling_).
    std::string gate_reason;
    bool paused = false;  // device care: no new leases
  };
  struct JobStats {
    int in_flight = 0;
    int64_t granted = 0;
  };

  const Entry* Best(const Device& d, absl::Time now) const;
  // When `e` may start, walking a phone's queue in order: its own backoff, or a backoff
  // of an earlier queued run of its job (job_blocked: per job, the latest seen so far).
  static absl::Time EligibleFrom(const Entry& e, absl::flat_hash_map<std::string, absl::Time>& job_blocked);
  // Leases `e` on the phone (the caller checked it may).
  Lease Grant(const std::string& device_id, Device& d, Entry& e, absl::Time now);
  // Puts the phone in ready_ or cooling_ (or neither) per its state; call after any
  // change to its online flag, lease, hold, queue or cooldown.
  void Refresh(const std::string& device_id, const Device& d);

  Clock* clock_;
  int64_t next_seq_ = 0;
  size_t queued_total_ = 0;
  absl::flat_hash_map<std::string, Entry> runs_;
  std::map<std::string, Device> devices_;
  absl::flat_hash_map<std::string, JobStats> jobs_;
  // Indexes so that Assign and Expired cost O(what changed), not O(phones) or O(runs):
  // phones online, idle, not held, with a queue and past their cooldown;
  std::set<std::string> ready_;
  // phones waiting for their cooldown or for a retry's backoff (when, device); an entry
  // may be stale (Refresh re-checks the phone when it comes due);
  std::set<std::pair<absl::Time, std::string>> cooling_;
  // leased runs by deadline;
  std::set<std::pair<absl::Time, std::string>> deadlines_;
  // phones offline (QueueExpired looks only at these).
  std::set<std::string> offline_;
  // runs whose gate timed out under policy FAIL, until End.
  std::set<std::string> gate_expired_;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_SCHEDULER_H_
