// The agent's run on simulated phones through Debian's real adb server: install + push +
// start + logcat + parse, the skips on a second run, every devsim fault's error class,
// a phone unplugged mid-run, and the debounced device list.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/device_tracker.h"
#include "agent/run/run_conditions.h"
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

RunObserver OnState(std::function<void(v1::RunState)> f) {
  RunObserver o;
  o.on_state = std::move(f);
  return o;
}

class AgentRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = DevsimLab::Start({.phones = 2, .extra = {}, .log_path = dir_.path() + "/devsim.log"});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
    adb_ = adb::AdbClient::ConnectLocal({.port = lab_->adb_port()});
    apk_ = dir_.path() + "/benchmark.apk";
    model_ = dir_.path() + "/model.tflite";
    auto made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-apk", apk_,
                              "--make-model", model_, "--model-mb", "8"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }

  RunRequest Request(int phone, absl::Duration timeout = absl::Seconds(30)) {
    return RunRequestFor(lab_->Serial(phone), apk_, model_, {"--num_threads=4"}, timeout);
  }

  RunOutcome RunOnce(const RunRequest& request, const RunObserver& observer = {}) {
    BenchmarkRunner runner(adb_.get());
    return runner.Run(request, observer);
  }

  void SetFault(int phone, const std::string& fault) {
    auto r = lab_->Control(absl::StrCat("fault ", phone, " ", fault));
    ASSERT_TRUE(r.ok() && absl::StartsWith(*r, "ok")) << (r.ok() ? *r : r.status().ToString());
  }

  TempDir dir_;
  std::unique_ptr<DevsimLab> lab_;
  std::unique_ptr<adb::AdbClient> adb_;
  std::string apk_;
  std::string model_;
};

