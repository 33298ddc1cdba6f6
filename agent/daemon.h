// The benchlab-agent daemon: keeps the host's phones known to the coordinator, runs the
// assignments it receives (one run per phone, phones in parallel), reports every step as
// durable run events, and streams a phone's logcat while the coordinator subscribes.
#ifndef BENCHLAB_AGENT_DAEMON_H_
#define BENCHLAB_AGENT_DAEMON_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "agent/adb/adb_client.h"
#include "agent/link/artifact_cache.h"
#include "agent/link/coordinator_link.h"
#include "agent/link/outbox.h"
#include "agent/log_streamer.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/device_tracker.h"

namespace benchlab::agent {

struct DaemonOptions {
  link::LinkOptions link;      // coordinator address, credentials, agent id
  std::string state_dir;       // outbox/ and artifacts/ live here
  int adb_port = 0;            // 0: $ANDROID_ADB_SERVER_PORT, else 5037
  DeviceTrackerOptions tracker;
  uint64_t outbox_max_bytes = 64ull << 20;
};

// Threads: Start() brings up the tracker, an inventory thread (reads a changed phone's
// properties and tells the coordinator), the link, and then one thread per run in
// progress and two per log subscription. LinkHandler methods run on the link's thread
// and only hand work over. Stop() ends everything; runs in progress are abandoned (the
// app force-stopped, no result sent) so the coordinator retries them after our next hello.
class AgentDaemon : public link::LinkHandler {
 public:
  explicit AgentDaemon(DaemonOptions options);
  ~AgentDaemon() override;

  absl::Status Start();
  void Stop();

  // LinkHandler.
  std::vector<benchlab::v1::DeviceInfo> CurrentDevices() override;
  std::vector<benchlab::v1::ActiveRun> ActiveRuns() override;
  void OnAssign(const benchlab::v1::RunAssignment& assignment) override;
  void OnCancel(const benchlab::v1::CancelRun& cancel) override;
  void OnLogSubscription(const benchlab::v1::LogSubscription& sub) override;
  void OnConnectionChange(bool connected) override;

 private:
  struct ActiveRunState {
    benchlab::v1::RunAssignment assignment;
    std::unique_ptr<BenchmarkRunner> runner;
    std::thread thread;
    bool finished = false;  // guarded by mu_; set as the thread's last act
    ~ActiveRunState() {
      if (thread.joinable()) thread.join();
    }
  };

  // At start: a result (device_lost) for every run the outbox holds events of but no result.
  void CloseRunsLostInARestart();
  void InventoryLoop();
  void RefreshDevice(const adb::AdbDevice& device, bool removed);
  void Execute(ActiveRunState* run);
  // Stores and sends one event of `a`'s run with the next event id.
  void Emit(const benchlab::v1::RunAssignment& a, int* seq, benchlab::v1::RunEvent event);
  // Removes finished runs from runs_; the caller joins them (by destroying) outside mu_.
  std::vector<std::unique_ptr<ActiveRunState>> TakeFinishedRuns() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DaemonOptions options_;
  std::unique_ptr<adb::AdbClient> adb_;
  std::unique_ptr<link::Outbox> outbox_;
  std::unique_ptr<link::ArtifactCache> artifacts_;
  std::unique_ptr<link::CoordinatorLink> link_;
  std::unique_ptr<DeviceTracker> tracker_;
  std::thread inventory_thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<adb::AdbDevice, bool>> inventory_queue_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, benchlab::v1::DeviceInfo> devices_ ABSL_GUARDED_BY(mu_);  // by serial
  std::map<std::string, std::unique_ptr<ActiveRunState>> runs_ ABSL_GUARDED_BY(mu_);  // by run_id
  std::map<std::string, std::unique_ptr<LogStreamer>> log_streams_ ABSL_GUARDED_BY(mu_);  // by serial
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_DAEMON_H_
