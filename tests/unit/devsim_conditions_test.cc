// Run conditions a phone shows (dumpsys battery/thermalservice/power/package, the kernel's
// thermal, cpufreq and meminfo files) in each release's format, the shell constructs a
// one-call reader needs, and the thermal/noise/slowdown model behind them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "devsim/phone/android_version.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/phone.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

PhoneProfile ProfileOn(absl::string_view release) {
  PhoneProfile p = MakeProfile(5, 1);  // SM8550: 3 little + 4 mid + 1 prime
  AndroidRelease r;
  EXPECT_TRUE(ParseAndroidRelease(release, &r));
  p.android_release = r.release;
  p.sdk = r.sdk;
  return p;
}

class ConditionsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Phone> On(absl::string_view release, PhoneSimOptions sim = PhoneSimOptions()) {
    auto phone = std::make_unique<Phone>(ProfileOn(release), 5, absl::Milliseconds(300), sim);
    phone->SetBackgroundLogs(false);
    return phone;
  }
};

TEST_F(ConditionsTest, DumpsysBatteryHasEachReleasesLines) {
  auto old = On("5.1"), oreo = On("8.0"), u = On("14");
  const std::string a = RunSh(*old, "dumpsys battery").out;
  const std::string b = RunSh(*oreo, "dumpsys battery").out;
  const std::string c = RunSh(*u, "dumpsys battery").out;
  for (const std::string& out : {a, b, c}) {
    EXPECT_THAT(out, StartsWith("Current Battery Service state:\n  AC powered: false\n"
                                "  USB powered: true\n  Wireless powered: false\n"));
    EXPECT_THAT(out, ContainsRegex("\n  status: 2\n  health: 2\n  present: true\n  level: [0-9]+\n"
                                   "  scale: 100\n  voltage: [0-9]+\n  temperature: [0-9]+\n"
                                   "  technology: Li-ion\n"));
  }
  EXPECT_THAT(a, Not(HasSubstr("Max charging current")));
  EXPECT_THAT(b, HasSubstr("  Max charging current: 500000\n  Max charging voltage: 5000000\n"
                           "  Charge counter: "));
  EXPECT_THAT(b, Not(HasSubstr("Dock powered")));
  EXPECT_THAT(c, HasSubstr("  Wireless powered: false\n  Dock powered: false\n"));
  EXPECT_THAT(c, HasSubstr("  technology: Li-ion\n  Charging state: 1\n  Charging policy: 1\n"));

  // Unplugged: discharging, nothing powered; AC: charging on AC.
  ASSERT_EQ(RunSh(*u, "devsimctl charging none").status, 0);
  EXPECT_THAT(RunSh(*u, "dumpsys battery").out,
              AllOf(HasSubstr("  USB powered: false\n"), HasSubstr("  status: 3\n")));
  ASSERT_EQ(RunSh(*u, "devsimctl charging ac && devsimctl battery 100").status, 0);
  EXPECT_THAT(RunSh(*u, "dumpsys battery").out,
              AllOf(HasSubstr("  AC powered: true\n"), HasSubstr("  status: 5\n"),
                    HasSubstr("  level: 100\n")));
  ASSERT_EQ(RunSh(*u, "devsimctl temp 44.5").status, 0);
  EXPECT_THAT(RunSh(*u, "dumpsys battery").out, HasSubstr("  temperature: 445\n"));
  EXPECT_EQ(RunSh(*u, "devsimctl charging solar").status, 2);
}

