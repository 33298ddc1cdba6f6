// `benchlab parse` end to end: the built binary on every fixture, as table and JSON, from
// a file and from stdin, and its exit codes for failed runs, unreadable input and usage.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using testing::BinPath;
using testing::DataPath;
using testing::RunResult;

RunResult Benchlab(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinPath("benchlab")};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::Run(argv);
}

// stdout only (Run() interleaves stderr), parsed as JSON.
nlohmann::json ParseJson(const std::string& fixture, int* exit_code) {
  RunResult r = testing::Run(
      {"/bin/sh", "-c", "exec \"$0\" parse --json \"$1\" 2>/dev/null", BinPath("benchlab"),
       DataPath(fixture)});
  *exit_code = r.exit_code;
  nlohmann::json j;
  EXPECT_NO_THROW(j = nlohmann::json::parse(r.output)) << r.output;
  return j;
}

struct OkFixture {
  const char* file;
  int64_t pid, count, first, curr, min, max;
  double avg;
  int64_t std;
  int64_t warmup_count;
  int64_t init_us;
  double inference_avg_us, memory_init_mb, memory_overall_mb;
};

const OkFixture kOk[] = {
    {"01_cpu_xnnpack_2024.logcat", 6843, 76, 13173, 12803, 12547, 17404, 13232.1, 565, 36, 38417,
     13232.1, 20.3711, 27.9219},
    {"02_gpu_opencl_peakmem_2026.logcat", 21877, 253, 3761, 4126, 3653, 7210, 3930.89, 243, 123,
     1284512, 3930.89, 38.9336, 41.3164},
    {"04_op_profiling_cpu_2024.logcat", 8120, 713, 1354, 1344, 1279, 1439, 1368.57, 28, 350, 3184,
     1368.57, 1.39453, 2.26172},
    {"10_android_studio_format.txt", 5127, 69, 14460, 14507, 13576, 15271, 14502.6, 366, 33, 41630,
     14502.6, 20.6289, 28.3789},
};

TEST(CliParseTest, SuccessfulRunsAsJson) {
  for (const OkFixture& f : kOk) {
    int code = -1;
    nlohmann::json j = ParseJson(f.file, &code);
    EXPECT_EQ(code, 0) << f.file;
    EXPECT_EQ(j["status"], "ok") << f.file;
    EXPECT_EQ(j["complete"], true) << f.file;
    EXPECT_EQ(j["pid"], f.pid) << f.file;
    const nlohmann::json& m = j["metrics"];
    EXPECT_EQ(m["count"], f.count) << f.file;
    EXPECT_EQ(m["first_us"], f.first) << f.file;
    EXPECT_EQ(m["curr_us"], f.curr) << f.file;
    EXPECT_EQ(m["min_us"], f.min) << f.file;
    EXPECT_EQ(m["max_us"], f.max) << f.file;
    EXPECT_DOUBLE_EQ(m["avg_us"].get<double>(), f.avg) << f.file;
    EXPECT_EQ(m["std_us"], f.std) << f.file;
    EXPECT_EQ(m["warmup"]["count"], f.warmup_count) << f.file;
    EXPECT_EQ(m["init_us"], f.init_us) << f.file;
    EXPECT_DOUBLE_EQ(m["inference_avg_us"].get<double>(), f.inference_avg_us) << f.file;
    EXPECT_DOUBLE_EQ(m["memory_init_mb"].get<double>(), f.memory_init_mb) << f.file;
    EXPECT_DOUBLE_EQ(m["memory_overall_mb"].get<double>(), f.memory_overall_mb) << f.file;
  }
  int code = -1;
  nlohmann::json j = ParseJson("02_gpu_opencl_peakmem_2026.logcat", &code);
  EXPECT_DOUBLE_EQ(j["metrics"]["peak_memory_mb"].get<double>(), 214.57);
  EXPECT_EQ(j["metrics"]["p95_us"], 4088);
  j = ParseJson("04_op_profiling_cpu_2024.logcat", &code);
  ASSERT_EQ(j["op_profiles"].size(), 2u);
  EXPECT_EQ(j["op_profiles"][1]["timings"]["count"], 713);
  EXPECT_EQ(j["op_profiles"][1]["run_order"].size(), 9u);
}

