// The agent's run on simulated Android 5.1, 6.0, 8.0 and 14 phones through Debian's real
// adb server: each phone's `date`, `logcat` and commands behave as that release's do
// (devsim --android), and the run still ends DONE with the metrics, skipping install and
// push the second time whatever hash tool the phone has.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/run_conditions.h"
#include "agent/run/phone_clock.h"
#include "agent/run/phone_tools.h"
#include "tests/integration/run_request.h"
#include "tests/support/devsim_lab.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;
using testing::DevsimLab;
using testing::TempDir;

constexpr int kAndroid51 = 0, kAndroid80 = 1, kAndroid14 = 2, kAndroid60 = 3;

class AgentAndroidVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = DevsimLab::Start({.phones = 4,
                                 .extra = {"--android", "0=5.1", "--android", "1=8.0",
                                           "--android", "2=14", "--android", "3=6.0"},
                                 .log_path = dir_.path() + "/devsim.log"});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
    adb_ = adb::AdbClient::ConnectLocal({.port = lab_->adb_port()});
    // The legacy phones get an APK built for them (minSdk 21); the real benchmark APK's
    // minSdk 23 is refused on 5.1.
    apk_ = dir_.path() + "/benchmark-legacy.apk";
    apk23_ = dir_.path() + "/benchmark.apk";
    model_ = dir_.path() + "/model.tflite";
    auto made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-apk", apk_,
                              "--apk-min-sdk", "21", "--make-model", model_, "--model-mb", "1"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-apk", apk23_});
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }

  RunRequest Request(int phone) {
    return RunRequestFor(lab_->Serial(phone), apk_, model_, {"--num_threads=2"}, absl::Seconds(30));
  }

  std::string Sh(int phone, const std::string& command) {
    auto r = adb_->Shell(lab_->Serial(phone), command, absl::Now() + absl::Seconds(10));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->stdout_data + r->stderr_data : "";
  }
  int ShExit(int phone, const std::string& command) {
    auto r = adb_->Shell(lab_->Serial(phone), command, absl::Now() + absl::Seconds(10));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->exit_code : -1;
  }

  TempDir dir_;
  std::unique_ptr<DevsimLab> lab_;
  std::unique_ptr<adb::AdbClient> adb_;
  std::string apk_;
  std::string apk23_;
  std::string model_;
};

