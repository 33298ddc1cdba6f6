// A per-phone lock that every benchlab-agent process on a host honours (the daemon's phone
// worker and `benchlab-agent bench`), so two never drive one phone at once. It is flock(2)
// on <dir>/adb-<port>-<serial>.lock, found without a coordinator by every process that
// talks to the same adb server; the kernel drops it when its holder dies.
#ifndef BENCHLAB_AGENT_RUN_PHONE_LOCK_H_
#define BENCHLAB_AGENT_RUN_PHONE_LOCK_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace benchlab::agent {

// $BENCHLAB_LOCK_DIR when set, else /tmp/benchlab-locks (created world-writable and
// sticky, so a daemon running as a service user and an engineer's `bench` share it).
std::string PhoneLockDir();

// The lock file of `serial` on the adb server at `adb_port` (the serial is made file-safe).
std::string PhoneLockPath(const std::string& dir, int adb_port, const std::string& serial);

// Holds the phone until destroyed (or the process ends).
class PhoneLock {
 public:
  ~PhoneLock();
  PhoneLock(const PhoneLock&) = delete;
  PhoneLock& operator=(const PhoneLock&) = delete;

  // Takes the lock, waiting until `deadline` (absl::InfinitePast(): one try only) while
  // `cancelled` (may be null) says false. `holder` ("benchlab-agent daemon run j1.0.0
  // attempt 2") is written into the file for whoever finds it taken. Errors:
  // Unavailable "phone S is in use by <holder>" when still taken at the deadline,
  // Cancelled when `cancelled` said so, or the file's error.
  static absl::StatusOr<std::unique_ptr<PhoneLock>> Acquire(
      int adb_port, const std::string& serial, const std::string& holder, absl::Time deadline,
      const std::function<bool()>& cancelled = nullptr);

 private:
  explicit PhoneLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_PHONE_LOCK_H_