TEST_F(ConditionsTest, ThermalserviceFromAndroid10) {
  auto oreo = On("8.0"), u = On("14"), q = On("10");
  ShResult missing = RunSh(*oreo, "dumpsys thermalservice");
  EXPECT_EQ(missing.status, 0);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err, "Can't find service: thermalservice\n");

  const std::string cool = RunSh(*u, "dumpsys thermalservice").out;
  EXPECT_THAT(cool, StartsWith("IsStatusOverride: false\nThermalEventListeners:\n"));
  EXPECT_THAT(cool, HasSubstr("\nThermal Status: 0\nCached temperatures:\nHAL Ready: true\n"));
  EXPECT_THAT(cool, ContainsRegex("Current temperatures from HAL:\n\tTemperature\\{mValue=[0-9]+\\.[0-9], "
                                  "mType=2, mName=battery, mStatus=0\\}\n"));
  EXPECT_THAT(cool, HasSubstr("\tThermalHAL AIDL 1  connected: yes\n"));
  EXPECT_THAT(RunSh(*q, "dumpsys thermalservice").out,
              AllOf(HasSubstr("\tThermalHAL 2.0 connected: yes\n"),
                    Not(HasSubstr("static thresholds"))));

  // Hot: status above NONE, the HAL's notifications cached, battery reading as set.
  ASSERT_EQ(RunSh(*u, "devsimctl temp 40").status, 0);
  const std::string hot = RunSh(*u, "dumpsys thermalservice").out;
  EXPECT_THAT(hot, ContainsRegex("\nThermal Status: [1-6]\nCached temperatures:\n\tTemperature"));
  EXPECT_THAT(hot, HasSubstr("Temperature{mValue=40.0, mType=2, mName=battery, mStatus=0}"));
}

TEST_F(ConditionsTest, ScreenStateInDumpsysPower) {
  auto u = On("14");
  EXPECT_THAT(RunSh(*u, "dumpsys power").out,
              AllOf(HasSubstr("\n  mWakefulness=Awake\n"), HasSubstr("\nDisplay Power: state=ON\n")));
  ASSERT_EQ(RunSh(*u, "devsimctl screen off").out, "screen=off\n");
  EXPECT_THAT(RunSh(*u, "dumpsys power").out,
              AllOf(HasSubstr("\n  mWakefulness=Asleep\n"), HasSubstr("\nDisplay Power: state=OFF\n")));
}

TEST_F(ConditionsTest, MeminfoHasMemAvailableFromKernel314) {
  auto old = On("6.0"), u = On("14");
  const std::string a = RunSh(*old, "cat /proc/meminfo").out;
  const std::string b = RunSh(*u, "cat /proc/meminfo").out;
  EXPECT_THAT(a, StartsWith("MemTotal:        7602000 kB\nMemFree:  "));
  EXPECT_THAT(a, Not(HasSubstr("MemAvailable")));
  EXPECT_THAT(b, ContainsRegex("^MemTotal: +[0-9]+ kB\nMemFree: +[0-9]+ kB\nMemAvailable: +[0-9]+ kB\n"));
  for (absl::string_view line : absl::StrSplit(b, '\n', absl::SkipEmpty())) {
    EXPECT_THAT(std::string(line), ContainsRegex("^[A-Za-z_()]+: +[0-9]+ kB$"));
  }
}

TEST_F(ConditionsTest, FingerprintNamesTheRelease) {
  EXPECT_THAT(RunSh(*On("8.0"), "getprop ro.build.fingerprint").out,
              ContainsRegex("^Xiaomi/cupid_global/cupid:8.0/OPR1[^/]*/[0-9]+:user/release-keys\n$"));
  EXPECT_THAT(RunSh(*On("14"), "getprop ro.build.fingerprint").out,
              ContainsRegex("^Xiaomi/cupid_global/cupid:14/UQ1A[^/]*/"));
}

