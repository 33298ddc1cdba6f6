// dumpsys: the system services a lab reads run conditions from, in each release's format.
//   battery        BatteryService.dumpInternal (frameworks/base services/core/java/com/
//                  android/server/BatteryService.java): AC/USB/Wireless powered, status,
//                  level, temperature in tenths of °C. "Max charging current" from 7.0,
//                  "Max charging voltage" and "Charge counter" from 8.0, "Dock powered",
//                  "Charging state" and "Charging policy" from 14 (health HAL AIDL v2).
//   thermalservice ThermalManagerService.dump (services/core/java/com/android/server/
//                  power/ThermalManagerService.java), Android 10+: "Thermal Status: N",
//                  cached and HAL temperatures as android.os.Temperature.toString(), cooling
//                  devices as CoolingDevice.toString(); static thresholds from 11. Earlier
//                  releases have no such service.
//   power          PowerManagerService.dumpInternal: mWakefulness=Awake|Asleep and
//                  "Display Power: state=ON|OFF".
//   package NAME   shell_packages.cc.
// An unknown service: frameworks/native cmds/dumpsys/dumpsys.cpp prints "Can't find
// service: NAME" to stderr and still exits 0.
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/shell.h"
#include "devsim/phone/thermal.h"

namespace benchlab::devsim {
namespace {

std::string BatteryDump(PhoneState& p) {
  const int sdk = p.profile().sdk;
  const Battery& b = p.battery();
  const int level = b.level();
  const Charger charger = b.charger();
  const int temp_tenths = static_cast<int>(std::lround(b.temp_c() * 10));
  const auto yes = [](bool v) { return v ? "true" : "false"; };
  std::string out = "Current Battery Service state:\n";
  absl::StrAppend(&out, "  AC powered: ", yes(charger == Charger::kAc), "\n");
  absl::StrAppend(&out, "  USB powered: ", yes(charger == Charger::kUsb), "\n");
  absl::StrAppend(&out, "  Wireless powered: ", yes(charger == Charger::kWireless), "\n");
  if (sdk >= 34) out += "  Dock powered: false\n";
  if (sdk >= 24) {
    absl::StrAppend(&out, "  Max charging current: ",
                    charger == Charger::kNone ? 0 : (charger == Charger::kUsb ? 500000 : 3000000),
                    "\n");
  }
  if (sdk >= 26) {
    absl::StrAppend(&out, "  Max charging voltage: ", charger == Charger::kNone ? 0 : 5000000,
                    "\n  Charge counter: ", level * 45000, "\n");
  }
  absl::StrAppend(&out, "  status: ", b.status(), "\n  health: 2\n  present: true\n  level: ", level,
                  "\n  scale: 100\n  voltage: ", 3700 + level * 5, "\n  temperature: ", temp_tenths,
                  "\n  technology: Li-ion\n");
  if (sdk >= 34) {
    // health HAL BatteryChargingState: 1 NORMAL, 4 DISCHARGE... ; policy 1 DEFAULT.
    absl::StrAppend(&out, "  Charging state: ", charger == Charger::kNone ? 4 : 1,
                    "\n  Charging policy: 1\n");
  }
  return out;
}

// android.os.Temperature.toString(): the value is a Java float, printed as
// Float.toString does; values rounded to 0.1 °C print as "%.1f".
std::string TemperatureLine(double c, int type, const std::string& name, ThermalStatus status) {
  return absl::StrFormat("\tTemperature{mValue=%.1f, mType=%d, mName=%s, mStatus=%d}\n",
                         std::round(c * 10) / 10, type, name, static_cast<int>(status));
}

std::string ThermalDump(PhoneState& p) {
  // Temperature.TYPE_*: CPU 0, GPU 1, BATTERY 2, SKIN 3.
  const Thermal& t = p.thermal();
  const int sdk = p.profile().sdk;
  const ThermalStatus status = t.status();
  const double soc = t.soc_c();
  const std::string hal = sdk >= 33 ? "\tThermalHAL AIDL 1  connected: yes\n"
                                    : "\tThermalHAL 2.0 connected: yes\n";
  std::string temps;
  temps += TemperatureLine(t.battery_c(), 2, "battery", ThermalStatus::kNone);
  temps += TemperatureLine(t.skin_c(), 3, "skin", t.skin_c() >= t.options().throttle_c
                                                      ? ThermalStatus::kLight
                                                      : ThermalStatus::kNone);
  for (size_t i = 0; i < p.profile().clusters.size(); ++i) {
    temps += TemperatureLine(soc, 0, absl::StrCat("cpu", i), status);
  }
  std::string out = "IsStatusOverride: false\nThermalEventListeners:\n\tcallbacks: 1\n"
                    "\tkilled: false\n\tbroadcasts count: -1\nThermalStatusListeners:\n"
                    "\tcallbacks: 1\n\tkilled: false\n\tbroadcasts count: -1\n";
  absl::StrAppend(&out, "Thermal Status: ", static_cast<int>(status), "\n");
  // The cache holds what the HAL last notified: after the first throttling event, every
  // sensor it reported.
  out += "Cached temperatures:\n";
  if (status != ThermalStatus::kNone) out += temps;
  out += "HAL Ready: true\nHAL connection:\n" + hal;
  out += "Current temperatures from HAL:\n" + temps;
  out += "Current cooling devices from HAL:\n";
  // CoolingDevice.TYPE_CPU = 2: the throttling step of each big cluster.
  const int step = static_cast<int>(std::lround((1.0 - t.big_freq_factor()) * 20));
  for (size_t i = 1; i < p.profile().clusters.size(); ++i) {
    absl::StrAppend(&out, "\tCoolingDevice{mValue=", step, ", mType=2, mName=thermal-cpufreq-", i,
                    "}\n");
  }
  if (sdk >= 30) out += "Temperature static thresholds from HAL:\n";
  return out;
}

std::string PowerDump(PhoneState& p) {
  const bool on = p.screen_on();
  return absl::StrCat(
      "POWER MANAGER (dumpsys power)\n\nPower Manager State:\n  Settings power_manager_constants:\n"
      "  mDirty=0x0\n  mWakefulness=",
      on ? "Awake" : "Asleep", "\n  mWakefulnessChanging=false\n  mIsPowered=",
      p.battery().charger() != Charger::kNone ? "true" : "false",
      "\n  mPlugType=", static_cast<int>(p.battery().charger() == Charger::kAc    ? 1
                                         : p.battery().charger() == Charger::kUsb ? 2
                                         : p.battery().charger() == Charger::kWireless ? 4
                                                                                       : 0),
      "\n  mBatteryLevel=", p.battery().level(), "\n  mStayOn=false\n  mProximityPositive=false\n",
      "  mBootCompleted=true\n  mSystemReady=true\n  mDisplayReady=true\n\n",
      "Display Power: state=", on ? "ON" : "OFF", "\n");
}

int Dumpsys(ShellCall& c) {
  const int sdk = c.phone.profile().sdk;
  if (c.argv.size() >= 2 && c.argv[1] == "battery") return c.Out(BatteryDump(c.phone)) ? 0 : 1;
  if (c.argv.size() >= 3 && c.argv[1] == "package") return DumpsysPackage(c, c.argv[2]);
  if (c.argv.size() >= 2 && c.argv[1] == "power") return c.Out(PowerDump(c.phone)) ? 0 : 1;
  if (c.argv.size() >= 2 && c.argv[1] == "thermalservice" && sdk >= 29) {
    return c.Out(ThermalDump(c.phone)) ? 0 : 1;
  }
  if (c.argv.size() >= 2) {
    c.Err(absl::StrCat("Can't find service: ", c.argv[1], "\n"));
    return 0;  // real dumpsys says so and still exits 0
  }
  return c.Out(absl::StrCat("Currently running services:\n  activity\n  battery\n  package\n  power\n",
                            sdk >= 29 ? "  thermalservice\n" : ""))
             ? 0
             : 1;
}

}  // namespace

void RegisterDumpsysCommand(ShellCommandTable& t) { t["dumpsys"] = Dumpsys; }

}  // namespace benchlab::devsim
