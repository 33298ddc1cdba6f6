// Cancellation of long-running adb streams (shell, logcat, track-devices) from another
// thread: Cancel() sets a flag and shuts the stream's socket down so a blocked read wakes.
#ifndef BENCHLAB_AGENT_ADB_ADB_CANCEL_H_
#define BENCHLAB_AGENT_ADB_ADB_CANCEL_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_socket.h"

namespace benchlab::adb {

// Threads: Cancel() and cancelled() from any thread; Attach/Detach/SleepFor from the one
// thread running the stream. One AdbCancel serves one stream call at a time.
class AdbCancel {
 public:
  // Stops the stream: the running call returns Cancelled soon (within one socket wakeup).
  // Idempotent; a later stream call with this object returns Cancelled at once.
  void Cancel();
  bool cancelled() const;

  // For AdbClient: the socket Cancel() must shut down. Returns false (and does not
  // attach) when already cancelled. Attach(nullptr) always detaches (call it before the
  // socket is destroyed).
  bool Attach(AdbSocket* socket);
  // Sleeps up to `d`; returns true when cancelled meanwhile (at once if already).
  bool SleepFor(absl::Duration d);

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  AdbSocket* socket_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace benchlab::adb

#endif  // BENCHLAB_AGENT_ADB_ADB_CANCEL_H_
