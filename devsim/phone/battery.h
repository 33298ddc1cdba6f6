// Battery: level and temperature of a phone. Each benchmark run heats it; between runs it
// cools toward ambient exponentially over wall time, so back-to-back runs get hotter and
// slower (latency_model reads temp_c()) and a cooldown wait really helps.
//
// Threading: thread-safe.
#ifndef BENCHLAB_DEVSIM_PHONE_BATTERY_H_
#define BENCHLAB_DEVSIM_PHONE_BATTERY_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace benchlab::devsim {

class Battery {
 public:
  Battery(int level, double temp_c);

  int level() const;
  // Current temperature in °C (decayed toward ambient up to now).
  double temp_c() const;
  // Adds heat from a run of `busy` at relative load `load` (1.0 = all big cores).
  void Heat(absl::Duration busy, double load);
  // Sets the temperature (devsimctl temp); also restarts the decay from now.
  void SetTemp(double temp_c);
  double ambient_c() const { return ambient_c_; }

 private:
  double TempAtLocked(absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const double ambient_c_;
  mutable absl::Mutex mu_;
  int level_ ABSL_GUARDED_BY(mu_);
  double temp_c_ ABSL_GUARDED_BY(mu_);  // at time_
  absl::Time time_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_BATTERY_H_
