// The host's phones as a settled list: follows adb's track-devices stream and reports a
// phone's change only once it has held for `settle` (a phone blinks "offline" for a
// moment when plugged in; the coordinator should not see the blink).
#ifndef BENCHLAB_AGENT_RUN_DEVICE_TRACKER_H_
#define BENCHLAB_AGENT_RUN_DEVICE_TRACKER_H_

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_cancel.h"
#include "agent/adb/adb_client.h"

namespace benchlab::agent {

struct DeviceTrackerOptions {
  absl::Duration settle = absl::Seconds(1);
  // adb's server does not tell track-devices when a network (adb connect) phone's link
  // drops: `adb devices` says "offline" but no update is pushed until something else
  // changes. A full list is read this often as well, to catch those.
  absl::Duration resync = absl::Seconds(5);
};

// Threads: Start() runs three threads: one reading track-devices, one re-reading the
// list every `resync`, and one committing settled changes; on_change runs on the latter, one call at a time, and must not block for long.
// Current() and Stop() may be called from any thread.
class DeviceTracker {
 public:
  // `removed` is true when the phone left adb's list; `device` then holds its last state.
  using OnChange = std::function<void(const adb::AdbDevice& device, bool removed)>;

  DeviceTracker(adb::AdbClient* adb, OnChange on_change, DeviceTrackerOptions options = {});
  ~DeviceTracker();
  DeviceTracker(const DeviceTracker&) = delete;
  DeviceTracker& operator=(const DeviceTracker&) = delete;

  // Follows adb's device list (with a null AdbClient only the settling runs, for tests
  // that feed OnSnapshot themselves).
  void Start();
  void Stop();  // idempotent; joins the threads

  // The settled list, by serial.
  std::vector<adb::AdbDevice> Current() const;
  // True once the first snapshot arrived (it is taken as settled at once).
  bool WaitForFirstSnapshot(absl::Duration timeout) const;

  // What the track-devices thread calls; public so tests can feed snapshots directly.
  void OnSnapshot(const std::vector<adb::AdbDevice>& snapshot);

 private:
  struct Pending {
    adb::AdbDevice device;
    bool removed = false;
    absl::Time since;
  };
  void SettleLoop();
  void ResyncLoop();

  adb::AdbClient* adb_;
  OnChange on_change_;
  DeviceTrackerOptions options_;
  adb::AdbCancel track_cancel_;
  std::thread track_thread_;
  std::thread settle_thread_;
  std::thread resync_thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool have_snapshot_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, adb::AdbDevice> settled_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped on every snapshot
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_DEVICE_TRACKER_H_
