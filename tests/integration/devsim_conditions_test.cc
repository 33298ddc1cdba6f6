// Run conditions of simulated phones through Debian's real adb: what `adb shell` shows on an
// Android 8.0 and an Android 14 phone (battery, thermal service, thermal zones, cpufreq,
// screen, memory, fingerprint, the APK's versions) in one shell call; a phone made hot
// through devsim's control port shows it and runs slower; --slowdown makes one model slower
// on one phone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/devsim_lab.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::BinPath;
using testing::DevsimLab;

std::string Sha256Of(const std::string& path) {
  return testing::Run({"sha256sum", path}).output.substr(0, 64);
}

// What a run-conditions reader sends: everything in one `adb shell` call.
constexpr char kConditionsScript[] =
    "dumpsys battery; echo ---; dumpsys thermalservice 2>&1; echo ---; "
    "for z in /sys/class/thermal/thermal_zone*; do cat $z/type $z/temp; done; echo ---; "
    "grep . /sys/devices/system/cpu/online /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq "
    "/sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq "
    "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor "
    "/sys/devices/system/cpu/cpu*/cpufreq/related_cpus; echo ---; "
    "dumpsys power | grep -e mWakefulness= -e 'Display Power'; echo ---; "
    "grep -e MemTotal -e MemAvailable /proc/meminfo; echo ---; getprop ro.build.fingerprint; "
    "echo ---; dumpsys package org.tensorflow.lite.benchmark | grep -e versionCode= -e versionName=";

class DevsimConditionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    apk_ = dir_->path() + "/benchmark.apk";
    x_ = dir_->path() + "/x.tflite";
    y_ = dir_->path() + "/y.tflite";
    ASSERT_EQ(testing::Run({BinPath("benchlab-devsim"), "--make-apk", apk_, "--apk-version-code",
                            "4217", "--apk-version-name", "2.16.1", "--make-model", x_,
                            "--model-mb", "2", "--seed", "1"})
                  .exit_code,
              0);
    ASSERT_EQ(testing::Run({BinPath("benchlab-devsim"), "--make-model", y_, "--model-mb", "2",
                            "--seed", "2"})
                  .exit_code,
              0);
    testing::DevsimLabOptions options;
    options.phones = 2;
    options.log_path = dir_->path() + "/devsim.log";
    // Phone 0: Android 8.0, model x 10 % slower. Phone 1: Android 14. Heat decays with a
    // 2 s wall time constant (40 s simulated at x20); little noise so 3 runs decide.
    options.extra = {"--android", "0=8.0", "--android", "1=14", "--thermal-time-scale", "20",
                     "--noise-cv", "0.3", "--drift-pct", "0", "--slowdown",
                     absl::StrCat("0=", Sha256Of(x_), ":10")};
    auto lab = DevsimLab::Start(options);
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = lab->release();
    for (int i = 0; i < 2; ++i) {
      ASSERT_THAT(Adb(i, {"install", "-r", "-d", apk_}).output, HasSubstr("Success"));
      ASSERT_EQ(Adb(i, {"push", x_, "/data/local/tmp/x.tflite"}).exit_code, 0);
      ASSERT_EQ(Adb(i, {"push", y_, "/data/local/tmp/y.tflite"}).exit_code, 0);
    }
  }
  static void TearDownTestSuite() {
    delete lab_;
    delete dir_;
  }
  static testing::RunResult Adb(int i, std::vector<std::string> args) {
    args.insert(args.begin(), {"-s", lab_->Serial(i)});
    return lab_->adb().Adb(args);
  }
  static std::string Shell(int i, const std::string& line) { return Adb(i, {"shell", line}).output; }
  static int64_t ReadInt(int i, const std::string& path) {
    int64_t v = 0;
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(Shell(i, "cat " + path)), &v)) << path;
    return v;
  }
  // Polls until phone i's prime cores are back at `max_khz` (cool); false after 60 s.
  static bool WaitUntilCool(int i, int64_t max_khz) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      if (ReadInt(i, "/sys/devices/system/cpu/cpu7/cpufreq/scaling_cur_freq") == max_khz) return true;
      absl::SleepFor(absl::Milliseconds(500));
    }
    return false;
  }
  // One benchmark run of `graph` on phone i (`before` runs in the same shell call first);
  // its "Inference (avg)" in us.
  static double RunAvg(int i, const std::string& graph, const std::string& before = "") {
    Adb(i, {"logcat", "-c"});
    Shell(i, absl::StrCat(before, "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity "
                          "--es args '--graph=",
                          graph, " --num_threads=4'"));
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      const std::string log = Adb(i, {"logcat", "-d", "-s", "tflite"}).output;
      const size_t pos = log.find("Inference (avg): ");
      double v = 0;
      if (pos != std::string::npos &&
          absl::SimpleAtod(log.substr(pos + 17, log.find('\n', pos) - pos - 17), &v)) {
        return v;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "no run result on phone " << i;
    return 0;
  }
  static double Median3(int i, const std::string& graph) {
    std::vector<double> v = {RunAvg(i, graph), RunAvg(i, graph), RunAvg(i, graph)};
    std::sort(v.begin(), v.end());
    return v[1];
  }
  static testing::TempDir* dir_;
  static DevsimLab* lab_;
  static std::string apk_, x_, y_;
};
testing::TempDir* DevsimConditionsTest::dir_ = nullptr;
DevsimLab* DevsimConditionsTest::lab_ = nullptr;
std::string DevsimConditionsTest::apk_, DevsimConditionsTest::x_, DevsimConditionsTest::y_;

