// Backoff: exponential ceiling, full jitter, seeded generator.
#include "agent/link/backoff.h"

#include <algorithm>

namespace benchlab::agent::link {

Backoff::Backoff(BackoffOptions options, uint64_t seed)
    : options_(options), rng_(seed), ceiling_(options.initial) {}

absl::Duration Backoff::Uniform(absl::Duration lo, absl::Duration hi) {
  if (hi <= lo) return lo;
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return lo + (hi - lo) * dist(rng_);
}

absl::Duration Backoff::Next() {
  absl::Duration wait = Uniform(absl::ZeroDuration(), ceiling_);
  ceiling_ = std::min(options_.max, ceiling_ * options_.factor);
  return wait;
}

absl::Duration Backoff::NextAtMax() {
  ceiling_ = options_.max;
  return Uniform(options_.max / 2, options_.max);
}

void Backoff::Reset() { ceiling_ = options_.initial; }

}  // namespace benchlab::agent::link
