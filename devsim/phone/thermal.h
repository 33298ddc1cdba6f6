// Thermal: a phone's SoC temperature under benchmark load. Each run adds heat in proportion
// to its busy time and load (saturating toward a hot ceiling); at idle the excess over
// ambient decays exponentially (Newton cooling). Above the throttle point the kernel's
// thermal governor caps the big CPU clusters' frequency, and the thermal HAL's status rises
// NONE -> LIGHT -> MODERATE -> SEVERE -> ... . The battery's temperature follows the SoC's.
//
// Time runs `time_scale` times faster than the wall clock (tests shrink a 40 s time constant
// to a second or two). Threading: thread-safe.
#ifndef BENCHLAB_DEVSIM_PHONE_THERMAL_H_
#define BENCHLAB_DEVSIM_PHONE_THERMAL_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace benchlab::devsim {

struct ThermalOptions {
  double tau_s = 40;          // cooling time constant, simulated seconds
  double time_scale = 1;      // simulated seconds per wall second
  double throttle_c = 42;     // SoC temperature where the big clusters start to slow down
  double heat_c_per_s = 2.5;  // °C per simulated second of full load, far below the ceiling
  double max_excess_c = 28;   // the SoC never gets hotter than ambient + this
};

// android.os.Temperature's THROTTLING_* values (the thermal HAL's ThrottlingSeverity).
enum class ThermalStatus { kNone = 0, kLight, kModerate, kSevere, kCritical, kEmergency, kShutdown };

class Thermal {
 public:
  using Clock = std::function<absl::Time()>;
  // `ambient_c`: the room; the phone starts at it. `clock` defaults to absl::Now (tests
  // pass a fake one).
  Thermal(double ambient_c, ThermalOptions options, Clock clock = nullptr);

  double ambient_c() const { return ambient_c_; }
  const ThermalOptions& options() const { return options_; }
  // SoC (CPU) temperature now, °C.
  double soc_c() const;
  // Battery temperature now: ambient plus 60 % of the SoC's excess (the battery sits
  // under the SoC but has more mass).
  double battery_c() const;
  // Skin temperature now: ambient plus 75 % of the SoC's excess.
  double skin_c() const;
  // The thermal HAL's overall status, from the SoC temperature against the throttle point
  // (LIGHT at it, then one step per 4 °C).
  ThermalStatus status() const;
  // The big clusters' frequency cap as a fraction of their maximum: 1 up to the throttle
  // point, then 5 % less per °C above it, never below 45 %.
  double big_freq_factor() const;

  // Adds the heat of `busy_s` simulated seconds at relative load `load` (1.0 = every big
  // core busy). Saturates toward ambient + max_excess_c.
  void Heat(double busy_s, double load);
  // Sets the battery temperature (devsimctl temp / control port `temp`): the SoC is put
  // where the battery reads `battery_c`, and cooling restarts from now.
  void SetBatteryTemp(double battery_c);
  // Sets the SoC temperature directly.
  void SetSocTemp(double soc_c);

  // Simulated seconds between two wall times (the scale applied).
  double SimSeconds(absl::Time from, absl::Time to) const;
  absl::Time Now() const { return clock_(); }

 private:
  double SocAtLocked(absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const double ambient_c_;
  const ThermalOptions options_;
  const Clock clock_;
  mutable absl::Mutex mu_;
  double soc_c_ ABSL_GUARDED_BY(mu_);  // at time_
  absl::Time time_ ABSL_GUARDED_BY(mu_);
};

// "NONE", "LIGHT", ... (the names `devsimctl status` prints).
const char* ThermalStatusName(ThermalStatus status);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_THERMAL_H_
