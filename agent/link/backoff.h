// Backoff: how long the agent waits before redialling the coordinator. Exponential with
// "full jitter" (a uniform pick in [0, ceiling]), so many agents that lost the coordinator
// at the same moment spread their redials instead of arriving together.
#ifndef BENCHLAB_AGENT_LINK_BACKOFF_H_
#define BENCHLAB_AGENT_LINK_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace benchlab::agent::link {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(500);
  absl::Duration max = absl::Seconds(30);
  double factor = 2.0;
};

// Not thread-safe: owned and used by one thread (the link's session thread).
class Backoff {
 public:
  // `seed` makes the jitter reproducible (tests); production seeds from std::random_device.
  Backoff(BackoffOptions options, uint64_t seed);

  // The next wait: uniform in [0, ceiling], then the ceiling grows by `factor` up to `max`.
  absl::Duration Next();
  // A wait at the top of the range, uniform in [max/2, max]: for a failure that retrying
  // soon cannot fix (e.g. another live agent holds our identity).
  absl::Duration NextAtMax();
  // After a success: the next failure waits at most `initial` again.
  void Reset();
  // The current ceiling of Next().
  absl::Duration ceiling() const { return ceiling_; }

 private:
  absl::Duration Uniform(absl::Duration lo, absl::Duration hi);

  const BackoffOptions options_;
  std::mt19937_64 rng_;
  absl::Duration ceiling_;
};

}  // namespace benchlab::agent::link

#endif  // BENCHLAB_AGENT_LINK_BACKOFF_H_
