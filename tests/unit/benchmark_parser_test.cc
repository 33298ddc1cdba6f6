// BenchmarkParser against the shared fixtures (every expected value of tests/data/README.md),
// every line variant of tflite-benchmark.md §3, the failure table §1.7, the pid rules §6,
// incremental feeding, and hostile input.
#include "common/benchmark_parser.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/metrics_csv.h"
#include "common/metrics_json.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

std::string Fixture(const std::string& name) {
  std::string text = testing::ReadFile(testing::DataPath(name));
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

BenchmarkResult ParseText(absl::string_view text, BenchmarkParserOptions options = {}) {
  BenchmarkParser parser(std::move(options));
  parser.FeedBytes(text);
  parser.Finish();
  return parser.result();
}

// Parses line by line without Finish(), as a runner that is still reading sees it.
BenchmarkResult ParseLive(const std::vector<std::string>& lines) {
  BenchmarkParser parser;
  for (const std::string& l : lines) parser.FeedLine(l);
  return parser.result();
}

struct Stats {
  int64_t count, first, curr, min, max;
  double avg;
  int64_t std;
};

void ExpectStats(const std::optional<LatencyStats>& s, const Stats& want, const char* what) {
  ASSERT_TRUE(s.has_value()) << what;
  EXPECT_EQ(s->count, want.count) << what;
  EXPECT_EQ(s->first_us, want.first) << what;
  EXPECT_EQ(s->curr_us, want.curr) << what;
  EXPECT_EQ(s->min_us, want.min) << what;
  EXPECT_EQ(s->max_us, want.max) << what;
  ASSERT_TRUE(s->avg_us.has_value()) << what;
  EXPECT_DOUBLE_EQ(*s->avg_us, want.avg) << what;
  EXPECT_EQ(s->std_us, want.std) << what;
}

void ExpectNoPercentiles(const std::optional<LatencyStats>& s) {
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->p5_us.has_value());
  EXPECT_FALSE(s->median_us.has_value());
  EXPECT_FALSE(s->p95_us.has_value());
}

void ExpectSummary(const BenchmarkResult& r, int64_t init, int64_t first, double warmup_avg,
                   double inference_avg, double mem_init, double mem_overall) {
  EXPECT_EQ(r.init_us, init);
  EXPECT_EQ(r.first_inference_us, first);
  ASSERT_TRUE(r.warmup_avg_us && r.inference_avg_us && r.memory_init_mb && r.memory_overall_mb);
  EXPECT_DOUBLE_EQ(*r.warmup_avg_us, warmup_avg);
  EXPECT_DOUBLE_EQ(*r.inference_avg_us, inference_avg);
  EXPECT_DOUBLE_EQ(*r.memory_init_mb, mem_init);
  EXPECT_DOUBLE_EQ(*r.memory_overall_mb, mem_overall);
}

