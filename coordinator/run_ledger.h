// The run ledger: the only owner of jobs' runs, their states and attempts, the retry
// policy (through Scheduler: backoff 2 s doubling to 30 s), deadlines, queue timeouts and
// the holds that keep a phone until its agent reports an ended attempt final. Pure logic
// over an injected Clock: no I/O, no lock, no messaging. Every change is planned first
// (Plan*: nothing in the ledger changes, except that PlanAssign takes leases, undone by
// UndoAssign) and applied (Apply) only once the caller has stored it, so memory never
// holds what the store refused. Core guards it with its mutex.
#ifndef BENCHLAB_COORDINATOR_RUN_LEDGER_H_
#define BENCHLAB_COORDINATOR_RUN_LEDGER_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "benchlab/v1/agent_link.pb.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/clock.h"
#include "coordinator/job_counters.h"
#include "coordinator/scheduler.h"
#include "coordinator/store.h"
#include "coordinator/variants.h"

namespace benchlab::coordinator {

bool IsFinal(benchlab::v1::RunState s);
bool IsRetryable(benchlab::v1::ErrorClass e);

struct LedgerJob {
  benchlab::v1::Job job;
  int64_t seq = 0;
  std::vector<std::string> run_ids;
  // Kept by Apply (every run state change passes there), Load and AddJob.
  JobCounters counts;
  // What an assignment carries (resolved at submit or load, so no store read at assign);
  // in a variant job, per variant too (an assignment takes its run's variant's).
  benchlab::v1::ArtifactRef model, apk;
  VariantArtifacts variant_artifacts;
  // until_decided: the ABBA blocks planned when a phone's last run of the job ended, not
  // yet stored (PlanExtensions, then Apply as kAdded). The job does not finish while any
  // is pending; memory only (a restart plans them again from the stored runs).
  std::vector<benchlab::v1::Run> pending_runs;
};

// One planned change of one run: its new record (what the caller stores) and what
// Apply does besides recording it.
struct RunChange {
  enum class Kind {
    kProgress,   // a state or partial metrics from the agent
    kRawLog,     // log lines only: the record is unchanged, watchers are not told
    kEnded,      // the agent's result for the attempt (the phone is free)
    kFailed,     // ended here (lost phone, timeout, queue timeout)
    kCancelled,  // its job was cancelled
    kAssigned,   // leased to its phone: the caller sends the assignment
    kAdded,      // a new queued run of an until_decided job (planned by PlanExtensions)
  };
  Kind kind = Kind::kProgress;
  benchlab::v1::Run run;
  // kEnded, kFailed: re-queued as run.attempt (attempt + 1).
  bool retry = false;
  // kFailed: the attempt was running on a phone whose agent still has it; the agent is
  // told to stop it and the phone stays held until the agent reports it final.
  bool notify_agent = false;
  // kFailed, kCancelled: the attempt that ended, and why (for the agent's cancel).
  int ended_attempt = 0;
  std::string reason;
};

// A new job and its runs, as planned by PlanJob and stored before AddJob.
struct NewJob {
  StoredJob stored;
  std::vector<benchlab::v1::Run> runs;
  benchlab::v1::ArtifactRef model, apk;
  VariantArtifacts variant_artifacts;
};

// What Apply asks of its caller.
struct LedgerEffects {
  struct Command {
    std::string device_id;
    benchlab::v1::CoordinatorMessage message;
  };
  // Cancels for attempts still on phones (kFailed with notify_agent, kCancelled leased).
  std::vector<Command> cancels;
  // Runs whose change watchers see, in order (kRawLog excluded).
  std::vector<std::string> published;
  // Jobs whose runs all became final now (finished_unix_ms set): store and announce them.
  std::vector<std::string> finished_jobs;
  int retried = 0;
};

class RunLedger {
 public:
  explicit RunLedger(Clock* clock) : clock_(clock), scheduler_(clock) {}

  // ---- loading (at start) ----
  void LoadJob(const StoredJob& job, const benchlab::v1::ArtifactRef& model, const benchlab::v1::ArtifactRef& apk,
               const VariantArtifacts& variant_artifacts = {});
  // Queued runs are re-queued; runs in flight keep their lease until their agent's hello.
  // False for a run of an unknown job (ignored). *resumed is incremented for one in flight.
  bool LoadRun(const benchlab::v1::Run& run, int* resumed);
  // Plans again the until_decided blocks of unfinished jobs (lost with the stop), then
  // stamps finished the jobs whose runs are all final, with nothing pending, but that have
  // no finished time (their stamp failed to be stored); returns them to be stored again.
  std::vector<std::string> StampFinishedAfterLoad();

