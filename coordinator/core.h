// The coordinator's core: a thin coordinator of its parts — the inventory (agents,
// phones; inventory.h), the run ledger (jobs, run states, retries, leases; run_ledger.h),
// the read-only views (job_queries.h) — of the Store, and of the fan-out of changes to
// agents (AgentChannel) and watchers (JobWatcher). Transport-free: the gRPC services
// translate to calls here, and tests may drive it directly.
// Thread-safety: every public method may be called from any thread (gRPC callback
// threads, the tick thread). mu_ guards the in-memory state and is never held across a
// Store call; commit_mu_ orders the calls that change state (plan under mu_, store with
// mu_ released, apply under mu_), so what is applied is what was planned and stored, in
// the same order. Callbacks into AgentChannel and JobWatcher happen under mu_ and must
// not block or call back into Core.
//
// Store failures, one policy:
// - A request whose change must be durable fails with the store's error and changes
//   nothing in memory: SubmitJob (no job is created), CancelJob, RunEvent (not acked, so
//   the agent resends it), AgentHello (the session ends; the agent redials),
//   RecordArtifact.
// - Changes the core decides itself (assignments, timeouts, lost phones, retries) are
//   applied only once stored; a failed write is logged (event=store_failed) and the
//   change is planned again later (the next Tick) or ended by the run's deadline.
//   An until_decided job's next ABBA block (planned when a phone's last run ended) stays
//   pending, its job open, until it is stored; a cancel or a restart drops it.
// - Facts reported about the world that cannot be refused (a session ended, a phone's
//   adb state) are followed in memory even when storing them fails (logged); the agent's
//   next hello stores them again.
// - Follow-on stamps (a job's finished time) are logged on failure; Open restamps a job
//   whose runs are all final.
#ifndef BENCHLAB_COORDINATOR_CORE_H_
#define BENCHLAB_COORDINATOR_CORE_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/exposition/histogram.h"
#include "benchlab/v1/agent_link.pb.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/artifact_retention.h"
#include "coordinator/artifact_store.h"
#include "coordinator/change_signal.h"
#include "coordinator/clock.h"
#include "coordinator/inventory.h"
#include "coordinator/job_counters.h"
#include "coordinator/log_hub.h"
#include "coordinator/run_ledger.h"
#include "coordinator/scheduler.h"
#include "coordinator/store.h"

namespace benchlab::coordinator {

// The coordinator's side of one agent session. Send must not block (it queues).
class AgentChannel {
 public:
  virtual ~AgentChannel() = default;
  virtual void Send(const benchlab::v1::CoordinatorMessage& msg) = 0;
  // Ends the session (it was replaced by a newer one of the same agent). Must not block.
  virtual void Close(const std::string& why) = 0;
  // Ends the session because the coordinator is stopping (UNAVAILABLE "shutting down", so
  // the agent redials at once). Must not block.
  virtual void EndForShutdown() { Close("shutting down"); }
};

// A WatchJob stream. Both calls must not block. `job` carries the current counters and
// fields but no device_ids (those come with Watch's snapshot only): copying them for every
// run change would make each event cost O(job size).
class JobWatcher {
 public:
  virtual ~JobWatcher() = default;
  virtual void RunChanged(const benchlab::v1::Job& job, const benchlab::v1::Run& run) = 0;
  // The job's runs are all final; no more calls follow.
  virtual void JobFinished(const benchlab::v1::Job& job) = 0;
};

// Counts for monitoring (Prometheus), read under the core's lock.
struct CoreStats {
  int agents_connected = 0;
  int devices_total = 0;
  int devices_online = 0;
  int devices_busy = 0;
  std::map<benchlab::v1::RunState, int> runs_by_state;
  int64_t events_applied_total = 0;
  int64_t events_duplicate_total = 0;
  int64_t runs_retried_total = 0;
  int64_t log_lines_dropped_total = 0;
  // Artifact retention: artifacts deleted and their bytes.
  int64_t artifacts_deleted_total = 0;
  int64_t artifact_bytes_deleted_total = 0;
  // Per agent and per phone, for labelled series (metrics.cc): one entry per agent and
  // phone the inventory knows (cardinality = the lab's size).
  struct AgentRow {
    bool connected = false;
    int devices = 0;
  };
  std::map<std::string, AgentRow> agents;  // by agent id
  struct DeviceRow {
    std::string agent_id;
    benchlab::v1::DeviceState state = benchlab::v1::DEVICE_STATE_UNSPECIFIED;
  };
  std::map<std::string, DeviceRow> devices;  // by device id
  // Failed attempts by error class; `retried` ones went back to the queue.
  std::map<std::pair<benchlab::v1::ErrorClass, bool>, int64_t> failures;
  // Seconds from queued to assigned (every assignment) and from assigned to the final
  // result (runs that ended DONE or FAILED; retried attempts are not in it).
  exposition::HistogramSnapshot queue_wait_seconds;
  exposition::HistogramSnapshot run_duration_seconds;
};

class Core {
 public:
  // Loads state from `store`: queued runs are re-queued, runs in flight keep their
  // lease until their agent says hello again. Pointers must outlive the Core.
  static absl::StatusOr<std::unique_ptr<Core>> Open(Store* store, ArtifactStore* artifacts,
                                                    Clock* clock);