std::vector<std::string> Lines(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// ---- the fixtures -----------------------------------------------------------------------

TEST(BenchmarkParserFixtureTest, Fixture01CpuXnnpack) {
  BenchmarkResult r = ParseText(Fixture("01_cpu_xnnpack_2024.logcat"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.error_class, ErrorClass::kNone);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.pid, 6843);
  ExpectStats(r.timed, {76, 13173, 12803, 12547, 17404, 13232.1, 565}, "timed");
  ExpectStats(r.warmup, {36, 19834, 14218, 13143, 19834, 14030.8, 1062}, "warmup");
  ExpectNoPercentiles(r.timed);
  ExpectNoPercentiles(r.warmup);
  ExpectSummary(r, 38417, 19834, 14030.8, 13232.1, 20.3711, 27.9219);
  EXPECT_FALSE(r.peak_memory_mb.has_value());
  EXPECT_EQ(r.args, "--graph=/data/local/tmp/mobilenet_v2_1.0_224.tflite --num_threads=4");
  EXPECT_EQ(r.model_path, "/data/local/tmp/mobilenet_v2_1.0_224.tflite");
  EXPECT_EQ(r.model_size_mb, 13.9786);
  EXPECT_EQ(r.session_init_ms, 38.417);
  ASSERT_NE(r.param("Num threads"), nullptr);
  EXPECT_EQ(*r.param("Num threads"), "4");
  EXPECT_EQ(*r.param("Graph"), "/data/local/tmp/mobilenet_v2_1.0_224.tflite");
  EXPECT_EQ(*r.param("Signature to run"), "");
  EXPECT_EQ(*r.param("#threads used for CPU inference"), "4");
  ASSERT_EQ(r.delegate_replacements.size(), 1u);
  EXPECT_EQ(r.delegate_replacements[0].kernel, "TfLiteXNNPackDelegate");
  EXPECT_EQ(r.delegate_replacements[0].nodes_replaced, 66);
  EXPECT_EQ(r.delegate_replacements[0].nodes_total, 66);
  EXPECT_EQ(r.delegate_replacements[0].partitions, 1);
  EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
  EXPECT_EQ(r.diagnostic_count, 0);
  EXPECT_TRUE(r.error_lines.empty());
}

TEST(BenchmarkParserFixtureTest, Fixture02GpuPeakMemoryPercentiles) {
  BenchmarkResult r = ParseText(Fixture("02_gpu_opencl_peakmem_2026.logcat"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.pid, 21877);
  ExpectStats(r.timed, {253, 3761, 4126, 3653, 7210, 3930.89, 243}, "timed");
  EXPECT_EQ(r.timed->p5_us, 3757);
  EXPECT_EQ(r.timed->median_us, 3912);
  EXPECT_EQ(r.timed->p95_us, 4088);
  ExpectStats(r.warmup, {123, 9812, 3831, 3631, 9812, 4057.02, 544}, "warmup");
  EXPECT_EQ(r.warmup->p5_us, 3729);
  EXPECT_EQ(r.warmup->median_us, 4015);
  EXPECT_EQ(r.warmup->p95_us, 4288);
  ExpectSummary(r, 1284512, 9812, 4057.02, 3930.89, 38.9336, 41.3164);
  EXPECT_EQ(r.session_init_ms, 1284.51);  // rounded; init_us is the exact one
  EXPECT_EQ(r.peak_memory_mb, 214.57);
  EXPECT_EQ(r.vm_rss_mb, 201);
  EXPECT_EQ(r.rss_anon_mb, 96);
  EXPECT_EQ(r.rss_file_shmem_mb, 105);
  EXPECT_EQ(r.model_size_mb, 16.9008);
  ASSERT_EQ(r.delegates.size(), 1u);
  EXPECT_EQ(r.delegates[0].name, "GPU");
  EXPECT_EQ(r.delegates[0].execution, "completely");
  ASSERT_EQ(r.delegate_replacements.size(), 1u);
  EXPECT_EQ(r.delegate_replacements[0].kernel, "TfLiteGpuDelegateV2");
  EXPECT_EQ(r.delegate_replacements[0].nodes_replaced, 31);
  EXPECT_EQ(r.delegate_replacements[0].nodes_total, 31);
  EXPECT_EQ(r.delegate_replacements[0].partitions, 1);
  EXPECT_EQ(*r.param("Report the peak memory footprint"), "1");
  EXPECT_EQ(*r.param("Min num runs"), "100");
  EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST(BenchmarkParserFixtureTest, Fixture02WaitsForThePeakMemoryBlock) {
  std::vector<std::string> lines = Lines(Fixture("02_gpu_opencl_peakmem_2026.logcat"));
  for (size_t n = 0; n < lines.size(); ++n) {
    BenchmarkResult r = ParseLive({lines.begin(), lines.begin() + n});
    EXPECT_FALSE(r.complete) << "complete after " << n << " lines";
    bool memory_line_seen = false;
    for (size_t i = 0; i < n; ++i) {
      memory_line_seen |= lines[i].find("Memory footprint delta") != std::string::npos;
    }
    EXPECT_EQ(r.status, memory_line_seen ? RunStatus::kOk : RunStatus::kRunning) << n;
  }
  EXPECT_TRUE(ParseLive(lines).complete);
}

TEST(BenchmarkParserFixtureTest, Fixture04OpProfilingCountLinesDoNotCount) {
  BenchmarkResult r = ParseText(Fixture("04_op_profiling_cpu_2024.logcat"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.pid, 8120);
  ExpectStats(r.timed, {713, 1354, 1344, 1279, 1439, 1368.57, 28}, "timed");
  ExpectStats(r.warmup, {350, 2601, 1391, 1320, 2601, 1396.49, 70}, "warmup");
  ExpectSummary(r, 3184, 2601, 1396.49, 1368.57, 1.39453, 2.26172);
  EXPECT_FALSE(r.peak_memory_mb.has_value());
  EXPECT_EQ(r.model_size_mb, 1.22132);

  ASSERT_EQ(r.op_profiles.size(), 2u);
  const OpProfile& init = r.op_profiles[0];
  EXPECT_EQ(init.title, "Profiling Info for Benchmark Initialization");
  EXPECT_TRUE(init.ended);
  ASSERT_EQ(init.run_order.size(), 1u);
  EXPECT_EQ(init.run_order[0].node_type, "AllocateTensors");
  EXPECT_EQ(init.run_order[0].avg_ms, 0.612);
  ASSERT_TRUE(init.timings.has_value());
  EXPECT_EQ(init.timings->count, 1);
  EXPECT_EQ(init.timings->curr_us, 612);
  EXPECT_EQ(init.nodes_observed, 1);

  const OpProfile& run = r.op_profiles[1];
  EXPECT_EQ(run.title, "Operator-wise Profiling Info for Regular Benchmark Runs");
  EXPECT_TRUE(run.ended);
  ExpectStats(run.timings, {713, 1325, 1321, 1264, 1415, 1345.09, 28}, "profile timings");
  EXPECT_EQ(run.nodes_executed, 9);
  EXPECT_EQ(run.nodes_observed, 9);
  struct Op {
    const char* type;
    const char* name;
    double avg_ms;
  } want[] = {
      {"CONV_2D", "conv2d/Relu", 0.411},
      {"MAX_POOL_2D", "max_pooling2d/MaxPool", 0.037},
      {"CONV_2D", "conv2d_1/Relu", 0.503},
      {"MAX_POOL_2D", "max_pooling2d_1/MaxPool", 0.020},
      {"CONV_2D", "conv2d_2/Relu", 0.231},
      {"RESHAPE", "flatten/Reshape", 0.002},
      {"FULLY_CONNECTED", "dense/Relu", 0.129},
      {"FULLY_CONNECTED", "dense_1/BiasAdd", 0.009},
      {"SOFTMAX", "Identity", 0.003},
  };
  ASSERT_EQ(run.run_order.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(run.run_order[i].node_type, want[i].type) << i;
    EXPECT_EQ(run.run_order[i].name, want[i].name) << i;
    EXPECT_EQ(run.run_order[i].avg_ms, want[i].avg_ms) << i;
    EXPECT_EQ(run.run_order[i].times_called, 1) << i;
  }
  EXPECT_EQ(run.run_order[0].first_ms, 0.426);
  EXPECT_EQ(run.run_order[0].percent, 30.581);
  struct Type {
    const char* type;
    int64_t count;
    double avg_ms, percent;
  } types[] = {{"CONV_2D", 3, 1.144, 85.309},
               {"FULLY_CONNECTED", 2, 0.136, 10.142},
               {"MAX_POOL_2D", 2, 0.057, 4.251},
               {"SOFTMAX", 1, 0.003, 0.224},
               {"RESHAPE", 1, 0.001, 0.075}};
  ASSERT_EQ(run.by_type.size(), std::size(types));
  for (size_t i = 0; i < std::size(types); ++i) {
    EXPECT_EQ(run.by_type[i].node_type, types[i].type);
    EXPECT_EQ(run.by_type[i].count, types[i].count);
    EXPECT_EQ(run.by_type[i].avg_ms, types[i].avg_ms);
    EXPECT_EQ(run.by_type[i].percent, types[i].percent);
  }
  EXPECT_TRUE(absl::StartsWith(
      run.text, "============================== Run Order ==============================\n\t   "))
      << run.text;
  EXPECT_GT(run.text_lines, 30u);
  EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST(BenchmarkParserFixtureTest, Fixture04CompletesOnlyAfterTheRegularRunProfile) {
  std::vector<std::string> lines = Lines(Fixture("04_op_profiling_cpu_2024.logcat"));
  size_t last_observed = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("9 nodes observed") != std::string::npos) last_observed = i;
  }
  ASSERT_GT(last_observed, 0u);
  BenchmarkResult before = ParseLive({lines.begin(), lines.begin() + last_observed});
  EXPECT_EQ(before.status, RunStatus::kOk);
  EXPECT_FALSE(before.complete);
  BenchmarkResult after = ParseLive({lines.begin(), lines.begin() + last_observed + 1});
  EXPECT_TRUE(after.complete);
}

TEST(BenchmarkParserFixtureTest, Fixture05ModelNotFound) {
  BenchmarkResult r = ParseText(Fixture("05_fail_model_not_found.logcat"));
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error_class, ErrorClass::kModelMissing);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.pid, 9131);
  EXPECT_FALSE(r.timed.has_value());
  EXPECT_FALSE(r.warmup.has_value());
  EXPECT_FALSE(r.init_us.has_value());
  EXPECT_FALSE(r.memory_init_mb.has_value());
  ASSERT_EQ(r.error_lines.size(), 2u);
  EXPECT_NE(r.error_lines[0].find("Could not open '/data/local/tmp/mobilenet_v2.tflite'."),
            std::string::npos);
  EXPECT_NE(r.error_lines[1].find("Failed to load model /data/local/tmp/mobilenet_v2.tflite"),
            std::string::npos);
  // Complete as soon as the final failure line arrives, without Finish().
  std::vector<std::string> lines = Lines(Fixture("05_fail_model_not_found.logcat"));
  BenchmarkResult live = ParseLive(lines);
  EXPECT_TRUE(live.complete);
  EXPECT_EQ(live.error_class, ErrorClass::kModelMissing);
}

TEST(BenchmarkParserFixtureTest, Fixture06JavaCrash) {
  BenchmarkResult r = ParseText(Fixture("06_crash_java_fatal_exception_no_args.logcat"));
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error_class, ErrorClass::kJavaCrash);
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(r.process_died);
  EXPECT_EQ(r.pid, 12001);
  EXPECT_FALSE(r.timed.has_value());
  EXPECT_FALSE(r.init_us.has_value());
  ASSERT_FALSE(r.error_lines.empty());
  EXPECT_NE(r.error_lines[0].find("FATAL EXCEPTION: main"), std::string::npos);
  std::string all = absl::StrJoin(r.error_lines, "\n");
  EXPECT_NE(all.find("java.lang.NullPointerException"), std::string::npos);
  EXPECT_NE(all.find("has died"), std::string::npos);
}

