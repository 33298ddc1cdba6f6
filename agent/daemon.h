// The benchlab-agent daemon: keeps the host's phones known to the coordinator, runs the
// assignments it receives (one run per phone, phones in parallel), reports every step as
// durable run events, and streams a phone's logcat while the coordinator subscribes.
#ifndef BENCHLAB_AGENT_DAEMON_H_
#define BENCHLAB_AGENT_DAEMON_H_

#include <atomic>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"
#include "agent/agent_metrics.h"
#include "agent/link/artifact_cache.h"
#include "agent/link/coordinator_link.h"
#include "agent/link/outbox.h"
#include "agent/log_streamer.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/device_tracker.h"
#include "agent/run/phone_model_cap.h"
#include "common/exposition/endpoint.h"

namespace benchlab::agent {

struct DaemonOptions {
  link::LinkOptions link;      // coordinator address, credentials, agent id
  std::string state_dir;       // outbox/ and artifacts/ live here
  int adb_port = 0;            // 0: $ANDROID_ADB_SERVER_PORT, else 5037
  DeviceTrackerOptions tracker;
  uint64_t outbox_max_bytes = 64ull << 20;
  // The artifact cache's size cap (max_bytes, 0 = none) and download retries.
  link::ArtifactCacheOptions artifact_cache;
  // Model files kept in each phone's model folder after a run (phone_model_cap.h); 0 = no cap.
  int phone_max_models = 8;
  // How often an idle phone's run conditions are read (one shell call, run_conditions.h);
  // they go to the coordinator only when they changed. Zero: only with inventory changes
  // and after runs.
  absl::Duration conditions_interval = absl::Seconds(30);
  // HOST:PORT for Prometheus /metrics (agent_metrics.h); empty = off. Plain HTTP: keep it
  // on loopback or the lab's private network.
  std::string metrics_listen;
};

// Threads: Start() brings up the tracker, an inventory thread (reads a changed phone's
// properties and tells the coordinator, and every conditions_interval reads idle phones'
// conditions), the link, then one worker thread per phone that
// was ever assigned a run, and two per log subscription. A phone's worker runs one attempt
// (run_id, attempt) at a time: fetch, take the phone's lock (phone_lock.h), run, report
// the RunResult once the app is stopped, pause cooldown_s, release; assignments for a busy
// phone queue behind it. LinkHandler methods run on the link's thread and only hand work
// over. Stop() ends everything; attempts in progress are abandoned (the app force-stopped,
// no result sent) and queued ones dropped, so the coordinator retries them after our next
// hello does not list them.
class AgentDaemon : public link::LinkHandler {
 public:
  explicit AgentDaemon(DaemonOptions options);
  ~AgentDaemon() override;

  absl::Status Start();
  void Stop();
  // Returns once the daemon's state lock could be taken: the watchdog's proof that
  // assignments, cancels and inventory can still be handled (a deadlock blocks here, the
  // pings stop, systemd restarts the agent).
  void CheckAlive() ABSL_LOCKS_EXCLUDED(mu_);

  // LinkHandler.
  std::vector<benchlab::v1::DeviceInfo> CurrentDevices() override;
  std::vector<benchlab::v1::ActiveRun> ActiveRuns() override;
  void OnAssign(const benchlab::v1::RunAssignment& assignment) override;
  void OnCancel(const benchlab::v1::CancelRun& cancel) override;
  void OnLogSubscription(const benchlab::v1::LogSubscription& sub) override;
  void OnConnectionChange(bool connected) override;

 private:
  using AttemptKey = std::pair<std::string, int>;  // (run_id, attempt)
  struct Attempt {
    explicit Attempt(adb::AdbClient* adb) : runner(adb) {}
    benchlab::v1::RunAssignment assignment;
    BenchmarkRunner runner;
    std::atomic<bool> cancelled{false};  // also tells the fetch and the lock wait
    int seq = 0;  // event ids; used by whoever emits, one at a time (see Emit)
  };
  // One per phone, created with its first assignment and kept until Stop().
  struct PhoneWorker {
    std::string serial;
    std::deque<std::shared_ptr<Attempt>> queue;  // guarded by the daemon's mu_
    std::thread thread;
  };

  // At start: a result (device_lost) for every run the outbox holds events of but no result.
  void CloseRunsLostInARestart();
  void InventoryLoop();
  void RefreshDevice(const adb::AdbDevice& device, bool removed);
  // Reads the conditions of every online phone that holds no attempt and sends those that
  // changed (battery level or temperature, thermal status, charging, screen).
  void PollConditions();
  bool PhoneBusyLocked(const std::string& serial) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WorkerLoop(PhoneWorker* worker);
  // The whole attempt on the worker's thread; returns once its RunResult is out and the
  // phone has cooled for cooldown_s.
  void Execute(Attempt* attempt);
  // Stores and sends one event of the attempt with its next event id.
  void Emit(Attempt* attempt, benchlab::v1::RunEvent event);
  // Cancels a held attempt: a queued one leaves the queue and is returned (the caller
  // reports it CANCELLED outside mu_); a running one is told to stop.
  std::shared_ptr<Attempt> CancelLocked(const AttemptKey& key, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReportCancelledInQueue(Attempt* attempt);
  // The attempt said its last word: no longer held (hello), duplicates of it ignored.
  void MarkReported(const benchlab::v1::RunAssignment& a) ABSL_LOCKS_EXCLUDED(mu_);
  // The scrape-time gauges of /metrics.
  AgentGauges GaugesNow() ABSL_LOCKS_EXCLUDED(mu_);

  const DaemonOptions options_;
  std::unique_ptr<adb::AdbClient> adb_;
  int adb_port_ = 0;  // resolved; names the phones' lock files
  std::unique_ptr<link::Outbox> outbox_;
  std::unique_ptr<link::ArtifactCache> artifacts_;
  std::unique_ptr<PhoneModelCap> phone_models_;
  std::unique_ptr<link::CoordinatorLink> link_;
  std::unique_ptr<DeviceTracker> tracker_;
  std::thread inventory_thread_;
  AgentMetrics metrics_;
  std::atomic<bool> connected_{false};
  std::unique_ptr<exposition::MetricsEndpoint> metrics_endpoint_;  // null unless metrics_listen

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<adb::AdbDevice, bool>> inventory_queue_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, benchlab::v1::DeviceInfo> devices_ ABSL_GUARDED_BY(mu_);  // by serial
  std::map<std::string, std::unique_ptr<PhoneWorker>> workers_ ABSL_GUARDED_BY(mu_);  // by serial
  // Attempts queued or running (until their RunResult is out).
  std::map<AttemptKey, std::shared_ptr<Attempt>> attempts_ ABSL_GUARDED_BY(mu_);
  // Attempts whose RunResult is out, newest last (bounded): a re-sent assignment of one
  // is ignored rather than run twice.
  std::deque<AttemptKey> reported_order_ ABSL_GUARDED_BY(mu_);
  std::set<AttemptKey> reported_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<LogStreamer>> log_streams_ ABSL_GUARDED_BY(mu_);  // by serial
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_DAEMON_H_