TEST_F(AgentAndroidVersionsTest, PhonesShowTheirReleasesDateAndLogcat) {
  EXPECT_EQ(Sh(kAndroid51, "getprop ro.build.version.sdk"), "22\n");
  EXPECT_EQ(Sh(kAndroid80, "getprop ro.build.version.sdk"), "26\n");
  // Before toybox 0.7.4 strftime gets %3N and prints "3N".
  for (int phone : {kAndroid51, kAndroid80}) {
    EXPECT_TRUE(absl::EndsWith(Sh(phone, "date +%s.%3N"), ".3N\n")) << phone;
  }
  std::string now14 = Sh(kAndroid14, "date +%s.%3N");
  EXPECT_FALSE(absl::StrContains(now14, "N")) << now14;
  // 5.1's logcat reads only 'MM-DD hh:mm:ss.mmm'.
  std::string refused = Sh(kAndroid51, "logcat -d -T 1700000000.000");
  EXPECT_TRUE(absl::StrContains(refused, "not in \"%m-%d %H:%M:%S.%3q\" time format")) << refused;
  EXPECT_FALSE(absl::StrContains(Sh(kAndroid80, "logcat -d -T 1700000000.000"), "time format"));

  auto caps51 = ProbePhoneClock(*adb_, lab_->Serial(kAndroid51), absl::Now() + absl::Seconds(10));
  auto caps80 = ProbePhoneClock(*adb_, lab_->Serial(kAndroid80), absl::Now() + absl::Seconds(10));
  auto caps14 = ProbePhoneClock(*adb_, lab_->Serial(kAndroid14), absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(caps51.ok() && caps80.ok() && caps14.ok());
  EXPECT_FALSE(caps51->millis);
  EXPECT_FALSE(caps51->logcat_epoch);
  EXPECT_FALSE(caps80->millis);
  EXPECT_TRUE(caps80->logcat_epoch);
  EXPECT_TRUE(caps14->millis);
  EXPECT_TRUE(caps14->logcat_epoch);
}

// Before the probe, 5.1 and 6.0 failed every run as internal ("the logcat stream
// ended": their logcat refuses '<secs>.3N'). 8.0's logcat takes '<secs>.3N' with a
// "time truncated" warning, so it ran from the whole second.
TEST_F(AgentAndroidVersionsTest, BenchmarkRunsOnAndroid51And60And80And14) {
  for (int phone : {kAndroid51, kAndroid60, kAndroid80, kAndroid14}) {
    for (int run = 0; run < 2; ++run) {  // the second run reuses the cached probe
      BenchmarkRunner runner(adb_.get());
      RunOutcome o = runner.Run(Request(phone), {});
      EXPECT_EQ(o.state, v1::RUN_STATE_DONE)
          << "phone " << phone << " run " << run << ": "
          << v1::ErrorClass_Name(o.error_class) << ": " << o.error_message;
      if (o.state != v1::RUN_STATE_DONE) break;
      EXPECT_GT(o.metrics.count(), 0);
      EXPECT_GT(o.metrics.avg_us(), 0);
      EXPECT_GT(o.metrics.memory_overall_mb(), 0);
      EXPECT_TRUE(absl::StrContains(o.parsed.args, "--num_threads=2")) << o.parsed.args;
      // The same APK and model are found the second time: hashed with sha256sum (8.0+),
      // md5sum (6.0, 7.x) or toolbox md5 (5.x).
      EXPECT_EQ(o.timings.install_skipped, run == 1) << "phone " << phone << " run " << run;
      EXPECT_EQ(o.timings.push_skipped, run == 1) << "phone " << phone << " run " << run;
    }
  }
}

// What each release lacks is refused as that release does (android_version.cc has the
// sources): mksh's "not found" (127), logcat's "Unrecognized Option", toolbox ps.
TEST_F(AgentAndroidVersionsTest, PhonesRefuseWhatTheirReleaseLacks) {
  EXPECT_EQ(Sh(kAndroid51, "sha256sum /data/local/tmp/x"),
            "/system/bin/sh: sha256sum: not found\n");
  // Exit 127: the shell found no such command; 1: the tool ran and found no file.
  struct Case {
    int phone;
    const char* command;
    int exit_code;
  };
  for (const Case& c : std::vector<Case>{{kAndroid51, "sha256sum /data/local/tmp/x", 127},
                                         {kAndroid51, "md5sum /data/local/tmp/x", 127},
                                         {kAndroid51, "pidof logd", 127},
                                         {kAndroid60, "sha256sum /data/local/tmp/x", 127},
                                         {kAndroid60, "pidof logd", 127},
                                         {kAndroid60, "md5 /data/local/tmp/x", 127},
                                         {kAndroid60, "md5sum /data/local/tmp/x", 1},
                                         {kAndroid80, "sha256sum /data/local/tmp/x", 1},
                                         {kAndroid80, "pidof logd", 0},
                                         {kAndroid51, "logcat -d --pid=1", 255},
                                         {kAndroid60, "logcat -d --pid=1", 1},
                                         {kAndroid80, "logcat -d --pid=1 -m 1 -e x", 0}}) {
    EXPECT_EQ(ShExit(c.phone, c.command), c.exit_code) << "phone " << c.phone << ": " << c.command;
  }
  EXPECT_EQ(Sh(kAndroid51, "md5 /data/local/tmp/x"),
            "could not open /data/local/tmp/x, No such file or directory\n");
  EXPECT_EQ(Sh(kAndroid14, "sha256sum /data/local/tmp/x"),
            "sha256sum: /data/local/tmp/x: No such file or directory\n");
  EXPECT_TRUE(absl::StartsWith(Sh(kAndroid51, "logcat -d -m 1"), "Unrecognized Option\n"));
  EXPECT_TRUE(absl::StartsWith(Sh(kAndroid60, "logcat -d -e x"), "Unrecognized Option e\n"));

  EXPECT_TRUE(absl::StartsWith(Sh(kAndroid51, "ps"), "USER     PID   PPID  VSIZE  RSS")) << Sh(kAndroid51, "ps");
  EXPECT_TRUE(absl::StartsWith(Sh(kAndroid14, "ps -A"), "USER           PID  PPID"));

  // The agent finds each phone's best hash tool, and leaves out `pm install -g` on 5.1.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (auto [phone, tool] : {std::pair{kAndroid51, PhoneHashTool::kToolboxMd5},
                             std::pair{kAndroid60, PhoneHashTool::kMd5sum},
                             std::pair{kAndroid80, PhoneHashTool::kSha256sum}}) {
    auto probed = ProbePhoneTools(*adb_, lab_->Serial(phone), deadline);
    ASSERT_TRUE(probed.ok()) << probed.status();
    EXPECT_EQ(PhoneHashToolName(probed->hash_tool), PhoneHashToolName(tool)) << "phone " << phone;
    EXPECT_EQ(absl::c_linear_search(InstallArgsFor(*probed), "-g"), phone != kAndroid51) << phone;
  }
  EXPECT_EQ(Sh(kAndroid51, "pm install -r -g /data/local/tmp/x.apk"), "Error: Unknown option: -g\n");
}