TEST(BenchmarkParserFixtureTest, Fixture10AndroidStudio) {
  BenchmarkResult r = ParseText(Fixture("10_android_studio_format.txt"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.pid, 5127);
  ExpectStats(r.timed, {69, 14460, 14507, 13576, 15271, 14502.6, 366}, "timed");
  ExpectStats(r.warmup, {33, 24112, 15516, 13924, 24112, 15327.1, 1624}, "warmup");
  ExpectSummary(r, 41630, 24112, 15327.1, 14502.6, 20.6289, 28.3789);
  EXPECT_FALSE(r.peak_memory_mb.has_value());
  EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
}

// The LiteRT CompiledModel tool (issue 11): its BENCHMARK RESULTS block in ms, on the
// native binary's streams (11) and in logcat under tag litert (12), gives the classic
// metrics in us, plus throughput.
TEST(BenchmarkParserFixtureTest, Fixture11And12LitertResultsBlock) {
  for (const char* name : {"11_litert_native_2026.txt", "12_litert_logcat_2026.logcat"}) {
    SCOPED_TRACE(name);
    BenchmarkParser parser;
    for (absl::string_view line : absl::StrSplit(Fixture(name), '\n')) parser.FeedLine(line);
    const BenchmarkResult& r = parser.result();
    EXPECT_EQ(r.status, RunStatus::kOk);
    EXPECT_TRUE(r.complete) << "the block's closing line ends the run, no Finish() needed";
    EXPECT_TRUE(r.litert.ended);
    ExpectStats(r.timed, {10, 12204, 12171, 12150, 12931, 12302.7, 219}, "timed");
    EXPECT_EQ(r.init_us, 41210);
    EXPECT_EQ(r.first_inference_us, 24610);
    EXPECT_DOUBLE_EQ(*r.warmup_avg_us, 24610);
    EXPECT_DOUBLE_EQ(*r.inference_avg_us, 12300);
    EXPECT_EQ(r.litert.inference_runs, 10);
    EXPECT_DOUBLE_EQ(*r.litert.inference_min_ms, 12.15);
    EXPECT_DOUBLE_EQ(*r.litert.inference_std_ms, 0.22);
    EXPECT_DOUBLE_EQ(*r.litert.throughput_mb_per_s, 284.49);
    EXPECT_DOUBLE_EQ(*r.memory_init_mb, 5.27);
    EXPECT_DOUBLE_EQ(*r.memory_overall_mb, 11.41);
    EXPECT_FALSE(r.peak_memory_mb.has_value());
    EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
    EXPECT_EQ(r.diagnostic_count, 0);
  }
}

TEST(BenchmarkParserLitertTest, BadNumbersAreDiagnosedAndReadmeWordingIsAccepted) {
  BenchmarkParser parser;
  for (absl::string_view line : {"INFO: ", "========== BENCHMARK RESULTS ==========", "INFO: First inference: 9.50 ms",
                                 "INFO: Inference (avg):      x ms (3 runs)", "INFO: ======================================"}) {
    parser.FeedLine(line);
  }
  EXPECT_EQ(parser.result().first_inference_us, 9500);
  EXPECT_EQ(parser.result().diagnostic_count, 1);
  EXPECT_FALSE(parser.result().inference_avg_us.has_value());
}

constexpr absl::string_view kDevelopersSample =
    "10:04:31.319  2638-2638  tflite                  org.tensorflow.lite.benchmark        I  "
    "count=50 first=392063 curr=392613 min=390939 max=416049 avg=392865 std=3443\n"
    "10:04:31.319  2638-2638  tflite                  org.tensorflow.lite.benchmark        I  "
    "Inference timings in us: Init: 164025, First inference: 394833, Warmup (avg): 394149, "
    "Inference (avg): 392865\n"
    "10:04:31.320  2638-2638  tflite                  org.tensorflow.lite.benchmark        I  "
    "Memory footprint delta from the start of the tool (MB): init=65.1562 overall=66.5391\n";

TEST(BenchmarkParserFixtureTest, DevelopersSample) {
  BenchmarkResult r = ParseText(kDevelopersSample);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.pid, 2638);
  ExpectStats(r.timed, {50, 392063, 392613, 390939, 416049, 392865, 3443}, "timed");
  EXPECT_FALSE(r.warmup.has_value());
  ExpectSummary(r, 164025, 394833, 394149, 392865, 65.1562, 66.5391);
  // Complete without Finish(): the memory line ends the run.
  EXPECT_TRUE(ParseLive(Lines(kDevelopersSample)).complete);

  // The same three lines as `adb logcat -v threadtime` prints them (§3.10's example).
  BenchmarkResult t = ParseText(
      "11-25 10:04:31.319  2638  2638 I tflite  : count=50 first=392063 curr=392613 min=390939 "
      "max=416049 avg=392865 std=3443\n"
      "11-25 10:04:31.319  2638  2638 I tflite  : Inference timings in us: Init: 164025, First "
      "inference: 394833, Warmup (avg): 394149, Inference (avg): 392865\n"
      "11-25 10:04:31.320  2638  2638 I tflite  : Memory footprint delta from the start of the "
      "tool (MB): init=65.1562 overall=66.5391\n");
  EXPECT_EQ(FormatBenchmarkJson(t), FormatBenchmarkJson(r));
}

TEST(BenchmarkParserFixtureTest, LoneStatsLineMatchingTheWarmupAverageIsTheWarmup) {
  BenchmarkResult r = ParseText(
      "count=2 first=394833 curr=393465 min=393465 max=394833 avg=394149 std=684\n"
      "Inference timings in us: Init: 164025, First inference: 394833, Warmup (avg): 394149, "
      "Inference (avg): 392865\n");
  ASSERT_TRUE(r.warmup.has_value());
  EXPECT_EQ(r.warmup->count, 2);
  EXPECT_FALSE(r.timed.has_value());
}

TEST(BenchmarkParserFixtureTest, TwoStatsLinesWithoutPhaseLinesAreWarmupThenTimed) {
  BenchmarkResult r = ParseText(
      "count=2 first=10 curr=12 min=10 max=12 avg=11 std=1\n"
      "count=50 first=9 curr=9 min=8 max=10 avg=9 std=0\n");
  EXPECT_EQ(r.warmup->count, 2);
  EXPECT_EQ(r.timed->count, 50);
  EXPECT_EQ(r.status, RunStatus::kOk);  // Finish(): a timed stats line is a result
}

// ---- line variants (§3) ---------------------------------------------------------------

std::string WithPhases(absl::string_view body) {
  return absl::StrCat("Running benchmark for at least 1 iterations and at least 0.5 seconds but "
                      "terminate if exceeding 150 seconds.\n",
                      "count=1 curr=1\n",
                      "Running benchmark for at least 50 iterations and at least 1 seconds but "
                      "terminate if exceeding 150 seconds.\n",
                      body);
}

TEST(BenchmarkParserVariantTest, StatsShortForms) {
  BenchmarkResult r = ParseText(
      "Running benchmark for at least 1 iterations and at least 0.5 seconds\n"
      "count=1 curr=1381510\n"
      "Running benchmark for at least 50 iterations and at least 1 seconds\n"
      "count=3 curr=120(all same)\n");
  ExpectStats(r.warmup, {1, 1381510, 1381510, 1381510, 1381510, 1381510, 0}, "count=1");
  EXPECT_TRUE(r.warmup->all_same);
  ExpectStats(r.timed, {3, 120, 120, 120, 120, 120, 0}, "all same");
  EXPECT_TRUE(r.timed->all_same);
  EXPECT_EQ(r.diagnostic_count, 0);

  r = ParseText(WithPhases("count=0\n"));
  ASSERT_TRUE(r.timed.has_value());
  EXPECT_EQ(r.timed->count, 0);
  EXPECT_FALSE(r.timed->first_us.has_value());
  EXPECT_FALSE(r.timed->avg_us.has_value());
  EXPECT_EQ(r.diagnostic_count, 0);

  r = ParseText(WithPhases("count=0 p5=0 median=0 p95=0\n"));
  EXPECT_EQ(r.timed->p5_us, 0);
  EXPECT_EQ(r.timed->median_us, 0);

  r = ParseText(WithPhases("count=4 curr=7(all same) p5=7 median=7 p95=7\n"));
  ExpectStats(r.timed, {4, 7, 7, 7, 7, 7, 0}, "all same + percentiles");
  EXPECT_EQ(r.timed->p95_us, 7);
}

TEST(BenchmarkParserVariantTest, StatsAvgInExponentForm) {
  BenchmarkResult r =
      ParseText(WithPhases("count=2 first=1500000 curr=1560500 min=1500000 max=1560500 avg=1.53025e+06 std=30250\n"));
  EXPECT_DOUBLE_EQ(*r.timed->avg_us, 1530250.0);
}

TEST(BenchmarkParserVariantTest, PhaseLinesOfEveryEra) {
  for (absl::string_view phase : {"Running benchmark for 50 iterations ",
                                  "Running benchmark for at least 10 iterations and at least 1 seconds",
                                  "Running benchmark for at least 50 iterations and at least 1 "
                                  "seconds but terminate if exceeding 150 seconds."}) {
    BenchmarkResult r = ParseText(absl::StrCat(phase, "\ncount=5 curr=9(all same)\n", phase,
                                               "\ncount=50 first=1 curr=2 min=1 max=3 avg=2 std=0\n"));
    EXPECT_EQ(r.warmup->count, 5) << phase;
    EXPECT_EQ(r.timed->count, 50) << phase;
  }
}

