// What a probe learned about one phone, kept for the process: keyed by serial and checked
// against the adb transport id, so a reconnected (maybe other) phone on the same serial is
// probed again. Used by the clock probe (phone_clock.h) and the hash-tool probe
// (phone_hash.h).
//
// Threading: thread-safe; runs on different phones probe at once.
#ifndef BENCHLAB_AGENT_RUN_PHONE_PROBE_CACHE_H_
#define BENCHLAB_AGENT_RUN_PHONE_PROBE_CACHE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"

namespace benchlab::agent {

// The transport id adb gives `serial` now; 0 when it is not listed (or adb fails).
int64_t PhoneTransportId(adb::AdbClient& adb, const std::string& serial, absl::Time deadline);

template <typename Caps>
class PhoneProbeCache {
 public:
  using Probe = std::function<absl::StatusOr<Caps>()>;

  // The cached result for this phone, or `probe()`'s (cached when ok).
  absl::StatusOr<Caps> Get(adb::AdbClient& adb, const std::string& serial, absl::Time deadline,
                           const Probe& probe) {
    const int64_t transport = PhoneTransportId(adb, serial, deadline);
    {
      absl::MutexLock lock(&mu_);
      auto it = by_serial_.find(serial);
      if (it != by_serial_.end() && it->second.first == transport) return it->second.second;
    }
    absl::StatusOr<Caps> probed = probe();
    if (!probed.ok()) return probed.status();
    absl::MutexLock lock(&mu_);
    by_serial_[serial] = {transport, *probed};
    return probed;
  }

  void Forget(const std::string& serial) {
    absl::MutexLock lock(&mu_);
    by_serial_.erase(serial);
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::pair<int64_t, Caps>> by_serial_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_PHONE_PROBE_CACHE_H_