  // ---- reads ----
  const LedgerJob* FindJob(const std::string& job_id) const;
  const benchlab::v1::Run* FindRun(const std::string& run_id) const;
  const std::map<std::string, LedgerJob>& jobs() const { return jobs_; }
  const absl::flat_hash_map<std::string, benchlab::v1::Run>& runs() const { return runs_; }
  const Scheduler& scheduler() const { return scheduler_; }
  // The job with its counters (device_ids included).
  benchlab::v1::Job JobView(const LedgerJob& js) const;
  // JobView without device_ids (O(1) in the job's size): what watchers get per change.
  benchlab::v1::Job JobSummary(const std::string& job_id);
  // The job a SubmitJobRequest.request_id created, or "".
  std::string JobOfRequest(const std::string& request_id) const;
  // How long a queued run may wait for an offline phone, unless its job says.
  absl::Duration queue_timeout() const { return queue_timeout_; }
  void set_queue_timeout(absl::Duration d) { queue_timeout_ = d; }
  // The lab's run-conditions gate for jobs that set none (JobSpec's gate fields).
  void set_gate_defaults(const benchlab::v1::JobSpec& defaults) { gate_defaults_ = defaults; }

  // ---- phones (memory only: nothing of this is stored) ----
  void SetDeviceOnline(const std::string& device_id, bool online) { scheduler_.SetDeviceOnline(device_id, online); }
  // Device care (drain, maintenance): no new runs start on a paused phone.
  void SetDevicePaused(const std::string& device_id, bool paused) { scheduler_.SetDevicePaused(device_id, paused); }
  bool ForgetDevice(const std::string& device_id) { return scheduler_.ForgetDevice(device_id); }
  // What the phone's agent last reported of its conditions (for the jobs' gates).
  void SetDeviceConditions(const std::string& device_id, const PhoneConditions& conditions) {
    scheduler_.SetDeviceConditions(device_id, conditions);
  }
  // The attempt holding the phone (ended, winding down) wound down: the phone is free.
  bool Release(const std::string& device_id, const std::string& run_id, int attempt) {
    return scheduler_.Release(device_id, run_id, attempt);
  }
  void Hold(const std::string& device_id, const std::string& run_id, int attempt) {
    scheduler_.Hold(device_id, run_id, attempt);
  }

  // ---- plans (nothing changes until Apply) ----
  NewJob PlanJob(const benchlab::v1::JobSpec& spec, const std::string& request_id, const std::string& submitter,
                 const std::vector<std::string>& devices) const;
  void AddJob(const NewJob& job);
  // Whether an event is about its run's current attempt, still open. Others are stale:
  // the attempt ended here (cancel, timeout, lost phone) or was retried; they change
  // nothing (a stale result may still Release the phone it holds).
  bool IsCurrent(const benchlab::v1::RunEvent& ev) const;
  // The change an agent's event makes to its run (the caller checked that the run exists,
  // is not final, and the event is for its current attempt from its phone's agent).
  // InvalidArgument for an event without a payload. *raw_lines gets a log event's lines.
  absl::StatusOr<RunChange> PlanEvent(const benchlab::v1::RunEvent& ev, std::vector<std::string>* raw_lines) const;
  // Ends a non-final run with an error; retried when retryable and attempts remain.
  // With notify_agent the agent is told to stop the attempt and its phone stays held until
  // the agent reports the attempt final; otherwise the agent no longer has it (gone, or
  // its hello did not list it) and the phone is free. nullopt for a final or unknown run.
  std::optional<RunChange> PlanFail(const std::string& run_id, benchlab::v1::ErrorClass error,
                                    const std::string& message, bool notify_agent) const;
  // The job marked cancelled (in *job) and its non-final runs cancelled.
  std::vector<RunChange> PlanCancel(const std::string& job_id, benchlab::v1::Job* job) const;
  // Runs past their deadline (timed_out) and queued past their queue timeout, as failures.
  std::vector<RunChange> PlanTimeouts() const;
  // Leases idle phones to their best queued runs. The leases are taken now: Apply the
  // changes once stored, or UndoAssign them.
  std::vector<RunChange> PlanAssign();
  void UndoAssign(const std::vector<RunChange>& assigned);
  // The until_decided runs Apply planned (LedgerJob.pending_runs), as kAdded changes to
  // store and Apply; planned again after a failed write (they stay pending until applied).
  std::vector<RunChange> PlanExtensions() const;

  // ---- apply (the changes were stored) ----
  LedgerEffects Apply(const std::vector<RunChange>& changes);
  // e.g. cancelled = true (pending until_decided runs are dropped). True when that
  // finished the job (its runs were all final, only an extension kept it open).
  bool ApplyJob(const benchlab::v1::Job& job);

 private:
  SchedRun ToSched(const benchlab::v1::Run& run) const;
  // After `run` of `js` became final: plans the phone's next ABBA block into
  // js.pending_runs when NextPositions (variants.h) asks for one.
  void PlanExtension(LedgerJob& js, const benchlab::v1::Run& run);

  Clock* const clock_;
  Scheduler scheduler_;
  std::map<std::string, LedgerJob> jobs_;
  absl::flat_hash_map<std::string, benchlab::v1::Run> runs_;
  absl::flat_hash_map<std::string, std::string> request_ids_;
  // Jobs with pending_runs (so PlanExtensions does not walk every job).
  std::set<std::string> extending_jobs_;
  int64_t next_job_seq_ = 1;
  absl::Duration queue_timeout_ = absl::Minutes(30);
  benchlab::v1::JobSpec gate_defaults_;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_RUN_LEDGER_H_
