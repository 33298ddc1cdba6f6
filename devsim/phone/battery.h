// Battery: charge level and charger of a phone. Benchmark load drains it unless a charger
// is connected; a charger fills it over (simulated) time. Its temperature is the thermal
// model's (thermal.h): the battery warms with the SoC.
//
// Threading: thread-safe.
#ifndef BENCHLAB_DEVSIM_PHONE_BATTERY_H_
#define BENCHLAB_DEVSIM_PHONE_BATTERY_H_

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "devsim/phone/thermal.h"

namespace benchlab::devsim {

// What powers the phone, as BatteryService reports it (AC / USB / Wireless powered).
enum class Charger { kNone, kUsb, kAc, kWireless };
// "none", "usb", "ac", "wireless"; false for anything else.
bool ParseCharger(absl::string_view name, Charger* out);
const char* ChargerName(Charger charger);

// BatteryManager.BATTERY_STATUS_*.
inline constexpr int kBatteryStatusCharging = 2;
inline constexpr int kBatteryStatusDischarging = 3;
inline constexpr int kBatteryStatusFull = 5;

class Battery {
 public:
  // Starts at `level` % on USB (a lab phone hangs on its host's cable). `thermal` gives the
  // temperature and the time scale and must outlive the battery.
  Battery(int level, const Thermal& thermal);

  int level() const;
  Charger charger() const;
  // BATTERY_STATUS_*: charging on a charger below 100 %, full at 100 %, else discharging.
  int status() const;
  // Battery temperature now, °C (the thermal model's).
  double temp_c() const { return thermal_.battery_c(); }

  // A run of `busy_s` simulated seconds at `load` (1.0 = every big core): 1 % per
  // 40 s of full load off the charge when no charger is connected (a USB charger keeps up).
  void Drain(double busy_s, double load);
  void SetLevel(int level);
  void SetCharger(Charger charger);

 private:
  double LevelAtLocked(absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const Thermal& thermal_;
  mutable absl::Mutex mu_;
  double level_ ABSL_GUARDED_BY(mu_);  // at time_, 0..100
  absl::Time time_ ABSL_GUARDED_BY(mu_);
  Charger charger_ ABSL_GUARDED_BY(mu_) = Charger::kUsb;
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_BATTERY_H_
