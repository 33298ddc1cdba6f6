// Newton cooling toward ambient (time constant 60 s) plus heat per second of load, capped
// where a phone would throttle hard.
#include "devsim/phone/battery.h"

#include <algorithm>
#include <cmath>

namespace benchlab::devsim {
namespace {
constexpr double kCoolTauSec = 60.0;
constexpr double kHeatPerLoadSecC = 1.0;  // °C per second of benchmark at full load
constexpr double kMaxTempC = 48.0;
}  // namespace

Battery::Battery(int level, double temp_c)
    : ambient_c_(temp_c), level_(level), temp_c_(temp_c), time_(absl::Now()) {}

int Battery::level() const {
  absl::ReaderMutexLock lock(&mu_);
  return level_;
}

double Battery::TempAtLocked(absl::Time now) const {
  const double dt = std::max(0.0, absl::ToDoubleSeconds(now - time_));
  return ambient_c_ + (temp_c_ - ambient_c_) * std::exp(-dt / kCoolTauSec);
}

double Battery::temp_c() const {
  absl::ReaderMutexLock lock(&mu_);
  return TempAtLocked(absl::Now());
}

void Battery::Heat(absl::Duration busy, double load) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  const double t = TempAtLocked(now);
  temp_c_ = std::min(kMaxTempC, t + kHeatPerLoadSecC * load * absl::ToDoubleSeconds(busy));
  time_ = now;
  // A run costs a little charge now and then; never below 5%.
  if (busy > absl::Seconds(2) && level_ > 5) --level_;
}

void Battery::SetTemp(double temp_c) {
  absl::MutexLock lock(&mu_);
  temp_c_ = temp_c;
  time_ = absl::Now();
}

}  // namespace benchlab::devsim