  // ---- agents ----
  // A session started. A session of agent_id still registered (e.g. half-open after a
  // network cut) is closed and replaced: the new hello's active_runs settle its runs.
  absl::StatusOr<benchlab::v1::HelloAck> AgentHello(const std::string& agent_id,
                                                    const benchlab::v1::AgentHello& hello,
                                                    std::shared_ptr<AgentChannel> channel);
  // The session ended (no-op when `channel` is not the agent's current session):
  // its phones go offline and their runs end as device_lost (retried per policy).
  void AgentGone(const std::string& agent_id, AgentChannel* channel);
  // How long a vanished agent's leased runs wait for it to redial (its hello lists the
  // runs it still holds) before they end device_lost. Zero: at once.
  void set_agent_grace(absl::Duration grace);
  // How long a queued run waits for its phone while the phone is offline, for jobs that
  // set no JobSpec.queue_timeout_s.
  void set_queue_timeout(absl::Duration timeout);
  // The lab's run-conditions gate for jobs that set none (JobSpec's gate fields).
  void set_gate_defaults(const benchlab::v1::JobSpec& defaults);
  // Log retention: the raw log lines of jobs finished longer ago than this are deleted.
  // Zero: kept.
  void set_log_retention(absl::Duration retention);
  // Deletes the raw logs of jobs finished before now - retention, looking at most every
  // tenth of the retention (at least 1 s, at most 10 min apart; earlier calls return 0 at
  // once); the number of jobs pruned. The server's tick thread calls it, outside Tick so
  // that a large delete never holds up run changes.
  absl::StatusOr<int> PruneLogs() ABSL_LOCKS_EXCLUDED(mu_);
  void DeviceUpdate(const std::string& agent_id, const benchlab::v1::DeviceUpdate& update);
  // Applies a run event once; the caller acknowledges event_id after an OK return.
  absl::Status RunEvent(const std::string& agent_id, const benchlab::v1::RunEvent& event);
  // Agent log lines (LogBatch.device_id holds the serial) into the log hub.
  void AgentLogs(const std::string& agent_id, benchlab::v1::LogBatch& batch);

  // ---- Lab ----
  std::vector<benchlab::v1::Agent> ListAgents();
  std::vector<benchlab::v1::Device> ListDevices(const benchlab::v1::ListDevicesRequest& req);
  // The artifact with this sha256 when its content is held; NotFound otherwise.
  absl::StatusOr<benchlab::v1::ArtifactRef> GetArtifact(const std::string& sha256);
  absl::StatusOr<benchlab::v1::UploadArtifactResponse> RecordArtifact(
      const benchlab::v1::ArtifactRef& artifact, bool deduplicated);
  // `offline_devices` (optional) receives the selected phones that are offline now.
  absl::StatusOr<benchlab::v1::Job> SubmitJob(
      const benchlab::v1::SubmitJobRequest& req, const std::string& submitter,
      google::protobuf::RepeatedPtrField<std::string>* offline_devices = nullptr);
  absl::StatusOr<benchlab::v1::GetJobResponse> GetJob(const std::string& job_id);
  absl::StatusOr<benchlab::v1::ListJobsResponse> ListJobs(const benchlab::v1::ListJobsRequest& req);
  // FailedPrecondition ("nothing to cancel") for a finished job, which stays as it was.
  absl::StatusOr<benchlab::v1::Job> CancelJob(const std::string& job_id);
  // One page of results: up to page_size runs (0: kDefaultResultsPageRuns) and no more
  // than kListPageBytes of them with their raw logs (at least one run); the per-device
  // aggregates (over all runs) come with the first page. next_page_token continues.
  absl::StatusOr<benchlab::v1::GetResultsResponse> GetResults(const benchlab::v1::GetResultsRequest& req);
  absl::StatusOr<benchlab::v1::CompareJobsResponse> CompareJobs(
      const benchlab::v1::CompareJobsRequest& req);
  // Registers a watcher and returns the snapshot (job + all runs; the service sends it
  // in messages of bounded size). When the job is
  // already finished the watcher is not registered (the caller ends after the snapshot).
  // ResourceExhausted beyond 1024 open watches.
  absl::StatusOr<benchlab::v1::WatchJobResponse> Watch(const std::string& job_id,
                                                       std::shared_ptr<JobWatcher> watcher);
  void Unwatch(const std::string& job_id, JobWatcher* watcher);
  // NotFound for an unknown device id.
  absl::Status CheckDevice(const std::string& device_id);

