// PerfKnobs: what the lab does to a phone's numbers on purpose, so detection can be
// measured: run-to-run noise (--noise-cv), a slow sinusoidal drift (--drift-pct), and
// slowdowns of chosen models by the sha256 of their bytes (--slowdown, devsimctl slowdown).
//
// Threading: thread-safe.
#ifndef BENCHLAB_DEVSIM_PHONE_PERF_KNOBS_H_
#define BENCHLAB_DEVSIM_PHONE_PERF_KNOBS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace benchlab::devsim {

class PerfKnobs {
 public:
  // `phase_seed` spreads the drift's phase between phones.
  PerfKnobs(double noise_cv_pct, double drift_pct, double drift_period_s, uint64_t phase_seed);

  // Run-to-run coefficient of variation as a fraction (1.5 % -> 0.015).
  double noise_cv() const;
  void SetNoiseCvPct(double pct);
  // The drift's factor at `sim_s` simulated seconds since the phone started:
  // 1 + drift_pct/100 * sin(2π sim_s / period + phase).
  double DriftFactor(double sim_s) const;

  // Makes the model whose sha256 is `sha256_hex` (64 hex digits, any case) `pct` % slower
  // (negative: faster, above -90). 0 removes it. InvalidArgument for a bad hash or percentage.
  absl::Status SetSlowdown(absl::string_view sha256_hex, double pct);
  void ClearSlowdowns();
  // 1 + pct/100 for that model, 1 when none is set.
  double SlowdownFactor(absl::string_view sha256_hex) const;
  bool HasSlowdowns() const;
  // "sha:pct,sha:pct" sorted, "none" when empty (for devsimctl status).
  std::string SlowdownsText() const;

 private:
  const double drift_;
  const double drift_period_s_;
  const double phase_;
  mutable absl::Mutex mu_;
  double noise_cv_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, double> slowdowns_ ABSL_GUARDED_BY(mu_);  // lower-case hex -> pct
};

// Parses "[INDEX=]SHA256:PCT" (the --slowdown flag). `index` is -1 without "INDEX=".
absl::Status ParseSlowdownSpec(absl::string_view spec, int* index, std::string* sha256_hex,
                               double* pct);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_PERF_KNOBS_H_
