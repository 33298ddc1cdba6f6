// Charge level over simulated time: a charger adds a fixed rate, load takes charge away.
#include "devsim/phone/battery.h"

#include <algorithm>
#include <cmath>

namespace benchlab::devsim {
namespace {
// % per simulated second while idle on a charger: USB 500 mA fills a 4500 mAh battery in
// about 9 h; AC and wireless about 2 h.
double ChargeRate(Charger c) {
  switch (c) {
    case Charger::kNone:
      return 0;
    case Charger::kUsb:
      return 100.0 / (9 * 3600);
    case Charger::kAc:
    case Charger::kWireless:
      return 100.0 / (2 * 3600);
  }
  return 0;
}
constexpr double kDrainPctPerLoadS = 1.0 / 40;
}  // namespace

bool ParseCharger(absl::string_view name, Charger* out) {
  if (name == "none") *out = Charger::kNone;
  else if (name == "usb") *out = Charger::kUsb;
  else if (name == "ac") *out = Charger::kAc;
  else if (name == "wireless") *out = Charger::kWireless;
  else return false;
  return true;
}

const char* ChargerName(Charger charger) {
  switch (charger) {
    case Charger::kNone:
      return "none";
    case Charger::kUsb:
      return "usb";
    case Charger::kAc:
      return "ac";
    case Charger::kWireless:
      return "wireless";
  }
  return "none";
}

Battery::Battery(int level, const Thermal& thermal)
    : thermal_(thermal), level_(std::clamp(level, 0, 100)), time_(thermal.Now()) {}

double Battery::LevelAtLocked(absl::Time now) const {
  return std::min(100.0, level_ + ChargeRate(charger_) * thermal_.SimSeconds(time_, now));
}

int Battery::level() const {
  absl::ReaderMutexLock lock(&mu_);
  return static_cast<int>(std::floor(LevelAtLocked(thermal_.Now())));
}

Charger Battery::charger() const {
  absl::ReaderMutexLock lock(&mu_);
  return charger_;
}

int Battery::status() const {
  absl::ReaderMutexLock lock(&mu_);
  if (charger_ == Charger::kNone) return kBatteryStatusDischarging;
  return LevelAtLocked(thermal_.Now()) >= 100.0 ? kBatteryStatusFull : kBatteryStatusCharging;
}

void Battery::Drain(double busy_s, double load) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = thermal_.Now();
  level_ = LevelAtLocked(now);
  time_ = now;
  if (charger_ != Charger::kNone) return;
  level_ = std::max(1.0, level_ - kDrainPctPerLoadS * std::max(0.0, load) * std::max(0.0, busy_s));
}

void Battery::SetLevel(int level) {
  absl::MutexLock lock(&mu_);
  level_ = std::clamp(level, 0, 100);
  time_ = thermal_.Now();
}

void Battery::SetCharger(Charger charger) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = thermal_.Now();
  level_ = LevelAtLocked(now);
  time_ = now;
  charger_ = charger;
}

}  // namespace benchlab::devsim
