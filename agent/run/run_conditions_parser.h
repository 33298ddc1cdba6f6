// The text a phone prints for the run-conditions script (run_conditions.h) into a
// RunConditions proto. The layout (section markers and the sysfs files read, in order) is
// defined here so the script and the parser cannot disagree. Anything missing or odd
// leaves its field unset; parsing never fails.
#ifndef BENCHLAB_AGENT_RUN_RUN_CONDITIONS_PARSER_H_
#define BENCHLAB_AGENT_RUN_RUN_CONDITIONS_PARSER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::agent {

// CPUs and thermal zones the script asks for by number (the phone's shell is used
// without loops or globs, so the names are spelled out): cpu0..cpu11 covers every
// phone SoC in use (10-core MediaTek parts at most); zones beyond 11 are rarely the
// interesting ones and Android 10+ phones report the thermal HAL's sensors instead.
inline constexpr int kConditionCpus = 12;
inline constexpr int kConditionThermalZones = 12;

// The script's sections, in the order it prints them. Each starts with a line
// "==benchlab:<name>==".
enum class ConditionsSection { kCpu, kThermalZones, kBattery, kThermal, kPower, kMemory, kBuild, kPackage };
std::string SectionMarker(ConditionsSection section);

// Files of the kCpu section, relative to /sys/devices/system/cpu: "online", then per CPU
// related_cpus, scaling_cur_freq, cpuinfo_max_freq, scaling_max_freq, scaling_governor.
const std::vector<std::string>& CpuSectionFiles();
// Files of the kThermalZones section, relative to /sys/class/thermal: per zone its
// "type" then its "temp".
const std::vector<std::string>& ThermalZoneSectionFiles();

// `cat F1 F2 ... 2>&1` output: one line per file, either its content (sysfs values are
// one line) or cat's "cat: F: <why>" for a file that is absent or unreadable. Returns one
// entry per file, empty for an unread one; an empty vector when the lines do not line up
// with the files (a value without a newline, a file of several lines), so nothing is ever
// attributed to the wrong file.
std::vector<std::string> SplitCatOutput(absl::string_view text, const std::vector<std::string>& files);

// The sections, each fed the text between its marker and the next.
// BatteryService's dump (frameworks/base services/core/java/com/android/server/
// BatteryService.java dumpInternal): "  AC powered: false", "  status: 2", "  level: 87",
// "  temperature: 312" (tenths of a degree).
void ParseBatterySection(absl::string_view text, benchlab::v1::RunConditions* out);
// ThermalManagerService's dump (services/core/java/com/android/server/power/
// ThermalManagerService.java): "Thermal Status: 0", then "\tTemperature{mValue=37.5,
// mType=3, mName=skin, mStatus=0}" lines under "Cached temperatures:" and "Current
// temperatures from HAL:" (the latter wins). Absent before Android 10 ("Can't find
// service: thermalservice").
void ParseThermalSection(absl::string_view text, benchlab::v1::RunConditions* out);
// The kCpu section: clusters from related_cpus, in order of their first CPU.
void ParseCpuSection(absl::string_view text, benchlab::v1::RunConditions* out);
// The kThermalZones section: zone type -> temperature (millidegrees on most kernels;
// a few old ones print whole degrees). Used only when the thermal HAL gave nothing.
void ParseThermalZoneSection(absl::string_view text, benchlab::v1::RunConditions* out);
// PowerManagerService's "  mWakefulness=Awake" (Awake, Asleep, Dreaming, Dozing).
void ParsePowerSection(absl::string_view text, benchlab::v1::RunConditions* out);
// /proc/meminfo's "MemTotal:  5724108 kB" and "MemAvailable: 2310228 kB".
void ParseMemorySection(absl::string_view text, benchlab::v1::RunConditions* out);
// PackageManager's dump lines "    versionCode=7 minSdk=23 targetSdk=31" and
// "    versionName=2.16.1" (the first of each: an updated system app lists two).
void ParsePackageSection(absl::string_view text, benchlab::v1::RunConditions* out);

// The whole output; read_unix_ms is left for the caller.
benchlab::v1::RunConditions ParseRunConditions(absl::string_view output);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_RUN_CONDITIONS_PARSER_H_
