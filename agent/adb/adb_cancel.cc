// AdbCancel: flag + socket shutdown, so a stream blocked in a read wakes up at once.
#include "agent/adb/adb_cancel.h"

namespace benchlab::adb {

void AdbCancel::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (socket_ != nullptr) socket_->Shutdown();
}

bool AdbCancel::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool AdbCancel::Attach(AdbSocket* socket) {
  absl::MutexLock lock(&mu_);
  if (socket == nullptr) {  // detaching always works, so the socket can be destroyed
    socket_ = nullptr;
    return !cancelled_;
  }
  if (cancelled_) return false;
  socket_ = socket;
  return true;
}

bool AdbCancel::SleepFor(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  const absl::Time until = absl::Now() + d;
  // Await with a deadline returns early once cancelled_ turns true.
  mu_.AwaitWithDeadline(absl::Condition(&cancelled_), until);
  return cancelled_;
}

}  // namespace benchlab::adb