TEST_F(DevsimConditionsTest, OneShellCallReadsEveryConditionOnAndroid8And14) {
  for (int i = 0; i < 2; ++i) {
    const testing::RunResult r = Adb(i, {"shell", kConditionsScript});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::vector<std::string> parts = absl::StrSplit(r.output, "---\n");
    ASSERT_EQ(parts.size(), 8u) << r.output;
    SCOPED_TRACE(r.output);
    EXPECT_THAT(parts[0], AllOf(HasSubstr("Current Battery Service state:\n"),
                                HasSubstr("  USB powered: true\n"), HasSubstr("  status: 2\n"),
                                ContainsRegex("\n  level: [0-9]+\n"),
                                ContainsRegex("\n  temperature: [0-9]{3}\n")));
    if (i == 0) {
      EXPECT_EQ(parts[1], "Can't find service: thermalservice\n");
      EXPECT_THAT(parts[0], Not(HasSubstr("Dock powered")));
      EXPECT_THAT(parts[3], HasSubstr("/cpufreq/scaling_governor:interactive\n"));
    } else {
      EXPECT_THAT(parts[1], AllOf(HasSubstr("\nThermal Status: 0\n"),
                                  ContainsRegex("\tTemperature\\{mValue=[0-9.]+, mType=2, "
                                                "mName=battery, mStatus=0\\}\n")));
      EXPECT_THAT(parts[0], HasSubstr("  Dock powered: false\n"));
      EXPECT_THAT(parts[3], HasSubstr("/cpufreq/scaling_governor:schedutil\n"));
    }
    EXPECT_THAT(parts[2], ContainsRegex("^battery\n[0-9]{5}\n"));
    EXPECT_THAT(parts[3], AllOf(ContainsRegex("^/sys/devices/system/cpu/online:0-[0-9]+\n"),
                                ContainsRegex("/sys/devices/system/cpu/cpu0/cpufreq/"
                                              "scaling_cur_freq:[0-9]+\n"),
                                ContainsRegex("/sys/devices/system/cpu/cpu0/cpufreq/"
                                              "related_cpus:0 1 2")));
    EXPECT_EQ(parts[4], "  mWakefulness=Awake\nDisplay Power: state=ON\n");
    EXPECT_THAT(parts[5], ContainsRegex("^MemTotal: +[0-9]+ kB\nMemAvailable: +[0-9]+ kB\n$"));
    EXPECT_THAT(parts[6], ContainsRegex(i == 0 ? ":8.0/OPR" : ":14/UQ1A"));
    EXPECT_THAT(parts[7], AllOf(HasSubstr("versionCode=4217 minSdk=23 targetSdk=31\n"),
                                HasSubstr("    versionName=2.16.1\n")));
  }
}

