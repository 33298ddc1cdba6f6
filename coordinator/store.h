// The coordinator's durable state, as a seam: services talk to Store, tests may swap it.
// Records are the API protos (serialized) plus the columns needed to find them; the
// coordinator core keeps a working copy in memory and writes every change through.
// Thread-safety: implementations are safe to call from any thread.
#ifndef BENCHLAB_COORDINATOR_STORE_H_
#define BENCHLAB_COORDINATOR_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab::coordinator {

struct StoredJob {
  benchlab::v1::Job job;
  int64_t seq = 0;          // creation order
  std::string request_id;   // SubmitJobRequest.request_id ("" when none)
};

struct StoredDevice {
  benchlab::v1::DeviceInfo info;
  int64_t last_seen_unix_ms = 0;
};

// An admin's hold on a phone (device care): drained or in maintenance, since when, by whom.
struct DeviceCare {
  std::string device_id;
  // DRAINED or MAINTENANCE; UNSPECIFIED: no care (the phone takes runs).
  benchlab::v1::DeviceState state = benchlab::v1::DEVICE_STATE_UNSPECIFIED;
  std::string note;
  std::string by;
  int64_t since_unix_ms = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::Status PutAgent(const benchlab::v1::Agent& agent) = 0;
  virtual absl::StatusOr<std::vector<benchlab::v1::Agent>> ListAgents() = 0;

  // Keyed by info.device_id.
  virtual absl::Status PutDevice(const StoredDevice& device) = 0;
  virtual absl::StatusOr<std::vector<StoredDevice>> ListDevices() = 0;

  virtual absl::Status PutArtifact(const benchlab::v1::ArtifactRef& artifact) = 0;
  // nullopt when unknown.
  virtual absl::StatusOr<std::optional<benchlab::v1::ArtifactRef>> GetArtifact(
      const std::string& sha256) = 0;

  // Creates a job and its runs in one transaction. AlreadyExists for a duplicate job id.
  virtual absl::Status CreateJob(const StoredJob& job,
                                 const std::vector<benchlab::v1::Run>& runs) = 0;
  virtual absl::Status PutJob(const benchlab::v1::Job& job) = 0;
  // Every job, oldest first.
  virtual absl::StatusOr<std::vector<StoredJob>> LoadJobs() = 0;

  // Replaces a run (keyed by run_id). raw_log is not stored here (see AppendRawLog).
  virtual absl::Status PutRun(const benchlab::v1::Run& run) = 0;
  // Replaces several runs in one transaction (one sync to disk for all of them).
  virtual absl::Status PutRuns(const std::vector<benchlab::v1::Run>& runs) = 0;
  virtual absl::StatusOr<std::vector<benchlab::v1::Run>> LoadRuns() = 0;
  // The runs of one job, in the order they were first stored (history reads one job at a
  // time, so its memory is one job's runs). The default filters LoadRuns; SqliteStore
  // answers from its index on job_id.
  virtual absl::StatusOr<std::vector<benchlab::v1::Run>> LoadJobRuns(const std::string& job_id) {
    auto all = LoadRuns();
    if (!all.ok()) return all.status();
    std::vector<benchlab::v1::Run> out;
    for (auto& r : *all) {
      if (r.job_id() == job_id) out.push_back(std::move(r));
    }
    return out;
  }

  // Applies one agent event at most once, atomically: records (agent_id, event_id);
  // if it was new, stores `run` (when not null) and appends `raw_lines` to the run's
  // log. Returns false when the event had been applied before (nothing changed).
  virtual absl::StatusOr<bool> ApplyEvent(const std::string& agent_id,
                                          const std::string& event_id,
                                          const benchlab::v1::Run* run,
                                          const std::vector<std::string>& raw_lines) = 0;
  // A run's op profile rows (stored by PutRun/ApplyEvent from Run.ops, apart from the
  // run's record); empty when it has none or the store keeps none.
  virtual absl::StatusOr<std::vector<benchlab::v1::OpProfileRow>> RunOps(const std::string& run_id) {
    return std::vector<benchlab::v1::OpProfileRow>{};
  }
  // The run's raw log lines, in order.
  virtual absl::StatusOr<std::vector<std::string>> RawLog(const std::string& run_id) = 0;
  // Deletes the raw log lines of these runs (log retention), in one transaction; returns
  // how many lines went.
  virtual absl::StatusOr<int64_t> PruneRunLogs(const std::vector<std::string>& run_ids) = 0;

  // ---- artifact retention (SqliteStore; a store without it lists nothing and refuses the
  // changes) ----
  // Every artifact, pinned and stored_unix_ms from their columns, newest stored first.
  virtual absl::StatusOr<std::vector<benchlab::v1::ArtifactRef>> ListArtifacts() {
    return std::vector<benchlab::v1::ArtifactRef>{};
  }
  // Pins or unpins; false when the artifact is unknown.
  virtual absl::StatusOr<bool> SetArtifactPinned(const std::string& sha256, bool pinned) {
    return absl::UnimplementedError("this store cannot pin artifacts");
  }
  // Deletes the artifact's record (nothing when absent).
  virtual absl::Status DeleteArtifact(const std::string& sha256) {
    return absl::UnimplementedError("this store cannot delete artifacts");
  }

  // ---- device care and the audit log (SqliteStore; a store without them refuses the
  // writes and lists nothing) ----
  // Keyed by device_id; replaces what was there.
  virtual absl::Status PutDeviceCare(const DeviceCare& care) {
    return absl::UnimplementedError("this store keeps no device care");
  }
  virtual absl::Status ClearDeviceCare(const std::string& device_id) { return PutDeviceCare({}); }
  virtual absl::StatusOr<std::vector<DeviceCare>> ListDeviceCare() { return std::vector<DeviceCare>{}; }
  // Deletes the device's row and its care in one transaction (the phone is gone for good).
  virtual absl::Status ForgetDevice(const std::string& device_id) {
    return absl::UnimplementedError("this store cannot forget devices");
  }
  // Appends one entry; sets its seq.
  virtual absl::Status AppendAudit(benchlab::v1::AuditEntry* entry) {
    return absl::UnimplementedError("this store keeps no audit log");
  }
  // Entries with unix_ms >= since_unix_ms, the newest `limit` of them, oldest first.
  virtual absl::StatusOr<benchlab::v1::ListAuditResponse> ListAudit(int64_t since_unix_ms, int limit) {
    return benchlab::v1::ListAuditResponse();
  }
};

// Opens (creating if needed) the SQLite database `path` in WAL mode.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_STORE_H_
