// The result file's parser and its merge with the log's numbers (agent/run/result_file.h):
// a file encoded by protoc from tests/data/13_result_file_2026.textproto (the run of
// fixture 01), a cut copy, wrong bytes, and a file that disagrees with the log.
#include "agent/run/result_file.h"

#include <gtest/gtest.h>

#include <string>

#include "agent/run/metrics_proto.h"
#include "common/benchmark_parser.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

std::string Data(const std::string& name) {
  std::string bytes = testing::ReadFile(testing::DataPath(name));
  EXPECT_FALSE(bytes.empty()) << name;
  return bytes;
}

// What the agent makes of fixture 01's logcat.
v1::BenchmarkMetrics LogMetrics() {
  BenchmarkParser parser;
  parser.FeedBytes(Data("01_cpu_xnnpack_2024.logcat"));
  parser.Finish();
  EXPECT_EQ(parser.result().status, RunStatus::kOk);
  return ToMetricsProto(parser.result());
}

TEST(ResultFileTest, ParsesTheToolsFormatInMillisecondsAndKilobytes) {
  auto file = ParseResultFile(Data("13_result_file_2026.pb"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FLOAT_EQ(file->latency_metrics().avg_ms(), 13.2321f);
  EXPECT_FLOAT_EQ(file->latency_metrics().median_ms(), 13.101f);
  EXPECT_EQ(file->memory_metrics().init_footprint_kb(), 20860);
  EXPECT_EQ(file->misc_metrics().num_runs(), 76);
  EXPECT_EQ(file->misc_metrics().num_warmup_runs(), 36);
  EXPECT_FALSE(file->memory_metrics().has_peak_mem_mb());
}

TEST(ResultFileTest, RefusesCutEmptyAndForeignBytes) {
  auto cut = ParseResultFile(Data("14_result_file_cut.pb"));
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseResultFile("").status().code(), absl::StatusCode::kInvalidArgument);
  // What `run-as` prints when it refuses: text, not a proto.
  EXPECT_FALSE(ParseResultFile("run-as: package not debuggable: org.tensorflow.lite.benchmark\n").ok());
  // Valid wire format without latency metrics (only a name).
  benchlab::tool::v1::ToolBenchmarkResult named;
  named.set_name("x");
  EXPECT_FALSE(ParseResultFile(named.SerializeAsString()).ok());
  benchlab::tool::v1::ToolBenchmarkResult negative;
  negative.mutable_latency_metrics()->set_avg_ms(-1);
  EXPECT_FALSE(ParseResultFile(negative.SerializeAsString()).ok());
}

TEST(ResultFileTest, AgreesWithTheSameRunsLogAndAddsWhatOnlyTheFileHas) {
  v1::BenchmarkMetrics m = LogMetrics();
  ASSERT_FALSE(m.has_median_us());
  auto file = ParseResultFile(Data("13_result_file_2026.pb"));
  ASSERT_TRUE(file.ok());
  ResultFileMerge merged = MergeResultFile(*file, &m);
  EXPECT_EQ(merged.status, v1::RESULT_FILE_STATUS_AGREES) << merged.note;
  EXPECT_TRUE(merged.note.empty());
  // Microseconds and MB, from the file.
  EXPECT_NEAR(m.avg_us(), 13232.1, 0.05);
  EXPECT_EQ(m.min_us(), 12547);
  EXPECT_EQ(m.max_us(), 17404);
  EXPECT_EQ(m.std_us(), 565);
  EXPECT_EQ(m.median_us(), 13101);
  EXPECT_EQ(m.p5_us(), 12612);
  EXPECT_EQ(m.p95_us(), 14887);
  EXPECT_EQ(m.init_us(), 38417);
  EXPECT_EQ(m.first_inference_us(), 19834);
  EXPECT_NEAR(m.memory_init_mb(), 20.3711, 0.0001);
  EXPECT_NEAR(m.memory_overall_mb(), 27.9219, 0.0001);
  EXPECT_EQ(m.count(), 76);
  EXPECT_NEAR(m.model_size_mb(), 13.9786, 0.0001);
}

TEST(ResultFileTest, ADisagreementIsReportedAndTheFileWins) {
  v1::BenchmarkMetrics m = LogMetrics();
  auto file = ParseResultFile(Data("13_result_file_2026.pb"));
  ASSERT_TRUE(file.ok());
  file->mutable_latency_metrics()->set_avg_ms(15.0f);            // 13.2321 in the log
  file->mutable_memory_metrics()->set_overall_footprint_kb(30000);  // 27.9219 MB in the log
  ResultFileMerge merged = MergeResultFile(*file, &m);
  EXPECT_EQ(merged.status, v1::RESULT_FILE_STATUS_DISAGREES);
  EXPECT_NE(merged.note.find("avg_us: file 15000, log 13232.1"), std::string::npos) << merged.note;
  EXPECT_NE(merged.note.find("memory_overall_mb"), std::string::npos) << merged.note;
  EXPECT_EQ(merged.note.find("min_us"), std::string::npos) << merged.note;
  EXPECT_DOUBLE_EQ(m.avg_us(), 15000.0);
}

TEST(ResultFileTest, ToleratesTheLogsRoundingOnly) {
  // avg printed %g (6 digits) against a float32 ms: within the rounding, agree; 1 % off, not.
  v1::BenchmarkMetrics m;
  m.set_avg_us(123457);
  benchlab::tool::v1::ToolBenchmarkResult f;
  f.mutable_latency_metrics()->set_avg_ms(123.4566f);
  EXPECT_EQ(MergeResultFile(f, &m).status, v1::RESULT_FILE_STATUS_AGREES);
  m.set_avg_us(123457);
  f.mutable_latency_metrics()->set_avg_ms(124.69f);
  EXPECT_EQ(MergeResultFile(f, &m).status, v1::RESULT_FILE_STATUS_DISAGREES);
  // Nothing in the log to compare with.
  v1::BenchmarkMetrics empty;
  EXPECT_EQ(MergeResultFile(f, &empty).status, v1::RESULT_FILE_STATUS_FILE_ONLY);
  EXPECT_DOUBLE_EQ(empty.avg_us(), static_cast<double>(124.69f) * 1000.0);
}

}  // namespace
}  // namespace benchlab::agent
