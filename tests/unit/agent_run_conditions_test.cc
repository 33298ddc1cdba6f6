// The run-conditions script and its parser on text in the real formats: BatteryService's,
// ThermalManagerService's, PowerManagerService's and PackageManager's dumps, /proc/meminfo,
// and cat's output over sysfs files (with absent and unreadable ones), from current and old
// Android releases.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/run/run_conditions.h"
#include "agent/run/run_conditions_parser.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

// What `cat F1 F2 ... 2>&1` prints (toybox): each file's line, or "cat: F: <why>".
std::string CatOutput(const std::vector<std::string>& files, const std::map<std::string, std::string>& present,
                      const std::set<std::string>& denied = {}) {
  std::string out;
  for (const std::string& f : files) {
    if (denied.contains(f)) {
      absl::StrAppend(&out, "cat: ", f, ": Permission denied\n");
    } else if (auto it = present.find(f); it != present.end()) {
      absl::StrAppend(&out, it->second, "\n");
    } else {
      absl::StrAppend(&out, "cat: ", f, ": No such file or directory\n");
    }
  }
  return out;
}

// A Snapdragon 8 Gen 1 like phone: clusters 0-3, 4-6, 7; cpu6 parked.
std::map<std::string, std::string> ThreeClusterSysfs() {
  std::map<std::string, std::string> f = {{"online", "0-5,7"}};
  auto cluster = [&](std::vector<int> cpus, const std::string& related, const std::string& cur,
                     const std::string& max, const std::string& cap) {
    for (int c : cpus) {
      const std::string d = absl::StrCat("cpu", c, "/cpufreq/");
      f[d + "related_cpus"] = related;
      f[d + "scaling_cur_freq"] = cur;
      f[d + "cpuinfo_max_freq"] = max;
      f[d + "scaling_max_freq"] = cap;
      f[d + "scaling_governor"] = "schedutil";
    }
  };
  cluster({0, 1, 2, 3}, "0 1 2 3", "300000", "1785600", "1785600");
  cluster({4, 5, 6}, "4 5 6", "633600", "2496000", "2496000");
  cluster({7}, "7", "787200", "2995200", "2054400");  // capped by the thermal framework
  return f;
}

TEST(RunConditionsParser, BatteryDumpOfAndroid14ChargingOverUsb) {
  // BatteryService.dumpInternal, Android 14 (Dock powered added in 13).
  const char* dump =
      "Current Battery Service state:\n"
      "  AC powered: false\n"
      "  USB powered: true\n"
      "  Wireless powered: false\n"
      "  Dock powered: false\n"
      "  Max charging current: 500000\n"
      "  Max charging voltage: 5000000\n"
      "  Charge counter: 3838000\n"
      "  status: 2\n"
      "  health: 2\n"
      "  present: true\n"
      "  level: 87\n"
      "  scale: 100\n"
      "  voltage: 4288\n"
      "  temperature: 312\n"
      "  technology: Li-ion\n"
      "  Charging state: 1\n"
      "  Charging policy: 1\n"
      "  Capacity level: 3\n";
  v1::RunConditions c;
  ParseBatterySection(dump, &c);
  EXPECT_EQ(c.battery_level_pct(), 87);
  EXPECT_DOUBLE_EQ(c.battery_temp_c(), 31.2);
  EXPECT_TRUE(c.charging());
  EXPECT_EQ(c.plugged(), "usb");
}

TEST(RunConditionsParser, BatteryDumpOfAndroid5Unplugged) {
  // Android 5.1: no Dock line, no charging-current lines, updates stopped by `dumpsys battery set`.
  const char* dump =
      "Current Battery Service state:\n"
      "  (UPDATES STOPPED -- use 'reset' to restart)\n"
      "  AC powered: false\n"
      "  USB powered: false\n"
      "  Wireless powered: false\n"
      "  status: 3\n"
      "  health: 2\n"
      "  present: true\n"
      "  level: 41\n"
      "  scale: 100\n"
      "  voltage: 3790\n"
      "  temperature: -52\n"
      "  technology: Li-ion\n";
  v1::RunConditions c;
  ParseBatterySection(dump, &c);
  EXPECT_EQ(c.battery_level_pct(), 41);
  EXPECT_DOUBLE_EQ(c.battery_temp_c(), -5.2);
  EXPECT_FALSE(c.charging());
  EXPECT_TRUE(c.has_charging());
  EXPECT_EQ(c.plugged(), "none");
}

TEST(RunConditionsParser, NoBatteryDumpLeavesEverythingUnset) {
  v1::RunConditions c;
  ParseBatterySection("Can't find service: battery\n", &c);
  EXPECT_FALSE(c.has_battery_level_pct());
  EXPECT_FALSE(c.has_battery_temp_c());
  EXPECT_FALSE(c.has_charging());
  EXPECT_EQ(c.plugged(), "");
}