TEST(BenchmarkParserVariantTest, SummaryLines) {
  BenchmarkResult r = ParseText(
      "Inference timings in us: Init: 1007529, First inference: 4098, Warmup (avg): 1.53025e+06, "
      "Inference (avg): 1687.92\n");
  EXPECT_EQ(r.init_us, 1007529);
  EXPECT_EQ(r.first_inference_us, 4098);
  EXPECT_DOUBLE_EQ(*r.warmup_avg_us, 1530250);
  EXPECT_DOUBLE_EQ(*r.inference_avg_us, 1687.92);
  EXPECT_EQ(r.status, RunStatus::kOk);  // Finish() without a memory line: still a result

  r = ParseText("Average inference timings in us: Warmup: 76605.9, Init: 9933, no stats: 66767.6\n");
  EXPECT_TRUE(r.legacy_summary);
  EXPECT_DOUBLE_EQ(*r.warmup_avg_us, 76605.9);
  EXPECT_EQ(r.init_us, 9933);
  EXPECT_DOUBLE_EQ(*r.inference_avg_us, 66767.6);

  r = ParseText("Average inference timings in us: Warmup: 83235, Init: 38467, Inference: 79760.9\n");
  EXPECT_DOUBLE_EQ(*r.inference_avg_us, 79760.9);
  EXPECT_EQ(r.status, RunStatus::kOk);
}

TEST(BenchmarkParserVariantTest, OldApkSummaryAtErrorLevelWithGluedMemory) {
  std::vector<std::string> lines = {
      "01-15 10:00:00.000  4321  4321 E tflite  : Average inference timings in us: Warmup: 91471, "
      "Init: 4108, Inference: 80660.1Overall max resident set size = 43.1 MB, total malloc-ed "
      "size = 12.5 MB, in-use allocated/mmapped size = 10.2 MB"};
  BenchmarkResult r = ParseLive(lines);
  EXPECT_EQ(r.status, RunStatus::kOk);  // an E-level summary is not a failure
  EXPECT_TRUE(r.complete);              // the old JNI printed nothing else
  EXPECT_DOUBLE_EQ(*r.warmup_avg_us, 91471);
  EXPECT_EQ(r.init_us, 4108);
  EXPECT_DOUBLE_EQ(*r.inference_avg_us, 80660.1);
  EXPECT_TRUE(r.error_lines.empty());  // a result, not evidence of a failure
  EXPECT_EQ(r.legacy_memory,
            "Overall max resident set size = 43.1 MB, total malloc-ed size = 12.5 MB, in-use "
            "allocated/mmapped size = 10.2 MB");
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST(BenchmarkParserVariantTest, MemoryLines) {
  BenchmarkResult r = ParseText("Peak memory footprint (MB): init=0 overall=12.8672\n");
  EXPECT_EQ(r.memory_init_mb, 0.0);
  EXPECT_EQ(r.memory_overall_mb, 12.8672);
  r = ParseText(
      "Memory footprint delta from the start of the tool (MB): init=156.055MB overall=178.805MB\n");
  EXPECT_EQ(r.memory_init_mb, 156.055);
  EXPECT_EQ(r.memory_overall_mb, 178.805);
  r = ParseText(
      "Overall peak memory footprint (MB) via periodic monitoring: 214.57\n"
      "Memory status at the end of exeution:\n"
      "- VmRSS              : 201 MB\n"
      "+ RssAnnon           : 96 MB\n"
      "+ RssFile + RssShmem : 105 MB\n");
  EXPECT_EQ(r.peak_memory_mb, 214.57);
  EXPECT_EQ(r.vm_rss_mb, 201);
  EXPECT_EQ(r.rss_anon_mb, 96);
  EXPECT_EQ(r.rss_file_shmem_mb, 105);
  EXPECT_EQ(r.unknown_line_count, 0);
}

TEST(BenchmarkParserVariantTest, LoadInitAndParamLines) {
  BenchmarkResult r = ParseText(
      "Log parameter values verbosely: [0]\n"
      "Num runs: [50]\n"
      "Use gpu : [0]\n"
      "Input layers: []\n"
      "Num threads: [4]\n"
      "#threads used for CPU inference: [4]\n"
      "Num threads: [2]\n"
      "NNAPI accelerators available: [qti-default,qti-dsp]\n"
      "Max number of delegated partitions : [0]\n"
      "Directory for delegate serialization: [/data/local/tmp/cache]\n"
      "Loaded model /data/local/tmp/m.tflite\n"
      "resolved reporter\n"
      "The input model file size (MB): 4.2761\n"
      "Initialized session in 9.933ms\n"
      "Using signature: serving_default\n"
      "The Model contains 2 signature key(s).\n"
      "They are listed below: \n"
      "-> Signature Key: serving_default\n");
  EXPECT_EQ(*r.param("Num runs"), "50");
  EXPECT_EQ(*r.param("Use gpu"), "0");
  EXPECT_EQ(*r.param("Input layers"), "");
  EXPECT_EQ(*r.param("Num threads"), "2");  // echoed twice: the last wins, kept once
  EXPECT_EQ(*r.param("NNAPI accelerators available"), "qti-default,qti-dsp");
  EXPECT_EQ(r.param("Missing"), nullptr);
  EXPECT_EQ(*r.param("Max number of delegated partitions"), "0");
  EXPECT_EQ(*r.param("Directory for delegate serialization"), "/data/local/tmp/cache");
  EXPECT_TRUE(r.delegate_lines.empty());
  EXPECT_EQ(r.model_path, "/data/local/tmp/m.tflite");
  EXPECT_EQ(r.model_size_mb, 4.2761);
  EXPECT_EQ(r.session_init_ms, 9.933);
  EXPECT_EQ(r.signature, "serving_default");
  EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error_class, ErrorClass::kNoResult);

  r = ParseText("11-25 10:00:00.000  1  1 W tflite  : Failed to get the input model file size.\n");
  EXPECT_FALSE(r.model_size_mb.has_value());
  ASSERT_EQ(r.warning_lines.size(), 1u);
}

TEST(BenchmarkParserVariantTest, DelegateLines) {
  BenchmarkResult r = ParseText(
      "Created TensorFlow Lite delegate for NNAPI.\n"
      "NNAPI delegate created.\n"
      "Going to apply 2 delegates one after another.\n"
      "Replacing 269 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 13 partitions.\n"
      "Explicitly applied NNAPI delegate, and the model graph will be partially executed by the "
      "delegate w/ 2 delegate kernels.\n"
      "Though NNAPI delegate is explicitly applied, the model graph will not be executed by the "
      "delegate.\n"
      "E Following operations are not supported by GPU delegate:\n");
  ASSERT_EQ(r.delegates.size(), 2u);
  EXPECT_EQ(r.delegates[0].name, "NNAPI");
  EXPECT_EQ(r.delegates[0].execution, "partially");
  EXPECT_EQ(r.delegates[0].kernels, 2);
  EXPECT_EQ(r.delegates[1].execution, "not_executed");
  ASSERT_EQ(r.delegate_replacements.size(), 1u);
  EXPECT_EQ(r.delegate_replacements[0].nodes_replaced, 269);
  EXPECT_FALSE(r.delegate_replacements[0].nodes_total.has_value());
  EXPECT_EQ(r.delegate_replacements[0].partitions, 13);
  EXPECT_GE(r.delegate_lines.size(), 6u);
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST(BenchmarkParserVariantTest, PartialDelegationErrorLinesAreNotAFailure) {
  std::string capture = Fixture("01_cpu_xnnpack_2024.logcat");
  std::string extra =
      "11-25 10:03:51.305  6843  6843 E tflite  : Following operations are not supported by GPU delegate:\n"
      "11-25 10:03:51.305  6843  6843 E tflite  : UNPACK: Operation is not supported.\n"
      "11-25 10:03:51.305  6843  6843 E tflite  : 294 operations will run on the GPU, and the "
      "remaining 6 operations will run on the CPU.\n"
      "11-25 10:03:51.305  6843  6843 I tflite  : Explicitly applied GPU delegate, and the model "
      "graph will be partially executed by the delegate w/ 3 delegate kernels.\n";
  size_t at = capture.find("11-25 10:03:51.336");
  capture.insert(at, extra);
  BenchmarkResult r = ParseText(capture);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.error_class, ErrorClass::kNone);
  EXPECT_EQ(r.error_lines.size(), 3u);
  EXPECT_EQ(r.delegates[0].kernels, 3);
}

