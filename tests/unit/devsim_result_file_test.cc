// The simulated tools' result file (--result_file_path; issue 11): native tools write it
// where told, the APK only below its data directory; its numbers are the ones the tool
// printed (in ms and KB); `run-as` reads it for a debuggable app and refuses otherwise with
// run-as.cpp's words; the result-skew fault makes the file disagree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "benchlab/tool/v1/benchmark_result.pb.h"
#include "common/benchmark_parser.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"
#include "tests/unit/devsim_phone_test_io.h"
#include "tests/unit/devsim_tool_output.h"

namespace benchlab::devsim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ToolResult = benchlab::tool::v1::ToolBenchmarkResult;

constexpr char kBin[] = "/data/local/tmp/benchlab/bin/bm";
constexpr char kLitert[] = "/data/local/tmp/benchlab/bin/lrt";
constexpr char kFilesDir[] = "/data/data/org.tensorflow.lite.benchmark/files";

class ResultFileTest : public ::testing::Test {
 protected:
  ResultFileTest() : phone_(MakeProfile(31, 3), 31, absl::Milliseconds(300)) {
    PutNativeTools(phone_, kBin, kLitert);
  }
  void Install(std::string apk) {
    StringIo io(apk);
    ASSERT_EQ(phone_.InstallStreamed({"-r"}, static_cast<int64_t>(apk.size()), io), 0);
  }
  static BenchmarkResult Parse(const ShResult& r) { return ParseToolOutput(r); }
  ToolResult ReadFile(const std::string& path) {
    ToolResult f;
    auto bytes = phone_.fs().Read(path);
    EXPECT_TRUE(bytes.ok()) << path;
    if (bytes.ok()) EXPECT_TRUE(f.ParseFromString(**bytes));
    return f;
  }
  // The file and the printed numbers are one run's.
  static void ExpectSameRun(const ToolResult& f, const BenchmarkResult& p) {
    ASSERT_TRUE(p.timed.has_value());
    EXPECT_NEAR(f.latency_metrics().avg_ms() * 1000.0, *p.timed->avg_us, 1.0);
    EXPECT_NEAR(f.latency_metrics().min_ms() * 1000.0, static_cast<double>(*p.timed->min_us), 1.0);
    EXPECT_NEAR(f.latency_metrics().max_ms() * 1000.0, static_cast<double>(*p.timed->max_us), 1.0);
    EXPECT_NEAR(f.latency_metrics().stddev_ms() * 1000.0, static_cast<double>(*p.timed->std_us), 1.0);
    EXPECT_EQ(f.misc_metrics().num_runs(), *p.timed->count);
    ASSERT_TRUE(p.warmup.has_value());
    EXPECT_EQ(f.misc_metrics().num_warmup_runs(), *p.warmup->count);
    EXPECT_GT(f.latency_metrics().median_ms(), 0);
    EXPECT_NEAR(f.misc_metrics().model_size_mb(), 3.0, 0.001);
  }
  Phone phone_;
};

TEST_F(ResultFileTest, ClassicNativeToolWritesWhatItPrinted) {
  ShResult r = RunSh(phone_, absl::StrCat(kBin, " --graph=/data/local/tmp/m.tflite --num_runs=8 "
                                                "--result_file_path=/data/local/tmp/r.pb"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("Unconsumed")));  // the flag is known
  const BenchmarkResult p = Parse(r);
  const ToolResult f = ReadFile("/data/local/tmp/r.pb");
  ExpectSameRun(f, p);
  ASSERT_TRUE(p.init_us.has_value());
  EXPECT_NEAR(f.latency_metrics().init_ms() * 1000.0, static_cast<double>(*p.init_us), 1.0);
  EXPECT_NEAR(f.latency_metrics().first_inference_ms() * 1000.0, static_cast<double>(*p.first_inference_us), 1.0);
  EXPECT_NEAR(f.memory_metrics().init_footprint_kb() / 1024.0, *p.memory_init_mb, 0.001);
  EXPECT_NEAR(f.memory_metrics().overall_footprint_kb() / 1024.0, *p.memory_overall_mb, 0.001);
  EXPECT_FALSE(f.memory_metrics().has_peak_mem_mb());  // not asked for
}

