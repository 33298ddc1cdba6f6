// Cross-check: what the simulated phone prints, read by benchlab's own benchmark parser
// (common/), must give the numbers and failure classes the phone meant. devsim does not
// use the parser; only this test joins them, so a format drift on either side shows here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/benchmark_parser.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

constexpr absl::string_view kStart =
    "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity --es args ";

class ParserCompatTest : public ::testing::Test {
 protected:
  ParserCompatTest() : phone_(MakeProfile(21, 3), 21, absl::Milliseconds(400)) {
    // Background noise stays on: the parser must pick the run's pid out of it.
    const std::string apk = MakeFakeApk();
    StringIo io(apk);
    EXPECT_EQ(phone_.InstallStreamed({}, static_cast<int64_t>(apk.size()), io), 0);
    EXPECT_TRUE(phone_.fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(14000000, 3)).ok());
  }

  // Runs `am start` with `args`, waits for `until`, parses the whole unfiltered logcat.
  BenchmarkResult Run(absl::string_view args, absl::string_view until) {
    phone_.logs().Clear(kAllLogMask);
    RunSh(phone_, absl::StrCat(kStart, args));
    EXPECT_TRUE(WaitForLog(phone_, until));
    absl::SleepFor(absl::Milliseconds(100));  // the rest of the burst and some noise
    BenchmarkParser parser;
    parser.FeedBytes(RunSh(phone_, "logcat -d -v threadtime").out);
    parser.Finish();
    return parser.result();
  }

  Phone phone_;
};

TEST_F(ParserCompatTest, SuccessfulRunWithPeakMemory) {
  BenchmarkResult r =
      Run("'--graph=/data/local/tmp/m.tflite --num_threads=4 "
          "--report_peak_memory_footprint=true'",
          "RssFile + RssShmem");
  EXPECT_EQ(r.status, RunStatus::kOk) << ErrorClassName(r.error_class);
  EXPECT_TRUE(r.complete);
  ASSERT_TRUE(r.timed.has_value());
  ASSERT_TRUE(r.warmup.has_value());
  EXPECT_GE(*r.timed->count, 50);
  EXPECT_LE(*r.timed->min_us, *r.timed->avg_us);
  EXPECT_LE(*r.timed->avg_us, *r.timed->max_us);
  EXPECT_EQ(r.inference_avg_us, r.timed->avg_us);
  EXPECT_EQ(r.warmup_avg_us, r.warmup->avg_us);
  EXPECT_EQ(r.first_inference_us, r.warmup->first_us);
  EXPECT_TRUE(r.init_us.has_value());
  EXPECT_EQ(r.model_size_mb, 14.0);
  ASSERT_TRUE(r.memory_init_mb && r.memory_overall_mb && r.peak_memory_mb);
  EXPECT_GE(*r.memory_overall_mb, *r.memory_init_mb);
  EXPECT_TRUE(r.vm_rss_mb.has_value());
  EXPECT_EQ(r.model_path, "/data/local/tmp/m.tflite");
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST_F(ParserCompatTest, DelegateRuns) {
  BenchmarkResult gpu =
      Run("'--graph=/data/local/tmp/m.tflite --use_gpu=true'", "Memory footprint delta");
  EXPECT_EQ(gpu.status, RunStatus::kOk);
  ASSERT_FALSE(gpu.delegates.empty());
  EXPECT_EQ(gpu.delegates[0].name, "GPU");
  EXPECT_EQ(gpu.delegates[0].execution, "completely");
  BenchmarkResult nnapi =
      Run("'--graph=/data/local/tmp/m.tflite --use_nnapi=true'", "Memory footprint delta");
  EXPECT_EQ(nnapi.status, RunStatus::kOk);
  ASSERT_FALSE(nnapi.delegates.empty());
  EXPECT_EQ(nnapi.delegates[0].execution, "partially");
  EXPECT_EQ(nnapi.delegates[0].kernels, 2);
}

TEST_F(ParserCompatTest, OpProfilingRun) {
  BenchmarkResult r = Run("'--graph=/data/local/tmp/m.tflite --enable_op_profiling=true'",
                          "Operator-wise Profiling Info");
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.op_profiles.size(), 2u);
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST_F(ParserCompatTest, FailuresAreClassified) {
  EXPECT_EQ(Run("'--graph=/data/local/tmp/none.tflite'", "Failed to load model").error_class,
            ErrorClass::kModelMissing);
  ASSERT_TRUE(phone_.fs().Write("/data/local/tmp/bad.tflite", "not a model at all").ok());
  EXPECT_EQ(Run("'--graph=/data/local/tmp/bad.tflite'", "Failed to load model").error_class,
            ErrorClass::kModelInvalid);
  EXPECT_EQ(
      Run("'\"--graph=/data/local/tmp/m.tflite --num_threads=4\"'", "Please specify").error_class,
      ErrorClass::kBadFlag);
  EXPECT_EQ(
      Run("'--graph=/data/local/tmp/m.tflite --use_gpu=maybe'", "Failed to parse flag").error_class,
      ErrorClass::kBadFlag);
  EXPECT_EQ(Run("'--graph=/data/local/tmp/m.tflite --use_nnapi=true "
                "--require_full_delegation=true'",
                "Failed to apply NNAPI delegate.")
                .error_class,
            ErrorClass::kDelegateFailed);
  RunSh(phone_, "devsimctl fault crash");
  BenchmarkResult crash = Run("'--graph=/data/local/tmp/m.tflite'", "has died");
  EXPECT_EQ(crash.status, RunStatus::kFailed);
  EXPECT_EQ(crash.error_class, ErrorClass::kJavaCrash);
  EXPECT_TRUE(crash.process_died);
}

TEST_F(ParserCompatTest, MissingArgsExtraIsAJavaCrash) {
  phone_.logs().Clear(kAllLogMask);
  RunSh(phone_, "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity");
  ASSERT_TRUE(WaitForLog(phone_, "has died"));
  BenchmarkParser parser;
  parser.FeedBytes(RunSh(phone_, "logcat -d").out);
  parser.Finish();
  EXPECT_EQ(parser.result().error_class, ErrorClass::kJavaCrash);
}

}  // namespace
}  // namespace benchlab::devsim