TEST_F(AgentRunnerTest, CleanRunInstallsPushesAndParsesTheResult) {
  std::vector<v1::RunState> states;
  int raw_lines = 0;
  RunObserver observer{
      .on_state = [&](v1::RunState s) { states.push_back(s); },
      .on_log_lines = [&](std::vector<std::string> lines) { raw_lines += lines.size(); },
      .on_partial_metrics = nullptr};
  RunOutcome o = RunOnce(Request(0), observer);
  ASSERT_EQ(o.state, v1::RUN_STATE_DONE) << o.error_message;
  EXPECT_FALSE(o.timings.install_skipped);
  EXPECT_FALSE(o.timings.push_skipped);
  EXPECT_EQ(states, (std::vector<v1::RunState>{v1::RUN_STATE_INSTALLING, v1::RUN_STATE_PUSHING,
                                                v1::RUN_STATE_RUNNING}));
  EXPECT_GT(o.metrics.count(), 0);
  EXPECT_GT(o.metrics.avg_us(), 0);
  EXPECT_GT(o.metrics.init_us(), 0);
  EXPECT_GT(o.metrics.inference_avg_us(), 0);
  EXPECT_GT(o.metrics.memory_overall_mb(), 0);
  EXPECT_GT(raw_lines, 5) << "the run's raw lines reach the observer";
  // The tool saw exactly the arguments we sent, with the model at its hashed path.
  EXPECT_TRUE(absl::StrContains(o.parsed.args, "--num_threads=4")) << o.parsed.args;
  EXPECT_TRUE(absl::StrContains(o.parsed.args, Request(0).model_sha256 + ".tflite"));
  // The phone's log was followed, not cleared: lines from before the run are still there.
  auto count = adb_->Shell(lab_->Serial(0), "logcat -d | wc -l", absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(count.ok());
  EXPECT_GT(std::stoi(count->stdout_data), 20);
}

TEST_F(AgentRunnerTest, SecondRunSkipsInstallAndPushAndSavesTime) {
  RunOutcome first = RunOnce(Request(0));
  ASSERT_EQ(first.state, v1::RUN_STATE_DONE) << first.error_message;
  RunOutcome second = RunOnce(Request(0));
  ASSERT_EQ(second.state, v1::RUN_STATE_DONE) << second.error_message;
  EXPECT_TRUE(second.timings.install_skipped);
  EXPECT_TRUE(second.timings.push_skipped);
  absl::Duration before = first.timings.install + first.timings.push;
  absl::Duration after = second.timings.install + second.timings.push;
  EXPECT_LT(after, before);
  std::cout << "install+push: first " << absl::FormatDuration(before) << ", second "
            << absl::FormatDuration(after) << " (saved " << absl::FormatDuration(before - after)
            << ")\n";
}

TEST_F(AgentRunnerTest, ChangedApkIsInstalledAgain) {
  ASSERT_EQ(RunOnce(Request(0)).state, v1::RUN_STATE_DONE);
  RunRequest other = Request(0);
  other.apk_sha256 = std::string(64, 'a');  // a different APK than the one installed
  RunOutcome o = RunOnce(other);
  ASSERT_EQ(o.state, v1::RUN_STATE_DONE) << o.error_message;
  EXPECT_FALSE(o.timings.install_skipped);
  EXPECT_TRUE(o.timings.push_skipped);
}

struct FaultCase {
  const char* fault;
  v1::ErrorClass expected;
};

TEST_F(AgentRunnerTest, EveryToolFaultGivesItsErrorClassWithinItsDeadline) {
  const FaultCase cases[] = {
      {"graph-missing", v1::ERROR_CLASS_MODEL_MISSING},
      {"invalid-flag", v1::ERROR_CLASS_BAD_FLAG},
      {"crash", v1::ERROR_CLASS_APP_CRASHED},
      {"bad-model", v1::ERROR_CLASS_MODEL_INVALID},
      {"hang", v1::ERROR_CLASS_TIMED_OUT},
  };
  const absl::Duration timeout = absl::Seconds(4);
  for (const FaultCase& c : cases) {
    SetFault(1, c.fault);
    const absl::Time t0 = absl::Now();
    RunOutcome o = RunOnce(Request(1, timeout));
    const absl::Duration took = absl::Now() - t0;
    EXPECT_EQ(o.state, v1::RUN_STATE_FAILED) << c.fault;
    EXPECT_EQ(o.error_class, c.expected)
        << c.fault << ": " << v1::ErrorClass_Name(o.error_class) << " " << o.error_message;
    EXPECT_FALSE(o.evidence.empty()) << c.fault << ": the lines that show why";
    EXPECT_FALSE(o.error_message.empty()) << c.fault;
    EXPECT_LT(took, timeout + absl::Seconds(3)) << c.fault;
  }
  SetFault(1, "none");
  EXPECT_EQ(RunOnce(Request(1)).state, v1::RUN_STATE_DONE) << "the phone recovers";
}

TEST_F(AgentRunnerTest, ABrokenApkIsInstallFailedWithThePackageManagersReason) {
  RunRequest r = Request(0);
  r.apk_path = dir_.path() + "/broken.apk";
  FILE* f = fopen(r.apk_path.c_str(), "w");
  fputs("not a zip", f);
  fclose(f);
  r.apk_sha256 = std::string(64, 'b');
  RunOutcome o = RunOnce(r);
  EXPECT_EQ(o.error_class, v1::ERROR_CLASS_INSTALL_FAILED) << o.error_message;
  EXPECT_TRUE(absl::StrContains(o.error_message, "INSTALL_PARSE_FAILED")) << o.error_message;
}

TEST_F(AgentRunnerTest, LinkFaultsEndAsDeviceLostWithinTheDeadline) {
  for (const char* fault : {"disconnect", "unauthorized"}) {
    SetFault(1, fault);
    const absl::Time t0 = absl::Now();
    RunOutcome o = RunOnce(Request(1, absl::Seconds(10)));
    EXPECT_EQ(o.error_class, v1::ERROR_CLASS_DEVICE_LOST)
        << fault << ": " << v1::ErrorClass_Name(o.error_class) << " " << o.error_message << " | "
        << (o.evidence.empty() ? "" : o.evidence[0]);
    EXPECT_LT(absl::Now() - t0, absl::Seconds(12)) << fault;
    SetFault(1, "none");
    // adb keeps an unauthorized phone unauthorized until it connects again.
    lab_->adb().Adb({"disconnect", lab_->Serial(1)});
    ASSERT_TRUE(lab_->Control("plug 1").ok());
    ASSERT_TRUE(lab_->Reconnect(1).ok()) << fault;
  }
  RunOutcome back = RunOnce(Request(1));
  EXPECT_EQ(back.state, v1::RUN_STATE_DONE)
      << "the phone is back: " << v1::ErrorClass_Name(back.error_class) << " " << back.error_message << " | "
      << (back.evidence.empty() ? "" : back.evidence[0]);
}

TEST_F(AgentRunnerTest, CooldownWaitsWhileThePhoneIsHotAndNotWhenItIsCool) {
  RunRequest cool = Request(0);
  cool.cooldown_below_c = 60;  // far above this phone's temperature
  cool.cooldown_max = absl::Seconds(10);
  RunOutcome o = RunOnce(cool);
  ASSERT_EQ(o.state, v1::RUN_STATE_DONE) << o.error_message;
  EXPECT_LT(o.timings.cooldown, absl::Seconds(1));

  auto hot = lab_->Control("temp 0 48");
  ASSERT_TRUE(hot.ok() && absl::StartsWith(*hot, "ok")) << (hot.ok() ? *hot : "");
  RunRequest wait = Request(0);
  wait.cooldown_below_c = 35;  // a 60 s cooling constant: far longer than the cap
  wait.cooldown_max = absl::Seconds(3);
  o = RunOnce(wait);
  ASSERT_EQ(o.state, v1::RUN_STATE_DONE) << o.error_message;
  EXPECT_GE(o.timings.cooldown, absl::Milliseconds(2900));
  EXPECT_LT(o.timings.cooldown, absl::Seconds(6));
}

TEST_F(AgentRunnerTest, ARunRecordsThePhonesConditionsBeforeAndAfter) {
  // A phone made warm and unplugged: the values must be the phone's, not defaults.
  for (const char* knob : {"temp 0 41.5", "battery 0 63", "charging 0 none"}) {
    auto r = lab_->Control(knob);
    ASSERT_TRUE(r.ok() && absl::StartsWith(*r, "ok")) << knob << ": " << (r.ok() ? *r : r.status().ToString());
  }
  const int64_t t0 = absl::ToUnixMillis(absl::Now());
  RunOutcome o = RunOnce(Request(0));
  ASSERT_EQ(o.state, v1::RUN_STATE_DONE) << o.error_message;
  ASSERT_TRUE(o.conditions.has_before());
  ASSERT_TRUE(o.conditions.has_after());
  const v1::RunConditions& b = o.conditions.before();
  const v1::RunConditions& a = o.conditions.after();
  EXPECT_NEAR(b.battery_temp_c(), 41.5, 1.0);
  EXPECT_NEAR(b.battery_level_pct(), 63, 1);
  EXPECT_FALSE(b.charging());
  EXPECT_EQ(b.plugged(), "none");
  EXPECT_NE(b.thermal_status(), v1::THERMAL_STATUS_UNSPECIFIED);
  ASSERT_FALSE(b.cpu_clusters().empty());
  for (const v1::CpuCluster& c : b.cpu_clusters()) {
    EXPECT_TRUE(c.has_cpu_freq_khz());
    EXPECT_GT(c.max_freq_khz(), 0);
    EXPECT_FALSE(c.cpus().empty());
  }
  EXPECT_TRUE(b.has_screen_on());
  EXPECT_GT(b.mem_available_kb(), 0);
  EXPECT_FALSE(b.build_fingerprint().empty());
  EXPECT_TRUE(b.has_apk_version_code()) << "read after the install";
  EXPECT_FALSE(b.apk_version_name().empty());
  EXPECT_GE(b.read_unix_ms(), t0);
  EXPECT_GE(a.read_unix_ms(), b.read_unix_ms());
  EXPECT_TRUE(a.has_battery_temp_c());
  EXPECT_EQ(a.build_fingerprint(), b.build_fingerprint());
}

TEST_F(AgentRunnerTest, ConditionsAreReadOnlyAroundABenchmarkThatStartedTimeoutsIncluded) {
  RunRequest broken = Request(0);
  broken.apk_path = dir_.path() + "/broken.apk";
  FILE* f = fopen(broken.apk_path.c_str(), "w");
  fputs("not a zip", f);
  fclose(f);
  broken.apk_sha256 = std::string(64, 'b');
  RunOutcome o = RunOnce(broken);
  EXPECT_EQ(o.error_class, v1::ERROR_CLASS_INSTALL_FAILED) << o.error_message;
  EXPECT_FALSE(o.conditions.has_before()) << "the benchmark never started";
  EXPECT_FALSE(o.conditions.has_after());

  SetFault(1, "hang");
  o = RunOnce(Request(1, absl::Seconds(3)));
  EXPECT_EQ(o.error_class, v1::ERROR_CLASS_TIMED_OUT) << o.error_message;
  EXPECT_TRUE(o.conditions.has_before());
  EXPECT_TRUE(o.conditions.after().has_battery_temp_c()) << "read after the hung app was stopped";
  SetFault(1, "none");
}

// The cost of the one shell call, as the agent pays it before and after every run.
TEST_F(AgentRunnerTest, ReadingTheConditionsIsOneCheapCall) {
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const absl::Time t = absl::Now();
    auto c = ReadRunConditions(*adb_, lab_->Serial(0), kBenchmarkPackage, absl::Now() + absl::Seconds(10));
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_TRUE(c->has_battery_temp_c());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("run conditions read on devsim: median %.1f ms, min %.1f ms, max %.1f ms (21 reads)\n", ms[10],
              ms.front(), ms.back());
  EXPECT_LT(ms[10], 1000) << "one call, not a dozen";
}

TEST_F(AgentRunnerTest, HostileArgumentsAreRefusedBeforeAnythingReachesThePhone) {
  for (std::string hostile : {"--foo=$(reboot)", "--foo=`id`", "--a=1;reboot", "--a='x'",
                              "--a=1\nreboot", "--graph=/sdcard/other.tflite"}) {
    RunRequest r = Request(0);
    r.args.push_back(hostile);
    int states = 0;
    RunOutcome o = RunOnce(r, OnState([&](v1::RunState) { ++states; }));
    EXPECT_EQ(o.error_class, v1::ERROR_CLASS_BAD_FLAG) << hostile;
    EXPECT_EQ(states, 0) << "no step started for " << hostile;
  }
  auto installed = adb_->Shell(lab_->Serial(0), "pm path org.tensorflow.lite.benchmark",
                               absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(installed.ok());
  EXPECT_FALSE(absl::StrContains(installed->stdout_data, "package:")) << "nothing was installed";
}

TEST_F(AgentRunnerTest, UnpluggedPhoneEndsAsDeviceLostWhileTheOtherCompletes) {
  // Phone 0 runs long enough to be unplugged in the middle.
  lab_.reset();
  auto lab = DevsimLab::Start({.phones = 2, .run_seconds = 4, .extra = {}, .log_path = dir_.path() + "/devsim2.log"});
  ASSERT_TRUE(lab.ok()) << lab.status();
  lab_ = std::move(*lab);
  adb_ = adb::AdbClient::ConnectLocal({.port = lab_->adb_port()});

  absl::Notification running;
  RunOutcome lost, kept;
  std::thread t0([&] {
    lost = RunOnce(Request(0), OnState([&](v1::RunState s) {
                     if (s == v1::RUN_STATE_RUNNING) running.Notify();
                   }));
  });
  std::thread t1([&] { kept = RunOnce(Request(1)); });
  ASSERT_TRUE(running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(1500));  // into the benchmark itself
  auto r = lab_->Control("unplug 0");
  ASSERT_TRUE(r.ok()) << r.status();
  const absl::Time unplugged = absl::Now();
  t0.join();
  const absl::Duration noticed = absl::Now() - unplugged;
  t1.join();
  EXPECT_EQ(lost.state, v1::RUN_STATE_FAILED);
  EXPECT_EQ(lost.error_class, v1::ERROR_CLASS_DEVICE_LOST) << lost.error_message;
  EXPECT_LT(noticed, absl::Seconds(10));
  EXPECT_EQ(kept.state, v1::RUN_STATE_DONE) << kept.error_message;
}

TEST_F(AgentRunnerTest, CancelStopsTheRunAndTheApp) {
  SetFault(0, "hang");
  BenchmarkRunner runner(adb_.get());
  absl::Notification running;
  std::thread canceller([&] {
    running.WaitForNotification();
    absl::SleepFor(absl::Milliseconds(500));
    runner.Cancel();
  });
  const absl::Time t0 = absl::Now();
  RunOutcome o = runner.Run(Request(0, absl::Seconds(60)),
                            OnState([&](v1::RunState s) {
                              if (s == v1::RUN_STATE_RUNNING) running.Notify();
                            }));
  canceller.join();
  EXPECT_EQ(o.state, v1::RUN_STATE_CANCELLED);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(20));
  auto pid = adb_->Shell(lab_->Serial(0), "pidof org.tensorflow.lite.benchmark",
                         absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(pid.ok());
  EXPECT_NE(pid->exit_code, 0) << "the app was force-stopped: " << pid->stdout_data;
}

TEST_F(AgentRunnerTest, ARunCancelledBeforeItsFirstStepNeverTouchesThePhone) {
  // The daemon's case: the cancel came while the artifacts were fetched, before Run().
  BenchmarkRunner runner(adb_.get());
  runner.Cancel();
  int states = 0;
  RunOutcome o = runner.Run(Request(0), OnState([&](v1::RunState) { ++states; }));
  EXPECT_EQ(o.state, v1::RUN_STATE_CANCELLED);
  EXPECT_EQ(states, 0);
  auto installed = adb_->Shell(lab_->Serial(0), "pm path org.tensorflow.lite.benchmark",
                               absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(installed.ok());
  EXPECT_FALSE(absl::StrContains(installed->stdout_data, "package:"))
      << "a cancelled run installed its APK (it replaces the package under a running app)";
}

TEST_F(AgentRunnerTest, AnAppKilledByAPackageReplaceIsProcessDeathAtOnce) {
  // Seen: another run's install replaced the package under this run's app, which the
  // package manager kills; the run then waited out its whole timeout.
  lab_.reset();
  auto lab = DevsimLab::Start({.phones = 1, .run_seconds = 30, .extra = {},
                               .log_path = dir_.path() + "/devsim3.log"});
  ASSERT_TRUE(lab.ok()) << lab.status();
  lab_ = std::move(*lab);
  adb_ = adb::AdbClient::ConnectLocal({.port = lab_->adb_port()});

  absl::Notification tool_lines;
  RunObserver observer;
  observer.on_log_lines = [&](std::vector<std::string>) {
    if (!tool_lines.HasBeenNotified()) tool_lines.Notify();
  };
  RunOutcome o;
  const absl::Duration timeout = absl::Seconds(20);
  std::thread run([&] { o = RunOnce(Request(0, timeout), observer); });
  ASSERT_TRUE(tool_lines.WaitForNotificationWithTimeout(absl::Seconds(20)));
  auto replaced = lab_->adb().Adb({"-s", lab_->Serial(0), "install", "-r", apk_});
  const absl::Time killed = absl::Now();
  run.join();
  const absl::Duration noticed = absl::Now() - killed;
  EXPECT_EQ(replaced.exit_code, 0) << replaced.output;
  EXPECT_EQ(o.state, v1::RUN_STATE_FAILED);
  EXPECT_EQ(o.error_class, v1::ERROR_CLASS_PROCESS_DIED)
      << v1::ErrorClass_Name(o.error_class) << " " << o.error_message;
  EXPECT_TRUE(absl::StrContains(o.error_message, "Killing")) << o.error_message;
  EXPECT_LT(noticed, absl::Seconds(5)) << "not a wait for the run's timeout";
  std::cout << "killed app noticed after " << absl::FormatDuration(noticed) << "\n";
}

TEST_F(AgentRunnerTest, TrackerReportsUnplugAndReplugOnceSettled) {
  absl::Mutex mu;
  std::vector<std::string> events;
  DeviceTracker tracker(
      adb_.get(),
      [&](const adb::AdbDevice& d, bool removed) {
        absl::MutexLock lock(&mu);
        events.push_back(absl::StrCat(d.serial, " ", removed ? "removed" : d.state));
      },
      {.settle = absl::Milliseconds(500), .resync = absl::Seconds(1)});
  tracker.Start();
  ASSERT_TRUE(tracker.WaitForFirstSnapshot(absl::Seconds(10)));
  EXPECT_EQ(tracker.Current().size(), 2u);
  // Waits until `event` has been reported `times` times.
  auto wait_for = [&](const std::string& event, int times = 1) {
    absl::MutexLock lock(&mu);
    auto seen = [&] {
      int n = 0;
      for (const std::string& e : events) n += e == event;
      return n >= times;
    };
    return mu.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(20));
  };
  ASSERT_TRUE(lab_->Control("unplug 1").ok());
  const std::string serial = lab_->Serial(1);
  // adb keeps a network phone it lost as "offline" (or drops it); either is reported once.
  bool gone = wait_for(serial + " offline") || wait_for(serial + " removed");
  EXPECT_TRUE(gone);
  ASSERT_TRUE(lab_->Control("plug 1").ok());
  ASSERT_TRUE(lab_->Reconnect(1).ok());
  EXPECT_TRUE(wait_for(serial + " device", 2));
  tracker.Stop();
  absl::MutexLock lock(&mu);
  int reported_device = 0;
  for (const std::string& e : events) reported_device += e == serial + " device";
  EXPECT_EQ(reported_device, 2) << "once at start, once after the re-plug";
}

}  // namespace
}  // namespace benchlab::agent