  // ---- artifact retention (artifact_care.cc) ----
  // Artifacts not pinned, not named by an unfinished job, and neither stored nor used by a
  // job within this long are deleted, record and file (artifact_retention.h). Zero: kept.
  void set_artifact_retention(absl::Duration retention);
  absl::Duration artifact_retention();
  // Deletes the expired artifacts, looking at most every tenth of the retention (at least
  // 1 s, at most 10 min apart; earlier calls return 0 at once); how many went. Holds
  // commit_mu_ throughout, so a job submitted meanwhile is either seen (its artifacts
  // kept) or sees the deletion (SubmitJob refuses it: upload again). Each deletion is
  // logged (event=artifact_deleted) and counted (CoreStats). The tick thread calls it.
  absl::StatusOr<int> SweepArtifacts() ABSL_LOCKS_EXCLUDED(mu_, commit_mu_);
  // Every artifact, newest first, with its pin, last use and whether a job not yet
  // finished names it.
  absl::StatusOr<std::vector<benchlab::v1::ArtifactRef>> ListArtifacts() ABSL_LOCKS_EXCLUDED(mu_);
  // Pins (kept whatever its age) or unpins an artifact. InvalidArgument for a malformed
  // sha256, NotFound for an artifact not on the coordinator.
  absl::StatusOr<benchlab::v1::ArtifactRef> PinArtifact(const std::string& sha256, bool pinned,
                                                        const std::string& by) ABSL_LOCKS_EXCLUDED(mu_, commit_mu_);

  // ---- device care (admin; device_care.cc) ----
  // Drains (DEVICE_STATE_DRAINED), puts in maintenance (DEVICE_STATE_MAINTENANCE, with a
  // note) or returns to service (DEVICE_STATE_UNSPECIFIED) a known phone: stored first,
  // then the scheduler starts no new run on it (a run it holds finishes). The same state
  // again changes nothing (its note may change). Returns the phone as ListDevices shows it.
  absl::StatusOr<benchlab::v1::Device> SetDeviceCare(const std::string& device_id, benchlab::v1::DeviceState state,
                                                      const std::string& note, const std::string& by);
  // Removes a phone gone for good from the inventory and the store; its queued runs end
  // FAILED device_forgotten (returned). FailedPrecondition while its agent is connected
  // and reports it, or a run holds it. It comes back as a new phone if it reappears.
  absl::StatusOr<std::vector<std::string>> ForgetDevice(const std::string& device_id, const std::string& by);

  // The process is stopping: every agent session is ended (UNAVAILABLE "shutting down"),
  // and sessions that end from now on are not treated as lost agents (their runs keep
  // their leases for the next start).
  void BeginShutdown();
  CoreStats Stats();

  LogHub* log_hub() { return log_hub_.get(); }
  // Bumped after every change of agents, phones or runs (the dashboard's live lab view
  // waits on it; ListAgents/ListDevices then give the new state).
  ChangeSignal* lab_changes() { return &lab_changes_; }
  ArtifactStore* artifacts() { return artifacts_; }
  // The only way to the Store, for the core and for readers that need no core state
  // (history): calling it with mu_ held does not compile in the thread-safety build, so no
  // SQLite call ever happens under the state's lock.
  Store* store() ABSL_LOCKS_EXCLUDED(mu_) { return store_; }
  Clock* clock() { return clock_; }