TEST_F(ConditionsTest, ThermalZonesAndCpufreqInSysfs) {
  auto u = On("14"), oreo = On("8.0");
  // SM8450 (the profile): 4 little, 3 mid, 1 prime.
  EXPECT_EQ(RunSh(*u, "cat /sys/devices/system/cpu/online").out, "0-7\n");
  EXPECT_EQ(RunSh(*u, "cat /sys/devices/system/cpu/cpu5/cpufreq/related_cpus").out, "4 5 6\n");
  EXPECT_EQ(RunSh(*u, "cat /sys/devices/system/cpu/cpu7/cpufreq/cpuinfo_max_freq").out, "2995200\n");
  EXPECT_EQ(RunSh(*u, "cat /sys/devices/system/cpu/cpu7/cpufreq/scaling_max_freq").out, "2995200\n");
  EXPECT_EQ(RunSh(*u, "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq").out, "1785600\n");
  EXPECT_EQ(RunSh(*u, "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").out, "schedutil\n");
  EXPECT_EQ(RunSh(*oreo, "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").out,
            "interactive\n");
  EXPECT_EQ(RunSh(*u, "cat /sys/class/thermal/thermal_zone0/type").out, "battery\n");
  EXPECT_THAT(RunSh(*u, "cat /sys/class/thermal/thermal_zone0/temp").out, ContainsRegex("^[0-9]{5}\n$"));
  EXPECT_EQ(RunSh(*u, "ls /sys/class/thermal").out,
            "thermal_zone0\nthermal_zone1\nthermal_zone2\nthermal_zone3\nthermal_zone4\n");

  // The shell user cannot write or remove them, as on a phone.
  ShResult w = RunSh(*u, "echo 1 > /sys/devices/system/cpu/cpu7/cpufreq/scaling_max_freq");
  EXPECT_EQ(w.status, 1);
  EXPECT_THAT(w.err, HasSubstr("Permission denied"));
  EXPECT_EQ(RunSh(*u, "rm /proc/meminfo").status, 1);

  // Hot phone: the prime and mid clusters are capped, the little one is not.
  ASSERT_EQ(RunSh(*u, "devsimctl soc-temp 50").status, 0);
  int64_t prime = 0, little = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripTrailingAsciiWhitespace(
          RunSh(*u, "cat /sys/devices/system/cpu/cpu7/cpufreq/scaling_cur_freq").out),
      &prime));
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripTrailingAsciiWhitespace(
          RunSh(*u, "cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq").out),
      &little));
  EXPECT_LT(prime, 2995200 * 0.7);
  EXPECT_GT(prime, 2995200 * 0.5);
  EXPECT_EQ(little, 1785600);
  EXPECT_EQ(RunSh(*u, "cat /sys/devices/system/cpu/cpu7/cpufreq/scaling_max_freq").out,
            absl::StrCat(prime, "\n"));
  EXPECT_EQ(RunSh(*u, "cat /sys/class/thermal/thermal_zone4/temp").out, "51500\n");
}

TEST_F(ConditionsTest, DumpsysPackageShowsTheManifestsVersions) {
  auto u = On("14"), n = On("7.0"), old = On("5.1");
  const std::string apk = MakeFakeApk(0, kBenchmarkPackage, 21, 4217, "2.16.1-nightly");
  for (Phone* p : {u.get(), n.get(), old.get()}) {
    StringIo io(apk);
    ASSERT_EQ(p->InstallStreamed({"-r"}, static_cast<int64_t>(apk.size()), io), 0);
  }
  const std::string cmd = "dumpsys package org.tensorflow.lite.benchmark";
  EXPECT_THAT(RunSh(*u, cmd).out,
              HasSubstr("\n    versionCode=4217 minSdk=21 targetSdk=31\n    minExtensionVersions=[]\n"
                        "    versionName=2.16.1-nightly\n"));
  EXPECT_THAT(RunSh(*n, cmd).out,
              HasSubstr("\n    versionCode=4217 minSdk=21 targetSdk=31\n    versionName=2.16.1-nightly\n"));
  EXPECT_THAT(RunSh(*old, cmd).out,
              HasSubstr("\n    versionCode=4217 targetSdk=31\n    versionName=2.16.1-nightly\n"));
  EXPECT_EQ(RunSh(*u, "dumpsys package no.such.app").out, "Unable to find package: no.such.app\n");
}

