// agent/run pieces without a phone: device properties parsing, the start command's
// quoting, parser results to protos, and the tracker's debounce fed by hand.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/device_info.h"
#include "agent/run/device_tracker.h"
#include "agent/run/metrics_proto.h"
#include "common/benchmark_parser.h"
#include "tests/support/paths.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

TEST(DeviceInfo, ParsesGetpropAndBattery) {
  auto props = ParseGetprop(
      "[ro.product.model]: [Pixel 7]\n[ro.build.version.sdk]: [34]\n[empty]: []\ngarbage\n");
  EXPECT_EQ(props["ro.product.model"], "Pixel 7");
  EXPECT_EQ(props["ro.build.version.sdk"], "34");
  EXPECT_EQ(props["empty"], "");
  EXPECT_EQ(props.size(), 3u);
  BatteryState b = ParseDumpsysBattery("Current Battery Service state:\n  level: 87\n"
                                       "  temperature: 312\n");
  EXPECT_EQ(b.level_pct, 87);
  EXPECT_TRUE(b.has_temp);
  EXPECT_DOUBLE_EQ(b.temp_c, 31.2);
  EXPECT_FALSE(ParseDumpsysBattery("nothing").has_temp);
}

TEST(BenchmarkRunner, StartCommandKeepsTheArgumentsOneShellWord) {
  std::string cmd = BenchmarkRunner::StartCommand(BenchmarkRunner::RemoteModelPath("ab12"),
                                                  {"--num_threads=4", "--use_gpu=true"});
  EXPECT_EQ(cmd,
            "am start -S -n 'org.tensorflow.lite.benchmark/.BenchmarkModelActivity' --es args "
            "'--graph=/data/local/tmp/benchlab/ab12.tflite --num_threads=4 --use_gpu=true'");
}

TEST(MetricsProto, CopiesEveryMetricTheCaptureHas) {
  BenchmarkParser parser;
  std::string text;
  FILE* f = fopen(testing::DataPath("01_cpu_xnnpack_2024.logcat").c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) parser.FeedBytes(absl::string_view(buf, n));
  fclose(f);
  parser.Finish();
  v1::BenchmarkMetrics m = ToMetricsProto(parser.result());
  ASSERT_TRUE(parser.result().timed.has_value());
  EXPECT_EQ(m.count(), *parser.result().timed->count);
  EXPECT_DOUBLE_EQ(m.avg_us(), *parser.result().timed->avg_us);
  EXPECT_TRUE(m.has_init_us());
  EXPECT_TRUE(m.has_memory_overall_mb());
  EXPECT_EQ(m.timed().count(), m.count());
  EXPECT_GT(m.warmup().count(), 0);
  EXPECT_EQ(ToErrorClassProto(ErrorClass::kNativeCrash), v1::ERROR_CLASS_APP_CRASHED);
  EXPECT_EQ(ToErrorClassProto(ErrorClass::kModelMissing), v1::ERROR_CLASS_MODEL_MISSING);
}

adb::AdbDevice Phone(const std::string& serial, const std::string& state) {
  adb::AdbDevice d;
  d.serial = serial;
  d.state = state;
  return d;
}

class TrackerTest : public ::testing::Test {
 protected:
  TrackerTest()
      : tracker_(nullptr,
                 [this](const adb::AdbDevice& d, bool removed) {
                   absl::MutexLock lock(&mu_);
                   events_.push_back(d.serial + " " + (removed ? "removed" : d.state));
                 },
                 {.settle = absl::Milliseconds(200)}) {}

  std::vector<std::string> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  bool WaitForEvents(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(5));
  }

  absl::Mutex mu_;
  std::vector<std::string> events_;
  DeviceTracker tracker_;
};

TEST_F(TrackerTest, FirstSnapshotIsTakenAsIsAndBlinksAreSwallowed) {
  tracker_.Start();  // no adb client: only the settling thread runs
  tracker_.OnSnapshot({Phone("a", "device")});
  ASSERT_TRUE(WaitForEvents(1));
  // A blink shorter than the settle time is never reported.
  tracker_.OnSnapshot({Phone("a", "offline")});
  absl::SleepFor(absl::Milliseconds(50));
  tracker_.OnSnapshot({Phone("a", "device")});
  // A new phone blinking offline first is reported once, as it settles.
  tracker_.OnSnapshot({Phone("a", "device"), Phone("b", "offline")});
  absl::SleepFor(absl::Milliseconds(50));
  tracker_.OnSnapshot({Phone("a", "device"), Phone("b", "device")});
  ASSERT_TRUE(WaitForEvents(2));
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(Events(), (std::vector<std::string>{"a device", "b device"}));
  // A change that holds is reported; so is a removal.
  tracker_.OnSnapshot({Phone("b", "offline")});
  ASSERT_TRUE(WaitForEvents(4));
  auto events = Events();
  std::sort(events.begin() + 2, events.end());
  EXPECT_EQ(events, (std::vector<std::string>{"a device", "b device", "a removed", "b offline"}));
  EXPECT_EQ(tracker_.Current().size(), 1u);
  tracker_.Stop();
}

}  // namespace
}  // namespace benchlab::agent
