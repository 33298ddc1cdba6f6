// BenchmarkCaptureParser: a capture of several runs splits at each run's start (logcat
// start lines, or STARTING! in native stdout), one result per run; --pid keeps one run.
#include "common/benchmark_capture.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab {
namespace {

// benchmark_model's stdout of one run with `avg` as its timed average.
std::string NativeRun(const std::string& avg) {
  return absl::StrCat(
      "INFO: STARTING!\n"
      "INFO: Num threads: [4]\n"
      "INFO: Loaded model /data/local/tmp/m.tflite\n"
      "INFO: Initialized TensorFlow Lite runtime.\n"
      "INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but "
      "terminate if exceeding 150 seconds.\n"
      "INFO: count=36 first=19834 curr=14218 min=13143 max=19834 avg=14030.8 std=1062\n"
      "INFO: Running benchmark for at least 50 iterations and at least 1 seconds but "
      "terminate if exceeding 150 seconds.\n"
      "INFO: count=76 first=13173 curr=12803 min=12547 max=17404 avg=", avg, " std=565\n"
      "INFO: Inference timings in us: Init: 38417, First inference: 19834, Warmup (avg): "
      "14030.8, Inference (avg): ", avg, "\n"
      "INFO: Memory footprint delta from the start of the tool (MB): init=20.3711 "
      "overall=27.9219\n");
}

// The same run in threadtime logcat for process `pid`, with ActivityManager's start line.
std::string LogcatRun(int pid, const std::string& avg) {
  std::string out = absl::StrCat("11-25 10:03:51.100  1402  1471 I ActivityManager: Start proc ",
                                 pid, ":org.tensorflow.lite.benchmark/u0a241 for activity\n");
  for (absl::string_view line : absl::StrSplit(NativeRun(avg), '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "11-25 10:03:52.000 ", pid, " ", pid, " I tflite  : ",
                    absl::StripPrefix(line, "INFO: "), "\n");
  }
  return out;
}

std::vector<CaptureRun> Parse(const std::string& text, BenchmarkParserOptions options = {}) {
  BenchmarkCaptureParser parser(options);
  parser.FeedBytes(text);
  parser.Finish();
  return parser.runs();
}

TEST(BenchmarkCaptureTest, NativeStdoutSplitsAtEachStarting) {
  std::vector<CaptureRun> runs = Parse(NativeRun("13232.1") + NativeRun("9000.5"));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].result.status, RunStatus::kOk);
  EXPECT_EQ(runs[1].result.status, RunStatus::kOk);
  EXPECT_DOUBLE_EQ(*runs[0].result.inference_avg_us, 13232.1);
  EXPECT_DOUBLE_EQ(*runs[1].result.inference_avg_us, 9000.5);
  EXPECT_EQ(runs[0].first_line, 1);
  EXPECT_EQ(runs[1].first_line, 11);
}

TEST(BenchmarkCaptureTest, LogcatSplitsPerProcessAndStart) {
  const std::string noise = "11-25 10:03:50.000  3127  3341 I tflite  : Initialized TensorFlow Lite runtime.\n";
  std::vector<CaptureRun> runs = Parse(noise + LogcatRun(6843, "13232.1") + LogcatRun(7001, "9000.5"));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].result.pid, 6843);
  EXPECT_EQ(runs[0].start, "11-25 10:03:51.100");
  EXPECT_DOUBLE_EQ(*runs[0].result.inference_avg_us, 13232.1);
  EXPECT_EQ(runs[1].result.pid, 7001);
  EXPECT_DOUBLE_EQ(*runs[1].result.inference_avg_us, 9000.5);

  // A pid given by the caller: that run only.
  std::vector<CaptureRun> one = Parse(LogcatRun(6843, "13232.1") + LogcatRun(7001, "9000.5"),
                                      {.pid = 7001});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_DOUBLE_EQ(*one[0].result.inference_avg_us, 9000.5);
}

TEST(BenchmarkCaptureTest, NothingFoundIsOneRunWithoutResult) {
  std::vector<CaptureRun> runs = Parse("just some notes\n");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].result.error_class, ErrorClass::kNoResult);
}

}  // namespace
}  // namespace benchlab