// The real benchmark APK (minSdk 23) on Android 5.1: the phone's package manager refuses
// it, and the run fails as install_failed with the phone's words.
TEST_F(AgentAndroidVersionsTest, MinSdk23ApkIsRefusedOnAndroid51) {
  testing::RunResult r = lab_->adb().Adb({"-s", lab_->Serial(kAndroid51), "install", apk23_});
  EXPECT_TRUE(absl::StrContains(r.output, "Failure [INSTALL_FAILED_OLDER_SDK]")) << r.output;

  BenchmarkRunner runner(adb_.get());
  RunRequest request23 = RunRequestFor(lab_->Serial(kAndroid51), apk23_, model_, {},
                                       absl::Seconds(30));
  RunOutcome o = runner.Run(request23, {});
  EXPECT_EQ(o.state, v1::RUN_STATE_FAILED);
  EXPECT_EQ(o.error_class, v1::ERROR_CLASS_INSTALL_FAILED)
      << v1::ErrorClass_Name(o.error_class) << ": " << o.error_message;
  EXPECT_TRUE(absl::StrContains(o.error_message, "INSTALL_FAILED_OLDER_SDK")) << o.error_message;
  // 6.0 is SDK 23: the same APK installs there.
  EXPECT_TRUE(absl::StrContains(
      lab_->adb().Adb({"-s", lab_->Serial(kAndroid60), "install", apk23_}).output, "Success"));
}

// The APK the runs install is a genuine one as far as its manifest goes: compiled binary
// XML that the SDK's aapt reads back.
TEST_F(AgentAndroidVersionsTest, TheInstalledApkHasABinaryManifestAaptReads) {
  if (access("/usr/bin/aapt", X_OK) != 0) {
    GTEST_SKIP() << "aapt is not installed (Debian package aapt; deploy/setup.sh installs it)";
  }
  testing::RunResult tree =
      testing::Run({"/usr/bin/aapt", "dump", "xmltree", apk_, "AndroidManifest.xml"});
  EXPECT_EQ(tree.exit_code, 0) << tree.output;
  EXPECT_TRUE(absl::StrContains(tree.output, "A: package=\"org.tensorflow.lite.benchmark\""))
      << tree.output;
}

// Debian's adb installs it on the oldest and the newest phone (legacy push + pm install on
// 5.1, streamed install on 14), and the package manager read its package from the binary
// manifest.
TEST_F(AgentAndroidVersionsTest, AdbInstallsTheBinaryManifestApk) {
  for (int phone : {kAndroid51, kAndroid14}) {
    testing::RunResult r = lab_->adb().Adb({"-s", lab_->Serial(phone), "install", "-r", apk_});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(absl::StrContains(r.output, "Success")) << r.output;
    EXPECT_TRUE(absl::StrContains(Sh(phone, "pm list packages"),
                                  "package:org.tensorflow.lite.benchmark\n"));
  }
}

}  // namespace
}  // namespace benchlab::agent

namespace benchlab::agent {
namespace {

// The run-conditions script on each release: one call, nothing fails; thermal status only
// where thermalservice exists (10+), MemAvailable only from 7.0's kernels.
TEST_F(AgentAndroidVersionsTest, RunConditionsAreReadOnEveryReleaseWithWhatItHas) {
  for (int phone : {kAndroid51, kAndroid60, kAndroid80, kAndroid14}) {
    auto c = ReadRunConditions(*adb_, lab_->Serial(phone), kBenchmarkPackage, absl::Now() + absl::Seconds(10));
    ASSERT_TRUE(c.ok()) << phone << ": " << c.status();
    EXPECT_TRUE(c->has_battery_level_pct()) << phone;
    EXPECT_TRUE(c->has_battery_temp_c()) << phone;
    EXPECT_TRUE(c->has_charging()) << phone;
    EXPECT_FALSE(c->plugged().empty()) << phone;
    EXPECT_TRUE(c->has_screen_on()) << phone;
    EXPECT_TRUE(c->has_mem_total_kb()) << phone;
    EXPECT_FALSE(c->build_fingerprint().empty()) << phone;
    EXPECT_FALSE(c->cpu_clusters().empty()) << phone;
    for (const v1::CpuCluster& cl : c->cpu_clusters()) {
      EXPECT_TRUE(cl.has_cpu_freq_khz()) << phone;
      EXPECT_FALSE(cl.governor().empty()) << phone;
    }
    EXPECT_FALSE(c->temperatures_c().empty()) << phone << ": the HAL's, or the sysfs zones before 10";
    EXPECT_GT(c->read_unix_ms(), 0);
    if (phone == kAndroid14) {
      EXPECT_NE(c->thermal_status(), v1::THERMAL_STATUS_UNSPECIFIED);
    } else {
      EXPECT_EQ(c->thermal_status(), v1::THERMAL_STATUS_UNSPECIFIED) << phone << " has no thermalservice";
    }
    EXPECT_EQ(c->has_mem_available_kb(), phone == kAndroid80 || phone == kAndroid14) << phone;
  }
}

}  // namespace
}  // namespace benchlab::agent
