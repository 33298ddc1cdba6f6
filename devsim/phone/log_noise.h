// LogNoise: what other processes on a phone log while nothing happens: every 0.5-1 s a
// few system lines, and now and then a `tflite` line from Google Play services, so a
// client that filters by tag instead of pid gets it wrong, as on a real phone.
// Runs on the shared Scheduler (no thread of its own).
//
// Threading: thread-safe; the ticks run on the Scheduler thread.
#ifndef BENCHLAB_DEVSIM_PHONE_LOG_NOISE_H_
#define BENCHLAB_DEVSIM_PHONE_LOG_NOISE_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "devsim/phone/log_buffer.h"

namespace benchlab::devsim {

class LogNoise {
 public:
  LogNoise(uint64_t seed, const std::string& serial, LogBuffer& logs);
  ~LogNoise();  // cancels the ticks (waits for one in progress)

  void SetEnabled(bool on);

 private:
  void Tick();
  void ScheduleNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  LogBuffer& logs_;
  const uint64_t group_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  bool enabled_ ABSL_GUARDED_BY(mu_) = true;
  bool scheduled_ ABSL_GUARDED_BY(mu_) = false;
  int ticks_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_LOG_NOISE_H_
