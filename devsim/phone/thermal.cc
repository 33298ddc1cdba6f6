// Newton cooling toward ambient, saturating heat input, and the throttle curve.
#include "devsim/phone/thermal.h"

#include <algorithm>
#include <cmath>

namespace benchlab::devsim {
namespace {
constexpr double kBatteryShare = 0.6;  // battery excess / SoC excess
constexpr double kSkinShare = 0.75;
constexpr double kStatusStepC = 4.0;
constexpr double kFreqLossPerC = 0.05;
constexpr double kMinFreqFactor = 0.45;
}  // namespace

Thermal::Thermal(double ambient_c, ThermalOptions options, Clock clock)
    : ambient_c_(ambient_c),
      options_(options),
      clock_(clock ? std::move(clock) : Clock([] { return absl::Now(); })),
      soc_c_(ambient_c),
      time_(clock_()) {}

double Thermal::SimSeconds(absl::Time from, absl::Time to) const {
  return std::max(0.0, absl::ToDoubleSeconds(to - from)) * options_.time_scale;
}

double Thermal::SocAtLocked(absl::Time now) const {
  const double dt = SimSeconds(time_, now);
  return ambient_c_ + (soc_c_ - ambient_c_) * std::exp(-dt / std::max(0.001, options_.tau_s));
}

double Thermal::soc_c() const {
  absl::ReaderMutexLock lock(&mu_);
  return SocAtLocked(clock_());
}

double Thermal::battery_c() const { return ambient_c_ + kBatteryShare * (soc_c() - ambient_c_); }

double Thermal::skin_c() const { return ambient_c_ + kSkinShare * (soc_c() - ambient_c_); }

ThermalStatus Thermal::status() const {
  const double over = soc_c() - options_.throttle_c;
  if (over < 0) return ThermalStatus::kNone;
  const int step = 1 + static_cast<int>(over / kStatusStepC);
  return static_cast<ThermalStatus>(std::min(step, static_cast<int>(ThermalStatus::kShutdown)));
}

double Thermal::big_freq_factor() const {
  const double over = soc_c() - options_.throttle_c;
  if (over <= 0) return 1.0;
  return std::max(kMinFreqFactor, 1.0 - kFreqLossPerC * over);
}

void Thermal::Heat(double busy_s, double load) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_();
  const double t = SocAtLocked(now);
  // Heat input falls as the SoC nears its ceiling (the governor and the skin limit what a
  // phone can dissipate), so sustained load settles instead of running away.
  const double excess = std::max(0.0, t - ambient_c_);
  const double room = std::max(0.0, 1.0 - excess / options_.max_excess_c);
  const double add = options_.heat_c_per_s * std::max(0.0, load) * std::max(0.0, busy_s) * room;
  soc_c_ = std::min(ambient_c_ + options_.max_excess_c, t + add);
  time_ = now;
}

void Thermal::SetBatteryTemp(double battery_c) {
  SetSocTemp(ambient_c_ + (battery_c - ambient_c_) / kBatteryShare);
}

void Thermal::SetSocTemp(double soc_c) {
  absl::MutexLock lock(&mu_);
  soc_c_ = soc_c;
  time_ = clock_();
}

const char* ThermalStatusName(ThermalStatus status) {
  switch (status) {
    case ThermalStatus::kNone:
      return "NONE";
    case ThermalStatus::kLight:
      return "LIGHT";
    case ThermalStatus::kModerate:
      return "MODERATE";
    case ThermalStatus::kSevere:
      return "SEVERE";
    case ThermalStatus::kCritical:
      return "CRITICAL";
    case ThermalStatus::kEmergency:
      return "EMERGENCY";
    case ThermalStatus::kShutdown:
      return "SHUTDOWN";
  }
  return "NONE";
}

}  // namespace benchlab::devsim