TEST(BenchmarkParserVariantTest, NativeStdoutWithPrefixesAndBlankLines) {
  BenchmarkResult r = ParseText(
      "INFO: STARTING!\n"
      "INFO: Log parameter values verbosely: [0]\n"
      "INFO: Num threads: [4]\n"
      "INFO: Graph: [/data/local/tmp/m.tflite]\n"
      "INFO: Signature to run: []\n"
      "INFO: #threads used for CPU inference: [4]\n"
      "INFO: Loaded model /data/local/tmp/m.tflite\n"
      "INFO: Initialized TensorFlow Lite runtime.\n"
      "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
      "VERBOSE: Replacing 66 out of 66 node(s) with delegate (TfLiteXNNPackDelegate) node, "
      "yielding 1 partitions for subgraph 0.\n"
      "INFO: The input model file size (MB): 13.9786\n"
      "INFO: Initialized session in 38.417ms.\n"
      "INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate "
      "if exceeding 150 seconds.\n"
      "INFO: count=36 first=19834 curr=14218 min=13143 max=19834 avg=14030.8 std=1062\n"
      "\n"
      "INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate "
      "if exceeding 150 seconds.\n"
      "INFO: count=76 first=13173 curr=12803 min=12547 max=17404 avg=13232.1 std=565\n"
      "\n"
      "INFO: Inference timings in us: Init: 38417, First inference: 19834, Warmup (avg): "
      "14030.8, Inference (avg): 13232.1\n"
      "INFO: Note: as the benchmark tool itself affects memory footprint, the following is only "
      "APPROXIMATE to the actual memory footprint of the model at runtime. Take the information "
      "at your discretion.\n"
      "INFO: Memory footprint delta from the start of the tool (MB): init=20.3711 "
      "overall=27.9219\n");
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_FALSE(r.pid.has_value());
  ExpectStats(r.timed, {76, 13173, 12803, 12547, 17404, 13232.1, 565}, "timed");
  ExpectStats(r.warmup, {36, 19834, 14218, 13143, 19834, 14030.8, 1062}, "warmup");
  ExpectSummary(r, 38417, 19834, 14030.8, 13232.1, 20.3711, 27.9219);
  EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST(BenchmarkParserVariantTest, OldNativeStdoutMixesBareAndPrefixedLines) {
  BenchmarkResult r = ParseText(
      "STARTING!\n"
      "Log parameter values verbosely: [0]\n"
      "Loaded model /x.tflite\n"
      "INFO: Initialized TensorFlow Lite runtime.\n"
      "Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if "
      "exceeding 150 seconds.\n"
      "count=1 curr=9000\n"
      "\n"
      "Running benchmark for at least 50 iterations and at least 1 seconds but terminate if "
      "exceeding 150 seconds.\n"
      "count=50 first=8000 curr=8100 min=7900 max=8200 avg=8050 std=40\n"
      "\n"
      "Inference timings in us: Init: 1000, First inference: 9000, Warmup (avg): 9000, "
      "Inference (avg): 8050\n"
      "Peak memory footprint (MB): init=0 overall=12.8672\n");
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.warmup->count, 1);
  EXPECT_EQ(r.timed->count, 50);
  EXPECT_EQ(r.unknown_line_count, 0) << absl::StrJoin(r.unknown_lines, "\n");
}

// ---- failures (§1.7) --------------------------------------------------------------------

struct FailureCase {
  const char* name;
  std::vector<std::string> lines;
  ErrorClass error;
  bool complete_without_finish;
};

std::string T(const char* priority, const std::string& msg) {
  return absl::StrCat("11-25 10:00:00.000  4242  4242 ", priority, " tflite  : ", msg);
}

TEST(BenchmarkParserFailureTest, EveryFailureClass) {
  const std::string start =
      "11-25 10:00:00.000  1402  1471 I ActivityManager: Start proc 4242:org.tensorflow.lite.benchmark/u0a241 for next-top-activity {x}";
  const std::vector<FailureCase> cases = {
      {"invalid model",
       {start, T("E", "The model is not a valid Flatbuffer buffer"),
        T("E", "Failed to load model /data/local/tmp/x.tflite")},
       ErrorClass::kModelInvalid, true},
      {"old mmap",
       {start, T("E", "Could not open '/x.tflite'."), T("E", "Failed to mmap model /x.tflite")},
       ErrorClass::kModelMissing, true},
      {"no graph", {start, T("E", "Please specify the name of your TF Lite input file with --graph")},
       ErrorClass::kBadFlag, true},
      {"bad flag",
       {start, T("E", "Failed to parse flag 'use_gpu' against argv '--use_gpu=true\"'"),
        T("E", "usage: (BenchmarkModelAndroid)"), T("E", "Flags:"),
        T("E", "\t--num_runs=50\tint32\toptional\texpected number of runs")},
       ErrorClass::kBadFlag, true},
      {"signature",
       {start, T("E", "Signature not specified or incorrect. Pass one of the following to the flag \"--signature_to_run_for\""),
        T("E", " #> Signature key: serving_default")},
       ErrorClass::kBadFlag, true},
      {"gpu delegate",
       {start, T("E", "TfLiteGpuDelegate Init: MUL: Node 58 failed"),
        T("E", "TfLiteGpuDelegate Prepare: delegate is not initialized"),
        T("E", "Node number 58 (TfLiteGpuDelegateV2) failed to prepare."),
        T("E", "Restored original execution plan after delegate application failure."),
        T("E", "Failed to apply GPU delegate.")},
       ErrorClass::kDelegateFailed, true},
      {"full delegation", {start, T("E", "Disallowed CPU fallback detected.")},
       ErrorClass::kDelegateFailed, true},
      {"allocation", {start, T("E", "Failed to allocate tensors!")}, ErrorClass::kAllocationFailed, true},
      {"invoke in warm-up",
       {start, T("I", "Running benchmark for at least 1 iterations and at least 0.5 seconds"),
        T("E", "Node number 3 (CONV_2D) failed to invoke."), T("I", "count=1 curr=100")},
       ErrorClass::kInvokeFailed, false},
      {"native crash",
       {start,
        "11-25 10:00:01.000  4242  4250 F libc    : Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), "
        "fault addr 0x0 in tid 4250 (.lite.benchmark), pid 4242 (.lite.benchmark)",
        "11-25 10:00:01.100  4300  4300 F DEBUG   : *** *** *** *** *** ***",
        "11-25 10:00:01.100  4300  4300 F DEBUG   : pid: 4242, tid: 4250, name: .lite.benchmark"},
       ErrorClass::kNativeCrash, true},
      {"abort on input mismatch",
       {start, T("E", "Inputs mismatch: Model inputs #:1 expected: 2"),
        "11-25 10:00:01.000  4242  4242 F libc    : Fatal signal 6 (SIGABRT), code -1 (SI_QUEUE) in "
        "tid 4242 (.lite.benchmark), pid 4242 (.lite.benchmark)"},
       ErrorClass::kNativeCrash, true},
      {"died",
       {start, T("I", "Loaded model /x.tflite"),
        "11-25 10:00:02.000  1402  1544 I ActivityManager: Process org.tensorflow.lite.benchmark (pid 4242) has died: fg  TOP "},
       ErrorClass::kProcessDied, true},
      {"native binary",
       {"ERROR: Could not open '/x.tflite'.", "ERROR: Failed to load model /x.tflite",
        "ERROR: Benchmarking failed."},
       ErrorClass::kModelMissing, true},
      {"unclassified error", {start, T("E", "Something new went wrong")}, ErrorClass::kToolError, false},
      {"nothing", {start}, ErrorClass::kNoResult, false},
  };
  for (const FailureCase& c : cases) {
    BenchmarkResult live = ParseLive(c.lines);
    EXPECT_EQ(live.complete, c.complete_without_finish) << c.name;
    BenchmarkResult r = ParseText(absl::StrJoin(c.lines, "\n"));
    EXPECT_EQ(r.status, RunStatus::kFailed) << c.name;
    EXPECT_EQ(r.error_class, c.error) << c.name << ": " << ErrorClassName(r.error_class);
    EXPECT_TRUE(r.complete) << c.name;
    if (c.error != ErrorClass::kNoResult) {
      EXPECT_FALSE(r.error_lines.empty()) << c.name;
    }
  }
}

TEST(BenchmarkParserFailureTest, NativeCrashWithoutAStartLineIsTiedByTheProcessName) {
  BenchmarkResult r = ParseText(
      "11-25 10:00:01.000  4242  4250 F libc    : Fatal signal 11 (SIGSEGV), code 1, fault addr "
      "0x0 in tid 4250 (GLThread 12), pid 4242 (.lite.benchmark)\n"
      "11-25 10:00:01.000  5555  5555 F libc    : Fatal signal 6 (SIGABRT) in tid 5555 (camera), "
      "pid 5555 (camera)\n");
  EXPECT_EQ(r.error_class, ErrorClass::kNativeCrash);
  EXPECT_EQ(r.pid, 4242);
  EXPECT_EQ(r.error_lines.size(), 1u);
  r = ParseText(
      "11-25 10:00:01.000  5555  5555 F libc    : Fatal signal 6 (SIGABRT) in tid 5555 (camera), "
      "pid 5555 (camera)\n");
  EXPECT_EQ(r.error_class, ErrorClass::kNoResult);
}