// ThermalManagerService's dump with a HAL (Android 13, ThermalHAL 2.0).
constexpr char kThermalDumpWithHal[] =
    "IsStatusOverride: false\n"
    "ThermalEventListeners:\n"
    "\tcallbacks: 2\n"
    "\tkilled: false\n"
    "\tbroadcasts count: -1\n"
    "ThermalStatusListeners:\n"
    "\tcallbacks: 5\n"
    "\tkilled: false\n"
    "\tbroadcasts count: -1\n"
    "Thermal Status: 2\n"
    "Cached temperatures:\n"
    "\tTemperature{mValue=38.0, mType=3, mName=skin, mStatus=1}\n"
    "\tTemperature{mValue=32.2, mType=2, mName=battery, mStatus=0}\n"
    "HAL Ready: true\n"
    "HAL connection:\n"
    "\tThermalHAL 2.0 connected: yes\n"
    "Current temperatures from HAL:\n"
    "\tTemperature{mValue=54.600002, mType=0, mName=cpu0-silver-usr, mStatus=0}\n"
    "\tTemperature{mValue=61.3, mType=0, mName=cpu7-gold-usr, mStatus=0}\n"
    "\tTemperature{mValue=38.1, mType=3, mName=skin, mStatus=1}\n"
    "Current cooling devices from HAL:\n"
    "\tCoolingDevice{mValue=0, mType=2, mName=cpu-cluster0}\n"
    "Temperature static thresholds from HAL:\n"
    "\tTemperatureThreshold{mType=3, mName=skin, mHotThrottlingThresholds=[NaN, 39.0]}\n";

TEST(RunConditionsParser, ThermalServiceDumpGivesStatusAndTheHalsTemperatures) {
  v1::RunConditions c;
  ParseThermalSection(kThermalDumpWithHal, &c);
  EXPECT_EQ(c.thermal_status(), v1::THERMAL_STATUS_MODERATE);  // "Thermal Status: 2"
  ASSERT_EQ(c.temperatures_c().size(), 3u) << "the HAL's current list, not the cache, no thresholds";
  EXPECT_NEAR(c.temperatures_c().at("cpu0-silver-usr"), 54.6, 1e-4);
  EXPECT_DOUBLE_EQ(c.temperatures_c().at("cpu7-gold-usr"), 61.3);
  EXPECT_DOUBLE_EQ(c.temperatures_c().at("skin"), 38.1);
}

TEST(RunConditionsParser, ThermalServiceWithoutHalFallsBackToTheCachedTemperatures) {
  v1::RunConditions c;
  ParseThermalSection(
      "IsStatusOverride: false\nThermal Status: 0\nCached temperatures:\n"
      "\tTemperature{mValue=29.5, mType=2, mName=battery, mStatus=0}\nHAL Ready: false\n",
      &c);
  EXPECT_EQ(c.thermal_status(), v1::THERMAL_STATUS_NONE);
  ASSERT_EQ(c.temperatures_c().size(), 1u);
  EXPECT_DOUBLE_EQ(c.temperatures_c().at("battery"), 29.5);
}

TEST(RunConditionsParser, AndroidBefore10HasNoThermalServiceAndStatusStaysUnknown) {
  v1::RunConditions c;
  ParseThermalSection("Can't find service: thermalservice\n", &c);
  EXPECT_EQ(c.thermal_status(), v1::THERMAL_STATUS_UNSPECIFIED);
  EXPECT_TRUE(c.temperatures_c().empty());
  ParseThermalSection("Thermal Status: 9\n", &c);  // not a level Android defines
  EXPECT_EQ(c.thermal_status(), v1::THERMAL_STATUS_UNSPECIFIED);
}