TEST_F(ResultFileTest, LitertToolWritesItToo) {
  ShResult r = RunSh(phone_, absl::StrCat(kLitert, " --graph=/data/local/tmp/m.tflite --num_runs=6 "
                                                   "--report_peak_memory_footprint=true "
                                                   "--result_file_path=/data/local/tmp/l.pb"));
  ASSERT_EQ(r.status, 0) << r.err;
  const ToolResult f = ReadFile("/data/local/tmp/l.pb");
  ExpectSameRun(f, Parse(r));
  EXPECT_GT(f.memory_metrics().peak_mem_mb(), 0);
  EXPECT_GT(f.misc_metrics().model_throughput_in_mb_per_sec(), 0);
}

TEST_F(ResultFileTest, NoFileWithoutTheFlagOrWithoutItsDirectory) {
  ASSERT_EQ(RunSh(phone_, absl::StrCat(kBin, " --graph=/data/local/tmp/m.tflite --num_runs=3 "
                                             "--result_file_path=/data/local/tmp/nodir/r.pb")).status,
            0);
  EXPECT_FALSE(phone_.fs().Exists("/data/local/tmp/nodir/r.pb"));
}

TEST_F(ResultFileTest, TheApkWritesInItsFilesDirAndRunAsReadsIt) {
  Install(MakeFakeApk());
  // The app's data directory exists from the install; files/ is the agent's to make.
  ASSERT_EQ(RunSh(phone_, "run-as org.tensorflow.lite.benchmark mkdir -p files").status, 0);
  EXPECT_TRUE(phone_.fs().Exists(kFilesDir));
  const std::string start =
      "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity --es args "
      "'--graph=/data/local/tmp/m.tflite --num_runs=5 --result_file_path=";
  ASSERT_EQ(RunSh(phone_, absl::StrCat(start, kFilesDir, "/r.pb'")).status, 0);
  ASSERT_TRUE(WaitForLog(phone_, "Memory footprint delta"));
  ShResult cat = RunSh(phone_, "run-as org.tensorflow.lite.benchmark cat files/r.pb");
  ASSERT_EQ(cat.status, 0) << cat.err;
  ToolResult f;
  ASSERT_TRUE(f.ParseFromString(cat.out));
  EXPECT_GT(f.latency_metrics().avg_ms(), 0);
  EXPECT_EQ(cat.out, **phone_.fs().Read(absl::StrCat(kFilesDir, "/r.pb")));

  // The app's user cannot write the shell's /data/local/tmp: no file there.
  ASSERT_EQ(RunSh(phone_, absl::StrCat(start, "/data/local/tmp/apk.pb'")).status, 0);
  ASSERT_TRUE(WaitForLog(phone_, "Skipped"));
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_FALSE(phone_.fs().Exists("/data/local/tmp/apk.pb"));
}

TEST_F(ResultFileTest, RunAsRefusesUnknownAndNonDebuggablePackages) {
  ShResult unknown = RunSh(phone_, "run-as org.tensorflow.lite.benchmark ls");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_EQ(unknown.err, "run-as: unknown package: org.tensorflow.lite.benchmark\n");
  Install(MakeFakeApk(0, kBenchmarkPackage, kBenchmarkApkMinSdk, kBenchmarkApkVersionCode,
                      kBenchmarkApkVersionName, /*debuggable=*/false));
  ShResult release = RunSh(phone_, "run-as org.tensorflow.lite.benchmark cat files/r.pb");
  EXPECT_EQ(release.status, 1);
  EXPECT_EQ(release.err, "run-as: package not debuggable: org.tensorflow.lite.benchmark\n");
  Install(MakeFakeApk());
  ShResult pwd = RunSh(phone_, "run-as org.tensorflow.lite.benchmark pwd");
  EXPECT_EQ(pwd.status, 0) << pwd.err;
  EXPECT_EQ(pwd.out, "/data/data/org.tensorflow.lite.benchmark\n");
}

TEST_F(ResultFileTest, ResultSkewFaultMakesTheFileDisagree) {
  ASSERT_EQ(RunSh(phone_, "devsimctl fault result-skew").status, 0);
  ShResult r = RunSh(phone_, absl::StrCat(kBin, " --graph=/data/local/tmp/m.tflite --num_runs=8 "
                                                "--result_file_path=/data/local/tmp/s.pb"));
  ASSERT_EQ(r.status, 0) << r.err;
  const BenchmarkResult p = Parse(r);
  const ToolResult f = ReadFile("/data/local/tmp/s.pb");
  ASSERT_TRUE(p.timed.has_value());
  EXPECT_NEAR(f.latency_metrics().avg_ms() * 1000.0 / *p.timed->avg_us, 1.25, 0.001);
}

}  // namespace
}  // namespace benchlab::devsim