TEST(BenchmarkParserFailureTest, BareFailureLinesOfOldNativeBuildsAreEvidence) {
  BenchmarkResult r = ParseText("STARTING!\nFailed to mmap model /x.tflite\n");
  EXPECT_EQ(r.error_class, ErrorClass::kModelMissing);
  EXPECT_EQ(r.error_lines, std::vector<std::string>{"Failed to mmap model /x.tflite"});
}

TEST(BenchmarkParserFailureTest, InvokeFailureInTimedRunsKeepsTheNumbersButFails) {
  std::vector<std::string> lines = Lines(Fixture("01_cpu_xnnpack_2024.logcat"));
  auto at = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("count=76") != std::string::npos;
  });
  lines.insert(at, "11-25 10:03:52.000  6843  6843 E tflite  : Node number 12 (CONV_2D) failed to invoke.");
  BenchmarkResult r = ParseLive(lines);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error_class, ErrorClass::kInvokeFailed);
  EXPECT_TRUE(r.complete);  // summary and memory still came
  EXPECT_EQ(r.timed->count, 76);
}

TEST(BenchmarkParserFailureTest, ANonFinalErrorFollowedByAFullResultIsOk) {
  std::vector<std::string> lines = Lines(Fixture("01_cpu_xnnpack_2024.logcat"));
  lines.insert(lines.begin() + 8,
               "11-25 10:03:51.300  6843  6843 E tflite  : Could not open '/data/local/tmp/cache.bin'.");
  BenchmarkResult live = ParseLive({lines.begin(), lines.begin() + 10});
  EXPECT_EQ(live.status, RunStatus::kFailed);  // for now
  EXPECT_FALSE(live.complete);
  BenchmarkResult r = ParseLive(lines);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.error_class, ErrorClass::kNone);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.error_lines.size(), 1u);
}

TEST(BenchmarkParserFailureTest, DeathAfterASuccessfulRunIsNotAFailure) {
  std::string capture = absl::StrCat(
      Fixture("01_cpu_xnnpack_2024.logcat"),
      "11-25 10:05:00.000  1402  1544 I ActivityManager: Process org.tensorflow.lite.benchmark "
      "(pid 6843) has died: cch  CEM \n");
  BenchmarkResult r = ParseText(capture);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_TRUE(r.process_died);
}

TEST(BenchmarkParserFailureTest, AppKilledByAForceStopOrPackageReplaceIsProcessDeath) {
  // Mid-run, before any result: the kill is all the log says (no "has died" follows).
  std::vector<std::string> lines = Lines(Fixture("01_cpu_xnnpack_2024.logcat"));
  std::vector<std::string> head(lines.begin(), lines.begin() + 10);
  BenchmarkResult running = ParseLive(head);
  ASSERT_TRUE(running.pid.has_value());
  const std::string other = "11-25 10:03:52.000  1402  1460 I ActivityManager: Killing 99:"
                            "org.tensorflow.lite.benchmark/u0a241 (adj 0): stop due to replace pkg";
  const std::string ours = absl::StrCat(
      "11-25 10:03:52.000  1402  1460 I ActivityManager: Killing ", *running.pid,
      ":org.tensorflow.lite.benchmark/u0a241 (adj 0): stop org.tensorflow.lite.benchmark due to replace pkg");
  head.push_back(other);  // another pid (the previous run's process): not ours
  EXPECT_FALSE(ParseLive(head).complete);
  head.push_back(ours);
  BenchmarkResult r = ParseLive(head);
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(r.process_died);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_EQ(r.error_class, ErrorClass::kProcessDied);
  ASSERT_FALSE(r.error_lines.empty());
  EXPECT_EQ(r.error_lines.back(), ours);
}

// ---- pid rules (§6) ---------------------------------------------------------------------