TEST(CliParseTest, SuccessfulRunAsTable) {
  RunResult r = Benchlab({"parse", DataPath("01_cpu_xnnpack_2024.logcat")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("status               ok"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("timed          76      13173      12803      12547      17404      13232.1      565"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("warmup         36      19834"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("init_us                     38417"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("memory_overall_mb         27.9219"), std::string::npos) << r.output;
}

TEST(CliParseTest, Csv) {
  RunResult r = Benchlab({"parse", "--csv", DataPath("01_cpu_xnnpack_2024.logcat")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "status,error_class,pid,count,first_us,curr_us,min_us,max_us,avg_us,std_us,p5_us,"
            "median_us,p95_us,init_us,first_inference_us,warmup_avg_us,inference_avg_us,"
            "memory_init_mb,memory_overall_mb,peak_memory_mb,model_size_mb\n"
            "ok,,6843,76,13173,12803,12547,17404,13232.1,565,,,,38417,19834,14030.8,13232.1,"
            "20.3711,27.9219,,13.9786\n");
  EXPECT_EQ(Benchlab({"parse", "--csv", "--json", DataPath("01_cpu_xnnpack_2024.logcat")}).exit_code, 2);
}

TEST(CliParseTest, StandardInput) {
  RunResult r = testing::Run({"/bin/sh", "-c", "exec \"$0\" parse - < \"$1\"", BinPath("benchlab"),
                              DataPath("10_android_studio_format.txt")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("timed          69      14460"), std::string::npos) << r.output;
}

TEST(CliParseTest, FailedRunsPrintTheClassAndWhy) {
  RunResult r = Benchlab({"parse", DataPath("05_fail_model_not_found.logcat")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("failed (model_missing)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("E tflite  : Could not open '/data/local/tmp/mobilenet_v2.tflite'."),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Failed to load model /data/local/tmp/mobilenet_v2.tflite"),
            std::string::npos);

  r = Benchlab({"parse", DataPath("06_crash_java_fatal_exception_no_args.logcat")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("failed (java_crash)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FATAL EXCEPTION: main"), std::string::npos) << r.output;

  int code = -1;
  nlohmann::json j = ParseJson("06_crash_java_fatal_exception_no_args.logcat", &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["error_class"], "java_crash");
  EXPECT_EQ(j["pid"], 12001);
  EXPECT_EQ(j["process_died"], true);
  EXPECT_FALSE(j["error_lines"].empty());
}

// A capture is anyone's text: an escape sequence in a tool error line is shown escaped.
TEST(CliParseTest, ControlCharactersInACaptureAreShownEscaped) {
  std::string capture = testing::ReadFile(DataPath("05_fail_model_not_found.logcat"));
  const std::string from = "Could not open";
  size_t at = capture.find(from);
  ASSERT_NE(at, std::string::npos);
  capture.replace(at, from.size(), "Could not \x1b]0;owned\x07\x1b[2Jopen");
  testing::TempDir dir;
  ASSERT_TRUE(testing::WriteFile(dir.path() + "/hostile.logcat", capture));
  RunResult r = Benchlab({"parse", dir.path() + "/hostile.logcat"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Could not \\x1b]0;owned\\x07\\x1b[2Jopen"), std::string::npos) << r.output;
}

TEST(CliParseTest, UnreadableInput) {
  RunResult r = Benchlab({"parse", "/nonexistent/capture.logcat"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("cannot open '/nonexistent/capture.logcat'"), std::string::npos)
      << r.output;
  testing::TempDir dir;
  r = Benchlab({"parse", dir.path()});
  EXPECT_EQ(r.exit_code, 3) << r.output;
}

TEST(CliParseTest, InputWithoutBenchmarkOutput) {
  testing::TempDir dir;
  std::string path = dir.path() + "/notes.txt";
  ASSERT_TRUE(testing::WriteFile(path, "just some notes\nnothing to see\n"));
  RunResult r = Benchlab({"parse", path});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("no benchmark output found"), std::string::npos) << r.output;
}

TEST(CliParseTest, UsageErrors) {
  EXPECT_EQ(Benchlab({}).exit_code, 2);
  EXPECT_EQ(Benchlab({"parse"}).exit_code, 2);
  EXPECT_EQ(Benchlab({"parse", "--no-such-flag", DataPath("01_cpu_xnnpack_2024.logcat")}).exit_code, 2);
  EXPECT_EQ(Benchlab({"frobnicate"}).exit_code, 2);
  RunResult help = Benchlab({"parse", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--json"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("Exit codes"), std::string::npos) << help.output;
}

// A logcat kept across three runs (two successes and a failure, each with its own pid):
// every run is reported, per pid and start, not only the first.
TEST(CliParseTest, CaptureOfSeveralRunsReportsEveryRun) {
  testing::TempDir dir;
  std::string capture;
  for (const char* f : {"01_cpu_xnnpack_2024.logcat", "05_fail_model_not_found.logcat",
                        "02_gpu_opencl_peakmem_2026.logcat"}) {
    capture += testing::ReadFile(DataPath(f));
  }
  const std::string path = dir.path() + "/three_runs.logcat";
  ASSERT_TRUE(testing::WriteFile(path, capture));

  RunResult json = testing::Run({"/bin/sh", "-c", "exec \"$0\" parse --json \"$1\" 2>/dev/null",
                                 BinPath("benchlab"), path});
  EXPECT_EQ(json.exit_code, 1) << "one of the runs failed";
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(json.output)) << json.output;
  ASSERT_TRUE(j.is_array()) << json.output;
  ASSERT_EQ(j.size(), 3u) << json.output;
  EXPECT_EQ(j[0]["pid"], 6843);
  EXPECT_EQ(j[0]["status"], "ok");
  EXPECT_EQ(j[1]["status"], "failed");
  EXPECT_EQ(j[1]["error_class"], "model_missing");
  EXPECT_EQ(j[2]["pid"], 21877);
  EXPECT_EQ(j[2]["status"], "ok");
  EXPECT_EQ(j[2]["metrics"]["count"], 253);

  RunResult table = Benchlab({"parse", path});
  EXPECT_NE(table.output.find("run 1 of 3: pid 6843, started 11-25 10:03:51.112"), std::string::npos)
      << table.output;
  EXPECT_NE(table.output.find("run 3 of 3: pid 21877"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("3 runs in"), std::string::npos) << table.output;

  RunResult csv = testing::Run({"/bin/sh", "-c", "exec \"$0\" parse --csv \"$1\" 2>/dev/null",
                                BinPath("benchlab"), path});
  EXPECT_EQ(std::count(csv.output.begin(), csv.output.end(), '\n'), 4) << csv.output;

  // --pid picks one run.
  RunResult one = testing::Run({"/bin/sh", "-c", "exec \"$0\" parse --json --pid 21877 \"$1\" 2>/dev/null",
                                BinPath("benchlab"), path});
  EXPECT_EQ(one.exit_code, 0) << one.output;
  nlohmann::json o = nlohmann::json::parse(one.output, nullptr, false);
  EXPECT_TRUE(o.is_object()) << one.output;
  EXPECT_EQ(o["pid"], 21877);
}

}  // namespace
}  // namespace benchlab
