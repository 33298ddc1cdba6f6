// Time as a seam: the scheduler and services ask a Clock, so tests drive time by hand.
#ifndef BENCHLAB_COORDINATOR_CLOCK_H_
#define BENCHLAB_COORDINATOR_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace benchlab::coordinator {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

class RealClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

// Thread-safe manual clock for tests.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}
  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

inline int64_t ToUnixMs(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_CLOCK_H_
