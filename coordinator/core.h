// The coordinator's state machine: inventory (agents, devices), jobs and runs, leases
// (through Scheduler), event application (idempotent, through Store) and the fan-out of
// changes to agents and watchers. Transport-free: the gRPC services translate to calls
// here, and tests may drive it directly.
// Thread-safety: every public method may be called from any thread (gRPC callback
// threads, the tick thread); one mutex guards the state. Callbacks into AgentChannel and
// JobWatcher happen under that mutex and must not block or call back into Core.
#ifndef BENCHLAB_COORDINATOR_CORE_H_
#define BENCHLAB_COORDINATOR_CORE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "benchlab/v1/agent_link.pb.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/artifact_store.h"
#include "coordinator/clock.h"
#include "coordinator/job_counters.h"
#include "coordinator/log_hub.h"
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
  absl::StatusOr<benchlab::v1::GetResultsResponse> GetResults(const benchlab::v1::GetResultsRequest& req);
  absl::StatusOr<benchlab::v1::CompareJobsResponse> CompareJobs(
      const benchlab::v1::CompareJobsRequest& req);
  // Registers a watcher and returns the snapshot (job + all runs). When the job is
  // already finished the watcher is not registered (the caller ends after the snapshot).
  // ResourceExhausted beyond 1024 open watches.
  absl::StatusOr<benchlab::v1::WatchJobResponse> Watch(const std::string& job_id,
                                                       std::shared_ptr<JobWatcher> watcher);
  void Unwatch(const std::string& job_id, JobWatcher* watcher);
  // NotFound for an unknown device id.
  absl::Status CheckDevice(const std::string& device_id);

  // The process is stopping: sessions that end from now on are not treated as lost
  // agents (their runs keep their leases for the next start).
  void BeginShutdown();
  CoreStats Stats();

  LogHub* log_hub() { return log_hub_.get(); }
  ArtifactStore* artifacts() { return artifacts_; }

  // Ends runs past their deadline (timed_out) and leases idle phones. Called
  // periodically (the server's tick thread) and after every change.
  void Tick();

 private:
  struct AgentState {
    benchlab::v1::Agent info;
    std::shared_ptr<AgentChannel> channel;  // null when disconnected
    // When its session ended with runs still leased; InfinitePast when not waiting.
    absl::Time gone_at = absl::InfinitePast();
  };
  struct DeviceState {
    benchlab::v1::DeviceInfo info;
    int64_t last_seen_unix_ms = 0;
    // Non-empty: refused (kept offline) as a phone another agent already registered.
    std::string refused_reason;
    // PhoneIdentity of info as last indexed in devices_by_identity_.
    std::string identity;
  };
  struct JobState {
    benchlab::v1::Job job;
    int64_t seq = 0;
    std::vector<std::string> run_ids;
    // Kept by RunChangedLocked (every run state change passes there), Load and SubmitJob.
    JobCounters counts;
    std::vector<std::shared_ptr<JobWatcher>> watchers;
  };

  // One agent's devices. Device ids are "<agent_id>/<serial>" and agent ids hold no '/',
  // so they are one contiguous range of devices_: no walk over every phone of the lab.
  struct DeviceRange {
    std::map<std::string, DeviceState>::iterator first, last;
    auto begin() const { return first; }
    auto end() const { return last; }
  };

  Core(Store* store, ArtifactStore* artifacts, Clock* clock);
  absl::Status Load();
  // phone_tail > 0: the agent starts with that many of the phone's newest lines.
  void OnLogInterest(const std::string& device_id, bool enable, size_t phone_tail);

  void ScheduleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends a non-final run with an error; retried when retryable and attempts remain.
  // With notify_agent the agent is told to stop the attempt and its phone stays held until
  // the agent reports the attempt final; otherwise the agent no longer has it (gone, or
  // its hello did not list it) and the phone is free.
  void FailRunLocked(const std::string& run_id, benchlab::v1::ErrorClass error,
                     const std::string& message, bool notify_agent) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores and publishes a run change; finishes the job when all its runs are final.
  void RunChangedLocked(const benchlab::v1::Run& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  benchlab::v1::Job JobViewLocked(const JobState& js) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // JobViewLocked without device_ids (O(1) in the job's size): what watchers get per change.
  benchlab::v1::Job JobSummaryLocked(JobState& js) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends every run leased to the agent's phones as device_lost (retried per policy).
  void FailLeasesOfAgentLocked(const std::string& agent_id, const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateDeviceOnlineLocked(const std::string& device_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  DeviceRange AgentDevicesLocked(const std::string& agent_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refuses a phone that a different connected agent already registered: one phone
  // cannot hang off two hosts (two agents on one adb server report every phone twice).
  void CheckDuplicateLocked(const std::string& device_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> SelectLocked(const benchlab::v1::DeviceSelector& sel)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  SchedRun SchedRunLocked(const benchlab::v1::Run& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // [variants hook] Defined in variants.cc: after `run` became final, queues the next
  // ABBA block on its phone when the job is until_decided and that phone is inconclusive.
  void ExtendUntilDecidedLocked(JobState& js, const benchlab::v1::Run& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendToDeviceAgentLocked(const std::string& device_id, const benchlab::v1::CoordinatorMessage& m)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* const store_;
  ArtifactStore* const artifacts_;
  Clock* const clock_;
  std::unique_ptr<LogHub> log_hub_;

  absl::Mutex mu_;
  Scheduler scheduler_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, AgentState> agents_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, DeviceState> devices_ ABSL_GUARDED_BY(mu_);
  // Device ids by the physical phone they are (ro.serialno or a USB serial).
  absl::flat_hash_map<std::string, std::set<std::string>> devices_by_identity_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, JobState> jobs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, benchlab::v1::Run> runs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> request_ids_ ABSL_GUARDED_BY(mu_);
  int64_t next_job_seq_ ABSL_GUARDED_BY(mu_) = 1;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration agent_grace_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Duration queue_timeout_ ABSL_GUARDED_BY(mu_) = absl::Minutes(30);
  int64_t events_applied_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t events_duplicate_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t runs_retried_ ABSL_GUARDED_BY(mu_) = 0;
  // WatchJob streams open, across jobs (bounded: each holds a reactor and its queue).
  size_t watchers_total_ ABSL_GUARDED_BY(mu_) = 0;
  static constexpr size_t kMaxWatchers = 1024;
};

bool IsFinal(benchlab::v1::RunState s);
bool IsRetryable(benchlab::v1::ErrorClass e);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_CORE_H_