TEST(BenchmarkParserPidTest, LinesFromAnotherPidAreIgnored) {
  std::vector<std::string> lines = Lines(Fixture("01_cpu_xnnpack_2024.logcat"));
  std::vector<std::string> noisy;
  for (const std::string& l : lines) {
    noisy.push_back(l);
    // Google Play services logging under the same tag, with numbers and errors.
    noisy.push_back("11-25 10:03:51.500  3100  3120 I tflite  : count=999 first=1 curr=1 min=1 max=1 avg=1 std=0");
    noisy.push_back("11-25 10:03:51.500  3100  3120 E tflite  : Failed to allocate tensors!");
    noisy.push_back("11-25 10:03:51.500  3100  3120 I tflite  : Running benchmark for at least 1 iterations");
  }
  BenchmarkResult r = ParseText(absl::StrJoin(noisy, "\n"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.pid, 6843);
  ExpectStats(r.timed, {76, 13173, 12803, 12547, 17404, 13232.1, 565}, "timed");
  ExpectStats(r.warmup, {36, 19834, 14218, 13143, 19834, 14030.8, 1062}, "warmup");
  EXPECT_TRUE(r.error_lines.empty());
  EXPECT_GE(r.lines_ignored, static_cast<int64_t>(3 * lines.size() - 3));
}

TEST(BenchmarkParserPidTest, StartProcAnchorsThePidBeforeAnyToolLine) {
  BenchmarkResult r = ParseText(
      "11-25 09:12:30.434  1402  1471 I ActivityManager: Start proc 9131:org.tensorflow.lite.benchmark/u0a241 for x\n"
      "11-25 09:12:30.600  3100  3100 E tflite  : Could not open '/other/app/model.tflite'.\n"
      "11-25 09:12:30.693  9131  9131 I tflite  : count=5 curr=3(all same)\n");
  EXPECT_EQ(r.pid, 9131);
  EXPECT_EQ(r.error_class, ErrorClass::kNone);
  EXPECT_EQ(r.timed->count, 5);
}

TEST(BenchmarkParserPidTest, OtherPackagesStartProcIsNotAnAnchor) {
  BenchmarkResult r = ParseText(
      "11-25 09:12:30.434  1402  1471 I ActivityManager: Start proc 777:org.tensorflow.lite.benchmark.firebase/u0a9 for x\n"
      "11-25 09:12:30.693  9131  9131 I tflite  : count=5 curr=3(all same)\n");
  EXPECT_EQ(r.pid, 9131);
  EXPECT_EQ(r.timed->count, 5);
}

TEST(BenchmarkParserPidTest, WithoutAStartLineTheFirstToolLineLocksThePid) {
  BenchmarkResult r = ParseText(
      "11-25 10:00:00.000  3100  3100 I tflite  : Initialized TensorFlow Lite runtime.\n"
      "11-25 10:00:00.100  5000  5000 I tflite  : Log parameter values verbosely: [0]\n"
      "11-25 10:00:00.200  3100  3100 I tflite  : count=9 curr=9(all same)\n"
      "11-25 10:00:00.300  5000  5000 I tflite  : count=7 curr=7(all same)\n");
  EXPECT_EQ(r.pid, 5000);
  EXPECT_EQ(r.timed->count, 7);
}

TEST(BenchmarkParserPidTest, ALateStartLineForAnotherPidResetsWhatWasTaken) {
  BenchmarkResult r = ParseText(
      "11-25 10:00:00.100  5000  5000 I tflite  : count=7 curr=7(all same)\n"
      "11-25 10:00:01.000  6000  6000 I tflite_BenchmarkModelActivity: Running TensorFlow Lite benchmark with args: --graph=/x\n"
      "11-25 10:00:01.100  5000  5000 I tflite  : count=8 curr=8(all same)\n"
      "11-25 10:00:01.200  6000  6000 I tflite  : Loaded model /x\n");
  EXPECT_EQ(r.pid, 6000);
  EXPECT_FALSE(r.timed.has_value());
  EXPECT_EQ(r.model_path, "/x");
  EXPECT_EQ(r.args, "--graph=/x");
}

TEST(BenchmarkParserPidTest, KnownPidFromTheCaller) {
  BenchmarkParserOptions options;
  options.pid = 6000;
  BenchmarkResult r = ParseText(
      "11-25 10:00:00.100  5000  5000 I tflite  : count=7 curr=7(all same)\n"
      "11-25 10:00:00.200  6000  6000 I tflite  : count=8 curr=8(all same)\n",
      options);
  EXPECT_EQ(r.pid, 6000);
  EXPECT_EQ(r.timed->count, 8);
}

TEST(BenchmarkParserPidTest, ExpectedBlocksComeFromTheArgsToo) {
  // The args ask for op profiling; without the profile the run is not complete.
  BenchmarkResult r = ParseLive(Lines(
      "11-25 10:00:01.000  6000  6000 I tflite_BenchmarkModelActivity: Running TensorFlow Lite benchmark with args: --graph=/x --enable_op_profiling=true\n"
      "11-25 10:00:01.100  6000  6000 I tflite  : Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 2, Inference (avg): 2\n"
      "11-25 10:00:01.100  6000  6000 I tflite  : Memory footprint delta from the start of the tool (MB): init=1 overall=2\n"));
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_FALSE(r.complete);
  // Unless the profile goes to a file.
  r = ParseLive(Lines(
      "11-25 10:00:01.000  6000  6000 I tflite_BenchmarkModelActivity: Running TensorFlow Lite benchmark with args: --graph=/x --enable_op_profiling=true --op_profiling_output_file=/data/user/0/x/p.csv\n"
      "11-25 10:00:01.100  6000  6000 I tflite  : Inference timings in us: Init: 1, First inference: 2, Warmup (avg): 2, Inference (avg): 2\n"
      "11-25 10:00:01.100  6000  6000 I tflite  : Memory footprint delta from the start of the tool (MB): init=1 overall=2\n"));
  EXPECT_TRUE(r.complete);
}

// ---- incremental feeding ----------------------------------------------------------------

const char* kAllFixtures[] = {"01_cpu_xnnpack_2024.logcat", "02_gpu_opencl_peakmem_2026.logcat",
                              "04_op_profiling_cpu_2024.logcat", "05_fail_model_not_found.logcat",
                              "06_crash_java_fatal_exception_no_args.logcat",
                              "10_android_studio_format.txt"};

TEST(BenchmarkParserIncrementalTest, RandomChunkingsGiveTheSameResult) {
  std::mt19937 rng(7);
  for (const char* name : kAllFixtures) {
    std::string text = Fixture(name);
    std::string want = FormatBenchmarkJson(ParseText(text));
    // Line by line, and CRLF line endings, give the same too.
    {
      BenchmarkParser p;
      for (const std::string& l : Lines(text)) p.FeedLine(l);
      p.Finish();
      EXPECT_EQ(FormatBenchmarkJson(p.result()), want) << name;
    }
    {
      std::string crlf = absl::StrJoin(Lines(text), "\r\n");
      EXPECT_EQ(FormatBenchmarkJson(ParseText(crlf)), want) << name << " crlf";
    }
    const std::string crlf_text = absl::StrJoin(Lines(text), "\r\n") + "\r\n";
    for (int trial = 0; trial < 50; ++trial) {
      const std::string& input = trial % 3 == 0 ? crlf_text : text;  // v1 devices send CRLF
      BenchmarkParser p;
      size_t pos = 0;
      while (pos < input.size()) {
        size_t n = 1 + rng() % (trial % 2 ? 7 : 300);
        p.FeedBytes(absl::string_view(input).substr(pos, n));
        pos += n;
      }
      p.Finish();
      ASSERT_EQ(FormatBenchmarkJson(p.result()), want) << name << " trial " << trial;
    }
  }
}

TEST(LineSplitterTest, SplitsChunksAndKeepsTheTail) {
  LineSplitter splitter;
  std::vector<std::string> got;
  auto add = [&got](absl::string_view l) { got.emplace_back(l); };
  splitter.Feed("ab", add);
  splitter.Feed("c\nde\n\nf", add);
  EXPECT_EQ(got, (std::vector<std::string>{"abc", "de", ""}));
  EXPECT_EQ(splitter.pending_bytes(), 1u);
  splitter.Feed("g\r\n", add);
  splitter.Feed("tail", add);
  splitter.Flush(add);
  EXPECT_EQ(got, (std::vector<std::string>{"abc", "de", "", "fg\r", "tail"}));
  EXPECT_EQ(splitter.pending_bytes(), 0u);
  splitter.Flush(add);  // nothing pending: no empty line invented
  EXPECT_EQ(got.size(), 5u);
}

TEST(BenchmarkParserVariantTest, OldOpProfileWithStartColumnAndSubgraphs) {
  BenchmarkResult r = ParseText(
      "Operator-wise Profiling Info for Regular Benchmark Runs:\n"
      "Primary graph (name: main) profile:\n"
      "============================== Run Order ==============================\n"
      "\t             [node type]\t          [start]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]\n"
      "\t                 CONV_2D\t            0.000\t    4.269\t    4.269\t  0.107%\t  0.107%\t     0.000\t        1\t[conv1]\n"
      "\n"
      "Timings (microseconds): count=50 first=100 curr=101 min=99 max=110 avg=102.5 std=2\n"
      "Memory (bytes): count=0\n"
      "31 nodes observed\n");
  ASSERT_EQ(r.op_profiles.size(), 1u);
  const OpProfile& p = r.op_profiles[0];
  ASSERT_EQ(p.run_order.size(), 1u);
  EXPECT_EQ(p.run_order[0].node_type, "CONV_2D");
  EXPECT_EQ(p.run_order[0].first_ms, 4.269);
  EXPECT_EQ(p.run_order[0].percent, 0.107);
  EXPECT_EQ(p.run_order[0].name, "[conv1]");
  EXPECT_EQ(p.timings->count, 50);
  EXPECT_EQ(p.nodes_observed, 31);
  EXPECT_TRUE(p.ended);
  EXPECT_FALSE(r.timed.has_value());  // the profile's count= is not the benchmark's
  EXPECT_EQ(r.unknown_line_count, 0);
  EXPECT_EQ(r.diagnostic_count, 0);
}

TEST(BenchmarkParserVariantTest, ACutOffProfileEndsAtTheNextToolLine) {
  BenchmarkResult r = ParseText(
      "Operator-wise Profiling Info for Regular Benchmark Runs:\n"
      "============================== Run Order ==============================\n"
      "\t                 CONV_2D\t    0.4\n"  // cut off mid-row by logcat's 4 KB limit
      "Saved benchmark result to: /data/user/0/x/r.pb\n");
  ASSERT_EQ(r.op_profiles.size(), 1u);
  EXPECT_FALSE(r.op_profiles[0].ended);
  EXPECT_EQ(r.diagnostic_count, 1);  // the short row
  EXPECT_EQ(r.unknown_line_count, 0);
}

// ---- hostile input ----------------------------------------------------------------------

TEST(BenchmarkParserRobustnessTest, MalformedNumbersGiveDiagnosticsAndLeaveFieldsUnset) {
  BenchmarkResult r = ParseText(
      "Running benchmark for at least 1 iterations\n"
      "Running benchmark for at least 50 iterations\n"
      "count=76 first=13x73 curr=12803 min=12547 max=17404 avg=1e999 std=565\n"
      "Inference timings in us: Init: 38417, First inference: lots, Warmup (avg): 14030.8, "
      "Inference (avg): 13232.1\n"
      "Memory footprint delta from the start of the tool (MB): init=20.3711 overall=\n");
  ASSERT_TRUE(r.timed.has_value());
  EXPECT_EQ(r.timed->count, 76);
  EXPECT_FALSE(r.timed->first_us.has_value());
  EXPECT_FALSE(r.timed->avg_us.has_value());
  EXPECT_EQ(r.timed->std_us, 565);
  EXPECT_FALSE(r.first_inference_us.has_value());
  EXPECT_EQ(r.init_us, 38417);
  EXPECT_FALSE(r.memory_overall_mb.has_value());
  ASSERT_EQ(r.diagnostic_count, 4);
  EXPECT_EQ(r.diagnostics[0].line_number, 3);
  EXPECT_NE(r.diagnostics[0].text.find("first=13x73"), std::string::npos);
  EXPECT_NE(r.diagnostics[0].problem.find("first"), std::string::npos);
  EXPECT_NE(r.diagnostics[0].problem.find("13x73"), std::string::npos);
  EXPECT_NE(r.diagnostics[1].problem.find("avg"), std::string::npos);
  EXPECT_EQ(r.diagnostics[2].line_number, 4);
  EXPECT_NE(r.diagnostics[2].problem.find("first_inference_us"), std::string::npos);
  EXPECT_EQ(r.diagnostics[3].line_number, 5);
  EXPECT_EQ(r.status, RunStatus::kOk);
}

TEST(BenchmarkParserRobustnessTest, GarbageIsCountedAndKept) {
  BenchmarkResult r = ParseText("hello\nthe quick brown fox\n\n\n   \ncount\n");
  EXPECT_EQ(r.unknown_line_count, 3);
  EXPECT_EQ(r.unknown_lines, (std::vector<std::string>{"hello", "the quick brown fox", "count"}));
  EXPECT_EQ(r.error_class, ErrorClass::kNoResult);
}

TEST(BenchmarkParserRobustnessTest, KeptListsAreCapped) {
  BenchmarkParserOptions options;
  options.max_kept_lines = 10;
  BenchmarkParser p(options);
  for (int i = 0; i < 1000; ++i) p.FeedLine(absl::StrCat("noise ", i));
  for (int i = 0; i < 1000; ++i) p.FeedLine("count=x");
  EXPECT_EQ(p.result().unknown_line_count, 1000);
  EXPECT_EQ(p.result().unknown_lines.size(), 10u);
  EXPECT_EQ(p.result().diagnostic_count, 1000);
  EXPECT_EQ(p.result().diagnostics.size(), 10u);
}

TEST(BenchmarkParserRobustnessTest, TruncatedHugeAndBinaryLinesDoNotCrash) {
  std::mt19937 rng(11);
  for (const char* name : kAllFixtures) {
    BenchmarkParser p;
    for (const std::string& l : Lines(Fixture(name))) {
      for (size_t n = 0; n <= l.size(); n += 1 + n / 8) p.FeedLine(absl::string_view(l).substr(0, n));
    }
    p.Finish();
    EXPECT_EQ(p.result().lines_fed > 0, true);
    (void)FormatBenchmarkJson(p.result());
    (void)FormatBenchmarkTable(p.result());
  }
  BenchmarkParser p;
  std::string huge = "count=" + std::string(16 << 20, '9');
  p.FeedLine(huge);
  p.FeedLine("11-25 10:03:52.851  6843  6843 I tflite  : " + std::string(4 << 20, 'x'));
  p.FeedLine(std::string("count=5\0 curr=\0\0", 16));
  std::string binary(100000, '\0');
  for (char& c : binary) c = static_cast<char>(rng());
  p.FeedBytes(binary);
  p.FeedLine("Loaded model \xff\xfe\x80 bad utf8");
  p.Finish();
  EXPECT_GT(p.result().diagnostic_count, 0);
  for (const Diagnostic& d : p.result().diagnostics) EXPECT_LE(d.text.size(), 4096u);
  for (const std::string& l : p.result().unknown_lines) EXPECT_LE(l.size(), 4096u + 3);
  std::string json = FormatBenchmarkJson(p.result());  // must not throw on invalid UTF-8
  EXPECT_FALSE(json.empty());
  nlohmann::json parsed;
  EXPECT_NO_THROW(parsed = nlohmann::json::parse(json));
}

TEST(BenchmarkParserRobustnessTest, MutatedFixturesNeverCrash) {
  std::mt19937 rng(3);
  std::vector<std::string> lines;
  for (const char* name : kAllFixtures) {
    for (const std::string& l : Lines(Fixture(name))) lines.push_back(l);
  }
  for (int trial = 0; trial < 300; ++trial) {
    BenchmarkParser p;
    for (int i = 0; i < 40; ++i) {
      std::string l = lines[rng() % lines.size()];
      for (int e = rng() % 4; e > 0 && !l.empty(); --e) {
        const char alphabet[] = {'=', ' ', ':', '[', ']', '\t', '\0', '9', '-', '(', ')', 'e'};
        l[rng() % l.size()] = (rng() % 4 == 0) ? static_cast<char>(rng()) : alphabet[rng() % 12];
      }
      p.FeedLine(l);
    }
    p.Finish();
    EXPECT_TRUE(p.result().complete);
    (void)FormatBenchmarkJson(p.result());
  }
}

// ---- JSON and table ---------------------------------------------------------------------

TEST(MetricsJsonTest, FieldNamesMatchTheProto) {
  BenchmarkResult r = ParseText(Fixture("02_gpu_opencl_peakmem_2026.logcat"));
  nlohmann::json j = nlohmann::json::parse(FormatBenchmarkJson(r));
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["pid"], 21877);
  const nlohmann::json& m = j["metrics"];
  std::vector<std::string> keys;
  for (auto it = m.begin(); it != m.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> want = {"avg_us", "count", "curr_us", "first_inference_us", "first_us",
                                   "inference_avg_us", "init_us", "max_us", "median_us",
                                   "memory_init_mb", "memory_overall_mb", "min_us", "p5_us",
                                   "p95_us", "peak_memory_mb", "std_us", "timed", "warmup",
                                   "warmup_avg_us"};
  EXPECT_EQ(keys, want);
  EXPECT_EQ(m["count"], 253);
  EXPECT_EQ(m["avg_us"], 3930.89);
  EXPECT_EQ(m["warmup"]["count"], 123);
  EXPECT_EQ(m["timed"]["p95_us"], 4088);
  EXPECT_EQ(m["peak_memory_mb"], 214.57);
  EXPECT_EQ(j["memory_status"]["vm_rss_mb"], 201);
  EXPECT_EQ(j["delegates"][0]["name"], "GPU");
}

TEST(MetricsJsonTest, FailureCarriesClassAndEvidence) {
  BenchmarkResult r = ParseText(Fixture("05_fail_model_not_found.logcat"));
  nlohmann::json j = nlohmann::json::parse(FormatBenchmarkJson(r));
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["error_class"], "model_missing");
  EXPECT_EQ(j["error_lines"].size(), 2u);
  EXPECT_TRUE(j["metrics"].empty());
}