  // Ends runs past their deadline (timed_out) and leases idle phones. Called
  // periodically (the server's tick thread) and after every change.
  void Tick();

  // ---- paging ----
  // GetResults pages hold at most this many runs by default (GetResultsRequest.page_size
  // 0) and never more than kMaxResultsPageRuns; a page also ends at kListPageBytes.
  static constexpr int kDefaultResultsPageRuns = 1000;
  static constexpr int kMaxResultsPageRuns = 10000;

 private:
  Core(Store* store, ArtifactStore* artifacts, Clock* clock);
  absl::Status Load();
  // phone_tail > 0: the agent starts with that many of the phone's newest lines.
  void OnLogInterest(const std::string& device_id, bool enable, size_t phone_tail);

  // Stores planned run changes (one transaction), then applies and publishes them; a
  // failed write leaves memory as it was. OK for no changes.
  absl::Status CommitRuns(const std::vector<RunChange>& changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status StoreRuns(const std::vector<RunChange>& changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Jobs that just finished (their finished time is set in memory).
  void StoreFinishedJobs(const std::vector<benchlab::v1::Job>& jobs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Stores and adds pending until_decided runs, then leases idle phones, stores the
  // assignments and sends them (undone when the write fails).
  void Schedule() ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies stored changes, tells agents and watchers; returns the jobs that finished
  // (to store).
  std::vector<benchlab::v1::Job> ApplyLocked(const std::vector<RunChange>& changes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Announces jobs the ledger just marked finished (watchers, log); returns them to store.
  std::vector<benchlab::v1::Job> FinishJobsLocked(const std::vector<std::string>& job_ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Plans the end of every run leased to the agent's phones as device_lost (retried per
  // policy); holds of the agent's phones are released (no word will come from it).
  std::vector<RunChange> PlanAgentLostLocked(const std::string& agent_id, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateDeviceOnlineLocked(const std::string& device_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Last use and in_use of every artifact a job names (artifact_retention.h).
  ArtifactUses ArtifactUsesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // At submit, after a sweep deleted artifacts since the submit first looked: are the
  // spec's artifacts (record and file) still there? FailedPrecondition (upload again) if not.
  absl::Status RecheckArtifacts(const benchlab::v1::JobSpec& spec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  void SendToDeviceAgentLocked(const std::string& device_id, const benchlab::v1::CoordinatorMessage& m)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* const store_;
  ArtifactStore* const artifacts_;
  Clock* const clock_;
  std::unique_ptr<LogHub> log_hub_;
  ChangeSignal lab_changes_;

  absl::Mutex commit_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::Mutex mu_;
  Inventory inventory_ ABSL_GUARDED_BY(mu_);
  RunLedger ledger_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<JobWatcher>>> watchers_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration log_retention_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time next_log_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Jobs whose logs this process pruned (after a restart each is pruned once more: a
  // DELETE of nothing).
  absl::flat_hash_set<std::string> logs_pruned_ ABSL_GUARDED_BY(mu_);
  absl::Duration artifact_retention_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time next_artifact_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t artifacts_deleted_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t artifact_bytes_deleted_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped (under commit_mu_) before a sweep deletes anything: a SubmitJob that sees it
  // changed since it read its artifacts reads them again under commit_mu_.
  std::atomic<uint64_t> artifact_sweeps_deleting_{0};
  absl::Duration agent_grace_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  int64_t events_applied_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t events_duplicate_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t runs_retried_ ABSL_GUARDED_BY(mu_) = 0;
  // Counts a change into failures_ and the histograms.
  void ObserveLocked(const RunChange& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::map<std::pair<benchlab::v1::ErrorClass, bool>, int64_t> failures_ ABSL_GUARDED_BY(mu_);
  // Self-locking (observed under mu_ too, which is fine: their lock is a leaf).
  exposition::BucketHistogram queue_wait_seconds_;
  exposition::BucketHistogram run_duration_seconds_;
  // WatchJob streams open, across jobs (bounded: each holds a reactor and its queue).
  size_t watchers_total_ ABSL_GUARDED_BY(mu_) = 0;
  static constexpr size_t kMaxWatchers = 1024;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_CORE_H_
