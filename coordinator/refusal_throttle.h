// How many refused credentials the audit log writes per caller address: every refusal
// is a synchronous SQLite write, so a client trying tokens in a loop would otherwise turn
// each try into one. Up to kPerMinute refusals a minute from one address are recorded;
// the rest are counted, and the next one recorded from that address says how many were
// not (the log line and its detail), so nothing is hidden, only summed.
// Thread-safety: every method may be called from any thread.
#ifndef BENCHLAB_COORDINATOR_REFUSAL_THROTTLE_H_
#define BENCHLAB_COORDINATOR_REFUSAL_THROTTLE_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace benchlab::coordinator {

class RefusalThrottle {
 public:
  static constexpr int kPerMinute = 20;
  // Addresses remembered at most (a spoofed-source flood cannot grow it without bound;
  // past it the oldest minute's counts are forgotten).
  static constexpr size_t kMaxAddresses = 10000;

  // Whether a refusal from `peer` at `now` is to be recorded; when it is, *unrecorded gets
  // how many from that address were not since the last recorded one.
  bool Admit(absl::string_view peer, absl::Time now, int64_t* unrecorded) ABSL_LOCKS_EXCLUDED(mu_);

  // "ipv4:10.0.0.7:53412" -> "ipv4:10.0.0.7", "http:[::1]:80" -> "http:[::1]": the caller's
  // address without its port, which changes with every connection.
  static std::string Address(absl::string_view peer);

 private:
  struct Window {
    absl::Time start;
    int recorded = 0;
    int64_t unrecorded = 0;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_REFUSAL_THROTTLE_H_