TEST(RunConditionsParser, CpuClustersFromSysfsWithAbsentCpusAndAParkedCore) {
  v1::RunConditions c;
  ParseCpuSection(CatOutput(CpuSectionFiles(), ThreeClusterSysfs()), &c);
  ASSERT_EQ(c.cpu_clusters_size(), 3);
  const v1::CpuCluster& little = c.cpu_clusters(0);
  EXPECT_EQ(std::vector<int>(little.cpus().begin(), little.cpus().end()), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(little.online_cpus_size(), 4);
  EXPECT_EQ(little.cpu_freq_khz(), 300000);
  EXPECT_EQ(little.governor(), "schedutil");
  const v1::CpuCluster& mid = c.cpu_clusters(1);
  EXPECT_EQ(std::vector<int>(mid.online_cpus().begin(), mid.online_cpus().end()), (std::vector<int>{4, 5}));
  const v1::CpuCluster& big = c.cpu_clusters(2);
  EXPECT_EQ(big.cpu_freq_khz(), 787200);
  EXPECT_EQ(big.max_freq_khz(), 2995200);
  EXPECT_EQ(big.scaling_max_freq_khz(), 2054400);
}

TEST(RunConditionsParser, AnUnreadableFileLeavesOnlyItsFieldUnset) {
  v1::RunConditions c;
  ParseCpuSection(CatOutput(CpuSectionFiles(), ThreeClusterSysfs(), {"cpu7/cpufreq/scaling_cur_freq"}), &c);
  ASSERT_EQ(c.cpu_clusters_size(), 3);
  EXPECT_FALSE(c.cpu_clusters(2).has_cpu_freq_khz());
  EXPECT_EQ(c.cpu_clusters(2).max_freq_khz(), 2995200);
  EXPECT_TRUE(c.cpu_clusters(0).has_cpu_freq_khz());
}

TEST(RunConditionsParser, CatOutputOutOfStepWithTheFilesGivesNothingRatherThanWrongValues) {
  // A value without its newline runs into the next file's line: one line short.
  std::string text = CatOutput(CpuSectionFiles(), ThreeClusterSysfs());
  std::string merged = absl::StrReplaceAll(text, {{"1785600\n1785600\n", "17856001785600\n"}});
  ASSERT_NE(merged, text);
  v1::RunConditions c;
  ParseCpuSection(merged, &c);
  EXPECT_EQ(c.cpu_clusters_size(), 0);
  // A complaint about another file than expected at that place.
  EXPECT_TRUE(SplitCatOutput("cat: b: No such file or directory\nx\n", {"a", "b"}).empty());
  EXPECT_EQ(SplitCatOutput("1\ncat: b: Permission denied\n", {"a", "b"}), (std::vector<std::string>{"1", ""}));
}

TEST(RunConditionsParser, ThermalZonesInMillidegreesAndWholeDegrees) {
  std::map<std::string, std::string> zones = {{"thermal_zone0/type", "cpu0-silver-usr"},
                                              {"thermal_zone0/temp", "45300"},
                                              {"thermal_zone1/type", "battery"},
                                              {"thermal_zone1/temp", "31"},  // an old driver's degrees
                                              {"thermal_zone2/type", "pa-therm0"}};
  v1::RunConditions c;
  ParseThermalZoneSection(CatOutput(ThermalZoneSectionFiles(), zones, {"thermal_zone2/temp"}), &c);
  ASSERT_EQ(c.temperatures_c().size(), 2u);
  EXPECT_DOUBLE_EQ(c.temperatures_c().at("cpu0-silver-usr"), 45.3);
  EXPECT_DOUBLE_EQ(c.temperatures_c().at("battery"), 31.0);
}

TEST(RunConditionsParser, ScreenFromPowerManagersWakefulness) {
  v1::RunConditions c;
  ParsePowerSection("  mWakefulness=Asleep\n", &c);
  EXPECT_TRUE(c.has_screen_on());
  EXPECT_FALSE(c.screen_on());
  ParsePowerSection("  mWakefulness=Awake\n  mWakefulness=Asleep\n", &c);
  EXPECT_TRUE(c.screen_on());
  v1::RunConditions unknown;
  ParsePowerSection("  mWakefulnessChanging=false\n", &unknown);
  EXPECT_FALSE(unknown.has_screen_on());
}

TEST(RunConditionsParser, MeminfoOfNewAndOldKernels) {
  v1::RunConditions c;
  ParseMemorySection("MemTotal:        7687280 kB\nMemFree:          245704 kB\nMemAvailable:    3310228 kB\n"
                     "Buffers:            5432 kB\n",
                     &c);
  EXPECT_EQ(c.mem_total_kb(), 7687280);
  EXPECT_EQ(c.mem_available_kb(), 3310228);
  v1::RunConditions old;  // 3.10 kernels have no MemAvailable
  ParseMemorySection("MemTotal:        1899124 kB\nMemFree:           96804 kB\nBuffers:           12496 kB\n", &old);
  EXPECT_EQ(old.mem_total_kb(), 1899124);
  EXPECT_FALSE(old.has_mem_available_kb());
}

TEST(RunConditionsParser, PackageVersionsTheFirstListedWins) {
  // `dumpsys package P | grep -E 'version(Code|Name)='` of an updated app: the installed
  // package first, then its hidden system copy.
  v1::RunConditions c;
  ParsePackageSection(
      "    versionCode=216 minSdk=23 targetSdk=31\n    versionName=2.16.1\n"
      "    versionCode=1 minSdk=23 targetSdk=31\n    versionName=1.0\n",
      &c);
  EXPECT_EQ(c.apk_version_code(), 216);
  EXPECT_EQ(c.apk_version_name(), "2.16.1");
  v1::RunConditions none;
  ParsePackageSection("", &none);
  EXPECT_FALSE(none.has_apk_version_code());
}

TEST(RunConditionsParser, WholeOutputOfAnAndroid9PhoneOverAV1ShellWithCrLf) {
  std::map<std::string, std::string> zones = {{"thermal_zone0/type", "tsens_tz_sensor0"},
                                              {"thermal_zone0/temp", "41"}};
  std::string out = absl::StrCat(
      SectionMarker(ConditionsSection::kCpu), "\n", CatOutput(CpuSectionFiles(), ThreeClusterSysfs()),
      SectionMarker(ConditionsSection::kThermalZones), "\n", CatOutput(ThermalZoneSectionFiles(), zones),
      SectionMarker(ConditionsSection::kBattery), "\nCurrent Battery Service state:\n  AC powered: true\n"
      "  USB powered: false\n  Wireless powered: false\n  status: 5\n  level: 100\n  temperature: 280\n",
      SectionMarker(ConditionsSection::kThermal), "\nCan't find service: thermalservice\n",
      SectionMarker(ConditionsSection::kPower), "\n  mWakefulness=Awake\n", SectionMarker(ConditionsSection::kMemory),
      "\nMemTotal:        3809316 kB\nMemFree:          245704 kB\nMemAvailable:    1310228 kB\n",
      SectionMarker(ConditionsSection::kBuild), "\ngoogle/blueline/blueline:9/PQ3A.190801.002/5670241:user/release-keys\n",
      SectionMarker(ConditionsSection::kPackage), "\n");
  out = absl::StrReplaceAll(out, {{"\n", "\r\n"}});
  v1::RunConditions c = ParseRunConditions(out);
  EXPECT_EQ(c.cpu_clusters_size(), 3);
  EXPECT_EQ(c.battery_level_pct(), 100);
  EXPECT_FALSE(c.charging());  // status 5: full
  EXPECT_EQ(c.plugged(), "ac");
  EXPECT_EQ(c.thermal_status(), v1::THERMAL_STATUS_UNSPECIFIED);
  ASSERT_EQ(c.temperatures_c().size(), 1u) << "no thermal HAL: the sysfs zones";
  EXPECT_DOUBLE_EQ(c.temperatures_c().at("tsens_tz_sensor0"), 41.0);
  EXPECT_TRUE(c.screen_on());
  EXPECT_EQ(c.mem_available_kb(), 1310228);
  EXPECT_EQ(c.build_fingerprint(), "google/blueline/blueline:9/PQ3A.190801.002/5670241:user/release-keys");
  EXPECT_FALSE(c.has_apk_version_code()) << "the APK is not installed";
  EXPECT_EQ(c.read_unix_ms(), 0) << "the reader stamps the time";
}

TEST(RunConditionsParser, HalTemperaturesWinOverThermalZones) {
  std::map<std::string, std::string> zones = {{"thermal_zone0/type", "cpu0"}, {"thermal_zone0/temp", "44000"}};
  v1::RunConditions c = ParseRunConditions(absl::StrCat(
      SectionMarker(ConditionsSection::kThermalZones), "\n", CatOutput(ThermalZoneSectionFiles(), zones),
      SectionMarker(ConditionsSection::kThermal), "\n", kThermalDumpWithHal));
  EXPECT_EQ(c.temperatures_c().size(), 3u);
  EXPECT_FALSE(c.temperatures_c().contains("cpu0"));
}

TEST(RunConditionsCommand, OneShortCommandWithTheSectionsInOrderAndThePackageQuoted) {
  const std::string cmd = RunConditionsCommand("org.tensorflow.lite.benchmark");
  // adbd before Android 7 takes at most 4096 bytes per packet, "shell:" and the v1
  // exit-code suffix included.
  EXPECT_LT(cmd.size(), 3900u) << cmd;
  size_t at = 0;
  for (int s = 0; s <= static_cast<int>(ConditionsSection::kPackage); ++s) {
    size_t next = cmd.find(SectionMarker(static_cast<ConditionsSection>(s)), at);
    ASSERT_NE(next, std::string::npos) << s;
    at = next;
  }
  EXPECT_TRUE(absl::StrContains(cmd, "dumpsys package 'org.tensorflow.lite.benchmark'|"));
  EXPECT_TRUE(absl::StrContains(RunConditionsCommand("a'b;reboot"), "'a'\\''b;reboot'"));
  EXPECT_FALSE(absl::StrContains(cmd, "*")) << "no globs: the phone's shell may not have them";
}

}  // namespace
}  // namespace benchlab::agent