TEST_F(DevsimConditionsTest, HotPhoneShowsItThrottlesRunsSlowerAndCools) {
  const int phone = 1;
  const std::string prime = "/sys/devices/system/cpu/cpu7/cpufreq/";
  const int64_t max_khz = ReadInt(phone, prime + "cpuinfo_max_freq");
  ASSERT_TRUE(WaitUntilCool(phone, max_khz));
  const double cool = RunAvg(phone, "/data/local/tmp/y.tflite");

  // Hot through the control port, read back in one shell call (the phone cools with a 2 s
  // wall time constant, so 70 °C leaves room for a slow machine).
  ASSERT_THAT(*lab_->Control("soc-temp 1 70"), HasSubstr("ok"));
  const std::string hot_state = Shell(
      phone, absl::StrCat("dumpsys battery | grep temperature; dumpsys thermalservice | grep 'Thermal Status'; "
                          "cat ", prime, "scaling_cur_freq ", prime, "scaling_max_freq"));
  std::vector<std::string> lines = absl::StrSplit(hot_state, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << hot_state;
  int temp = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripPrefix(lines[0], "  temperature: "), &temp)) << hot_state;
  EXPECT_GT(temp, 380);
  EXPECT_THAT(lines[1], ContainsRegex("^Thermal Status: [2-6]$"));
  int64_t cur_khz = 0, cap_khz = 0;
  ASSERT_TRUE(absl::SimpleAtoi(lines[2], &cur_khz) && absl::SimpleAtoi(lines[3], &cap_khz));
  EXPECT_LT(cur_khz, max_khz * 85 / 100);
  EXPECT_EQ(cur_khz, cap_khz);
  EXPECT_THAT(*lab_->Control("status 1"), ContainsRegex("thermal_status=[A-Z]+ big_freq_pct=[0-9]+"));

  // A run that starts hot (kept hot in the same call) is slower.
  const double hot = RunAvg(phone, "/data/local/tmp/y.tflite", "devsimctl soc-temp 70 >/dev/null; ");
  EXPECT_GT(hot / cool, 1.3) << "cool " << cool << " hot " << hot;

  // Left alone it cools: full frequency and status NONE again.
  ASSERT_TRUE(WaitUntilCool(phone, max_khz));
  EXPECT_THAT(Shell(phone, "dumpsys thermalservice"), HasSubstr("\nThermal Status: 0\n"));

  // Battery and charger through the control port.
  ASSERT_THAT(*lab_->Control("charging 1 none"), HasSubstr("ok"));
  ASSERT_THAT(*lab_->Control("battery 1 12"), HasSubstr("ok"));
  EXPECT_THAT(Shell(phone, "dumpsys battery"),
              AllOf(HasSubstr("  USB powered: false\n"), HasSubstr("  status: 3\n"),
                    HasSubstr("  level: 12\n")));
  ASSERT_THAT(*lab_->Control("charging 1 usb"), HasSubstr("ok"));
  EXPECT_THAT(*lab_->Control("battery 1 101"), HasSubstr("error: devsimctl: bad battery level"));
}

TEST_F(DevsimConditionsTest, SlowdownFlagSlowsOnlyThatModelOnThatPhone) {
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WaitUntilCool(i, ReadInt(i, "/sys/devices/system/cpu/cpu7/cpufreq/cpuinfo_max_freq")));
  }
  const double x0 = Median3(0, "/data/local/tmp/x.tflite"), y0 = Median3(0, "/data/local/tmp/y.tflite");
  const double x1 = Median3(1, "/data/local/tmp/x.tflite"), y1 = Median3(1, "/data/local/tmp/y.tflite");
  EXPECT_NEAR(x0 / y0, 1.10, 0.03) << x0 << " " << y0;
  EXPECT_NEAR(x1 / y1, 1.00, 0.03) << x1 << " " << y1;

  // The control port sets and clears one at run time.
  ASSERT_THAT(*lab_->Control(absl::StrCat("slowdown 1 ", Sha256Of(y_), " 25")), HasSubstr("ok"));
  EXPECT_THAT(Shell(1, "devsimctl status"), HasSubstr(absl::StrCat(Sha256Of(y_), ":25")));
  const double y1_slow = Median3(1, "/data/local/tmp/y.tflite");
  EXPECT_NEAR(y1_slow / y1, 1.25, 0.04);
  ASSERT_THAT(*lab_->Control("slowdown 1 clear"), HasSubstr("ok"));
  EXPECT_THAT(Shell(1, "devsimctl status"), HasSubstr("slowdown=none"));
  EXPECT_THAT(*lab_->Control("slowdown 1 nothex 5"), HasSubstr("error: devsimctl: slowdown:"));
}

}  // namespace
}  // namespace benchlab
