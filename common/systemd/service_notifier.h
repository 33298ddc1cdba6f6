// Tells systemd how a daemon is doing, for units of Type=notify with WatchdogSec: ready
// once it serves, alive while its own work still moves, stopping on SIGTERM. A daemon
// that hangs (a deadlock, a stuck loop) stops saying it is alive and systemd restarts it
// (Restart=on-failure); one that never gets ready fails its start after TimeoutStartSec.
// Outside systemd ($NOTIFY_SOCKET unset: tests, a shell) every call does nothing.
// Thread-safety: every method may be called from any thread.
#ifndef BENCHLAB_COMMON_SYSTEMD_SERVICE_NOTIFIER_H_
#define BENCHLAB_COMMON_SYSTEMD_SERVICE_NOTIFIER_H_

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace benchlab {

class ServiceNotifier {
 public:
  // Reads $WATCHDOG_USEC (and $WATCHDOG_PID) as systemd sets them for this process.
  ServiceNotifier();

  // READY=1 with a status line (`systemctl status` shows it).
  void Ready(absl::string_view status);
  // STOPPING=1: the stop is expected, not a hang.
  void Stopping();
  // WATCHDOG=1. Callers ping only after checking their own work still moves, at least
  // every ping_interval().
  void Alive();

  // Whether systemd expects Alive() pings.
  bool watchdog() const { return watchdog_ != absl::ZeroDuration(); }
  // Half of WatchdogSec (systemd's advice), or InfiniteDuration without a watchdog.
  absl::Duration ping_interval() const;

 private:
  absl::Duration watchdog_ = absl::ZeroDuration();
};

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_SYSTEMD_SERVICE_NOTIFIER_H_