TEST_F(ConditionsTest, OneShellCallReadsEverything) {
  auto u = On("14");
  // What a reader sends: files concatenated, separators, a loop over a glob, grep -H style.
  ShResult r = RunSh(*u,
                     "dumpsys battery && echo --- && cat /sys/devices/system/cpu/online "
                     "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor; echo ---; "
                     "for z in /sys/class/thermal/thermal_zone*; do echo \"$z $(x)\" >/dev/null; "
                     "cat $z/type $z/temp; done 2>/dev/null; echo ---; "
                     "grep . /sys/devices/system/cpu/cpu*/cpufreq/scaling_max_freq");
  EXPECT_EQ(r.status, 0);
  std::vector<std::string> parts = absl::StrSplit(r.out, "---\n");
  ASSERT_EQ(parts.size(), 4u) << r.out;
  EXPECT_THAT(parts[0], StartsWith("Current Battery Service state:\n"));
  EXPECT_EQ(parts[1], "0-7\nschedutil\n");
  EXPECT_THAT(parts[2], StartsWith("battery\n"));
  EXPECT_EQ(std::count(parts[2].begin(), parts[2].end(), '\n'), 10);  // 5 zones x 2
  EXPECT_THAT(parts[3], StartsWith("/sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq:1785600\n"
                                   "/sys/devices/system/cpu/cpu1/cpufreq/scaling_max_freq:1785600\n"));

  // grep: several -e patterns (any matches), names with several files, -h/-H.
  EXPECT_EQ(RunSh(*u, "grep -e MemTotal -e MemAvailable /proc/meminfo | wc -l").out, "2\n");
  EXPECT_EQ(RunSh(*u, "grep -h . /sys/devices/system/cpu/online /sys/devices/system/cpu/cpu7/cpufreq/related_cpus").out,
            "0-7\n7\n");
  EXPECT_EQ(RunSh(*u, "grep -H . /sys/devices/system/cpu/online").out,
            "/sys/devices/system/cpu/online:0-7\n");
  EXPECT_EQ(RunSh(*u, "grep -c . /sys/devices/system/cpu/online /proc/meminfo").out,
            "/sys/devices/system/cpu/online:1\n/proc/meminfo:31\n");

  // Loops: nested, `do` on its own line, the status of the last body command, && after done.
  EXPECT_EQ(RunSh(*u, "for a in 1 2; do for b in x y; do echo $a$b; done; done").out,
            "1x\n1y\n2x\n2y\n");
  EXPECT_EQ(RunSh(*u, "for a in p q\ndo\necho $a\ndone && echo end").out, "p\nq\nend\n");
  EXPECT_EQ(RunSh(*u, "for a in 1; do false; done || echo failed").out, "failed\n");
  EXPECT_EQ(RunSh(*u, "for a in; do echo never; done; echo $a.").out, ".\n");
  ShResult open = RunSh(*u, "for a in 1; do echo $a");
  EXPECT_EQ(open.status, 1);
  EXPECT_EQ(open.err, "/system/bin/sh: syntax error: 'for' unmatched\n");
  EXPECT_EQ(RunSh(*u, "done").err, "/system/bin/sh: syntax error: 'done' unexpected\n");
  // A redirection after `done` applies to the whole loop.
  EXPECT_EQ(RunSh(*u, "for f in /nope /sys/devices/system/cpu/online; do cat $f; done 2>/dev/null").out,
            "0-7\n");
  ShResult looped = RunSh(*u, "for a in 1 2; do echo $a; cat /nope; done >/data/local/tmp/l.txt 2>&1; "
                              "cat /data/local/tmp/l.txt");
  EXPECT_EQ(looped.out, "1\ncat: /nope: No such file or directory\n2\ncat: /nope: No such file or directory\n");
  EXPECT_EQ(looped.err, "");
  // Globs in several path components.
  EXPECT_EQ(RunSh(*u, "echo /sys/devices/system/cpu/cpu*/cpufreq/related_cpus").out,
            "/sys/devices/system/cpu/cpu0/cpufreq/related_cpus /sys/devices/system/cpu/cpu1/cpufreq/"
            "related_cpus /sys/devices/system/cpu/cpu2/cpufreq/related_cpus /sys/devices/system/cpu/"
            "cpu3/cpufreq/related_cpus /sys/devices/system/cpu/cpu4/cpufreq/related_cpus /sys/devices/"
            "system/cpu/cpu5/cpufreq/related_cpus /sys/devices/system/cpu/cpu6/cpufreq/related_cpus "
            "/sys/devices/system/cpu/cpu7/cpufreq/related_cpus\n");
  EXPECT_EQ(RunSh(*u, "echo /sys/*/nothing*/x").out, "/sys/*/nothing*/x\n");
}

}  // namespace
}  // namespace benchlab::devsim