TEST(MetricsJsonTest, TableShowsPhasesAndSummary) {
  std::string table = FormatBenchmarkTable(ParseText(Fixture("01_cpu_xnnpack_2024.logcat")));
  EXPECT_NE(table.find("status               ok"), std::string::npos) << table;
  EXPECT_NE(table.find("warmup         36      19834"), std::string::npos) << table;
  EXPECT_NE(table.find("timed          76      13173"), std::string::npos) << table;
  EXPECT_NE(table.find("13232.1"), std::string::npos);
  EXPECT_NE(table.find("memory_overall_mb         27.9219"), std::string::npos) << table;
  std::string profile = FormatBenchmarkTable(ParseText(Fixture("04_op_profiling_cpu_2024.logcat")));
  EXPECT_NE(profile.find("  CONV_2D                       0.475      0.503   37.400  conv2d_1/Relu\n"),
            std::string::npos)
      << profile;
  EXPECT_NE(profile.find("  CONV_2D                           3      1.144   85.309\n"), std::string::npos)
      << profile;
  std::string failed = FormatBenchmarkTable(ParseText(Fixture("05_fail_model_not_found.logcat")));
  EXPECT_NE(failed.find("failed (model_missing)"), std::string::npos) << failed;
  EXPECT_NE(failed.find("Could not open"), std::string::npos) << failed;
}

TEST(MetricsCsvTest, HeaderAndRowLineUp) {
  BenchmarkResult r = ParseText(Fixture("02_gpu_opencl_peakmem_2026.logcat"));
  EXPECT_EQ(BenchmarkCsvHeader(),
            "status,error_class,pid,count,first_us,curr_us,min_us,max_us,avg_us,std_us,p5_us,"
            "median_us,p95_us,init_us,first_inference_us,warmup_avg_us,inference_avg_us,"
            "memory_init_mb,memory_overall_mb,peak_memory_mb,model_size_mb");
  EXPECT_EQ(BenchmarkCsvRow(r),
            "ok,,21877,253,3761,4126,3653,7210,3930.89,243,3757,3912,4088,1284512,9812,4057.02,"
            "3930.89,38.9336,41.3164,214.57,16.9008");
  EXPECT_EQ(BenchmarkCsvRow(ParseText(Fixture("05_fail_model_not_found.logcat"))),
            "failed,model_missing,9131,,,,,,,,,,,,,,,,,,");
}

}  // namespace
}  // namespace benchlab
