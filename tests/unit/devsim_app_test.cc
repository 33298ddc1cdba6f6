// The simulated benchmark app (am start ... BenchmarkModelActivity) and its numbers model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/latency_model.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::string_view kStart =
    "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity --es args ";

class AppTest : public ::testing::Test {
 protected:
  AppTest() : phone_(MakeProfile(11, 2), 11, absl::Milliseconds(400)) {
    phone_.SetBackgroundLogs(false);
    StringIo io(MakeFakeApk());
    EXPECT_EQ(phone_.InstallStreamed({"-r"}, static_cast<int64_t>(MakeFakeApk().size()), io), 0);
    EXPECT_TRUE(phone_.fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(4000000, 1)).ok());
  }

  // Messages of `pid` under tag tflite, in order.
  std::vector<std::string> AppLines(int32_t pid) {
    std::vector<std::string> out;
    for (const LogEntry& e : phone_.logs().Read(kAllLogMask, 0)) {
      if (e.pid == pid && e.tag == "tflite") {
        EXPECT_EQ(e.tid, pid);
        out.push_back(std::string(1, e.priority) + " " + e.message);
      }
    }
    return out;
  }
  // The pid from ActivityManager's newest "Start proc" line.
  int32_t StartedPid() {
    int32_t pid = 0;
    for (const LogEntry& e : phone_.logs().Read(LogMask(LogId::kSystem), 0)) {
      if (absl::StartsWith(e.message, "Start proc ")) {
        std::string rest = e.message.substr(11);
        EXPECT_TRUE(absl::SimpleAtoi(rest.substr(0, rest.find(':')), &pid));
      }
    }
    return pid;
  }
  std::string Pidof() {
    return std::string(absl::StripTrailingAsciiWhitespace(
        RunSh(phone_, "pidof org.tensorflow.lite.benchmark").out));
  }
  Phone phone_;
};

TEST_F(AppTest, SuccessfulRunPrintsTheToolsLinesAndStaysAlive) {
  ShResult r =
      RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite --num_threads=4'"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "Stopping: org.tensorflow.lite.benchmark\n"
            "Starting: Intent { cmp=org.tensorflow.lite.benchmark/.BenchmarkModelActivity (has "
            "extras) }\n");
  const int32_t pid = StartedPid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(Pidof(), absl::StrCat(pid));
  ASSERT_TRUE(WaitForLog(phone_, "Memory footprint delta"));
  std::vector<std::string> l = AppLines(pid);
  ASSERT_GE(l.size(), 17u);
  EXPECT_EQ(l[0], "I Log parameter values verbosely: [0]");
  EXPECT_EQ(l[1], "I Num threads: [4]");
  EXPECT_EQ(l[2], "I Graph: [/data/local/tmp/m.tflite]");
  EXPECT_EQ(l[3], "I Signature to run: []");
  EXPECT_EQ(l[4], "I #threads used for CPU inference: [4]");
  EXPECT_EQ(l[5], "I Loaded model /data/local/tmp/m.tflite");
  EXPECT_EQ(l[6], "I Initialized TensorFlow Lite runtime.");
  EXPECT_EQ(l[7], "I Created TensorFlow Lite XNNPACK delegate for CPU.");
  EXPECT_THAT(l[8], StartsWith("I Replacing "));
  EXPECT_EQ(l[9], "I The input model file size (MB): 4");
  EXPECT_THAT(l[10], ContainsRegex("^I Initialized session in [0-9.]+ms\\.$"));
  EXPECT_EQ(l[11],
            "I Running benchmark for at least 1 iterations and at least 0.5 seconds but "
            "terminate if exceeding 150 seconds.");
  EXPECT_THAT(l[12], ContainsRegex("^I count=[0-9]+ first=[0-9]+ curr=[0-9]+ min=[0-9]+ "
                                   "max=[0-9]+ avg=[0-9.e+]+ std=[0-9]+$"));
  EXPECT_EQ(l[13],
            "I Running benchmark for at least 50 iterations and at least 1 seconds but "
            "terminate if exceeding 150 seconds.");
  EXPECT_THAT(l[14], StartsWith("I count="));
  EXPECT_THAT(l[15], StartsWith("I Inference timings in us: Init: "));
  EXPECT_THAT(l[16], StartsWith("I Note: as the benchmark tool itself affects memory"));
  EXPECT_THAT(l[17], ContainsRegex("^I Memory footprint delta from the start of the tool "
                                   "\\(MB\\): init=[0-9.]+ overall=[0-9.]+$"));
  // The activity's own start line comes first, from the same pid.
  bool saw_activity = false;
  for (const LogEntry& e : phone_.logs().Read(LogMask(LogId::kMain), 0)) {
    if (e.tag == "tflite_BenchmarkModelActivity") {
      saw_activity = true;
      EXPECT_EQ(e.pid, pid);
      EXPECT_EQ(e.message,
                "Running TensorFlow Lite benchmark with args: "
                "--graph=/data/local/tmp/m.tflite --num_threads=4");
    }
  }
  EXPECT_TRUE(saw_activity);
  EXPECT_EQ(Pidof(), absl::StrCat(pid));  // no exit after the run

  // The next run gets a new pid; the old process is gone.
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite'"));
  const int32_t pid2 = StartedPid();
  EXPECT_NE(pid2, pid);
  EXPECT_EQ(Pidof(), absl::StrCat(pid2));
  RunSh(phone_, "am force-stop org.tensorflow.lite.benchmark");
  EXPECT_EQ(Pidof(), "");
}

TEST_F(AppTest, SummaryLinesShareOneTimestampAfterTheWarmup) {
  RunSh(phone_, absl::StrCat(kStart,
                             "'--graph=/data/local/tmp/m.tflite "
                             "--report_peak_memory_footprint=true'"));
  const int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "RssFile + RssShmem"));
  absl::Time warm, timed, start;
  std::vector<absl::Time> summary;
  int counts = 0;
  for (const LogEntry& e : phone_.logs().Read(kAllLogMask, 0)) {
    if (e.pid != pid) continue;
    if (e.tag == "tflite_BenchmarkModelActivity") start = e.time;
    if (absl::StartsWith(e.message, "count=")) (++counts == 1 ? warm : timed) = e.time;
    if (counts == 2 && e.tag == "tflite") summary.push_back(e.time);
  }
  ASSERT_EQ(counts, 2);
  EXPECT_EQ(summary.size(), 9u);  // count, timings, note, delta, peak, status + 3 lines
  for (absl::Time t : summary) EXPECT_EQ(t, timed);
  EXPECT_GT(warm - start, absl::Milliseconds(60));
  EXPECT_GT(timed - warm, absl::Milliseconds(150));
}

TEST_F(AppTest, LiteralQuotesBreakTheGraphFlag) {
  // What a client gets when it sends '"--graph=... --num_threads=4"' through its own
  // quoting: the app receives the double quotes.
  RunSh(phone_, absl::StrCat(kStart, "'\"--graph=/data/local/tmp/m.tflite --num_threads=4\"'"));
  const int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Please specify"));
  std::vector<std::string> l = AppLines(pid);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0], "W Unconsumed cmdline flags: \"--graph=/data/local/tmp/m.tflite");
  EXPECT_EQ(l[1], "E Please specify the name of your TF Lite input file with --graph");
}

TEST_F(AppTest, BoolFlagWithTrailingQuoteFailsToParse) {
  RunSh(phone_, absl::StrCat(kStart, "'\"--graph=/data/local/tmp/m.tflite --use_gpu=true\"'"));
  const int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Failed to parse flag"));
  std::vector<std::string> l = AppLines(pid);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0], "E Failed to parse flag 'use_gpu' against argv '--use_gpu=true\"'");
  EXPECT_THAT(
      l[1],
      StartsWith(
          "E usage: (BenchmarkModelAndroid) <flags>\nFlags:\n\t--num_runs=50\tint32\toptional\t"));
  EXPECT_LE(l[1].size(), 4068u);
}

TEST_F(AppTest, UnknownFlagIsWarnedAndTheRunContinues) {
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite --frobnicate=1'"));
  const int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Inference timings"));
  EXPECT_EQ(AppLines(pid)[0], "W Unconsumed cmdline flags: --frobnicate=1");
}

TEST_F(AppTest, MissingAndInvalidModels) {
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/none.tflite'"));
  int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Failed to load model"));
  std::vector<std::string> l = AppLines(pid);
  ASSERT_GE(l.size(), 2u);
  EXPECT_EQ(l[l.size() - 2], "E Could not open '/data/local/tmp/none.tflite'.");
  EXPECT_EQ(l.back(), "E Failed to load model /data/local/tmp/none.tflite");

  ASSERT_TRUE(phone_.fs().Write("/data/local/tmp/bad.tflite", "hello world, no flatbuffer").ok());
  phone_.logs().Clear(kAllLogMask);
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/bad.tflite'"));
  pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Failed to load model"));
  l = AppLines(pid);
  EXPECT_EQ(l[l.size() - 2], "E The model is not a valid Flatbuffer buffer");
  EXPECT_EQ(Pidof(), absl::StrCat(pid));  // failures leave the process alive
}

TEST_F(AppTest, NoArgsExtraCrashesLikeFixture06) {
  RunSh(phone_, "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity");
  const int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "has died"));
  std::string crash = RunSh(phone_, "logcat -d -b crash").out;
  EXPECT_THAT(crash, StartsWith("--------- beginning of crash\n"));
  EXPECT_THAT(crash, HasSubstr(absl::StrCat(" E AndroidRuntime: Process: "
                                            "org.tensorflow.lite.benchmark, PID: ",
                                            pid, "\n")));
  EXPECT_THAT(crash, HasSubstr("java.lang.NullPointerException"));
  std::string all = RunSh(phone_, "logcat -d").out;
  EXPECT_THAT(all, HasSubstr(absl::StrCat("I Process : Sending signal. PID: ", pid, " SIG: 9")));
  EXPECT_THAT(all, HasSubstr(absl::StrCat("I ActivityManager: Process "
                                          "org.tensorflow.lite.benchmark (pid ",
                                          pid, ") has died")));
  EXPECT_EQ(Pidof(), "");
}

TEST_F(AppTest, FaultsSetThroughTheShell) {
  const std::string args = "'--graph=/data/local/tmp/m.tflite'";
  RunSh(phone_, "devsimctl fault graph-missing");
  RunSh(phone_, absl::StrCat(kStart, args));
  ASSERT_TRUE(WaitForLog(phone_, "Could not open '/data/local/tmp/m.tflite'."));

  RunSh(phone_, "devsimctl fault bad-model");
  RunSh(phone_, absl::StrCat(kStart, args));
  ASSERT_TRUE(WaitForLog(phone_, "The model is not a valid Flatbuffer buffer"));

  RunSh(phone_, "devsimctl fault invalid-flag");
  RunSh(phone_, absl::StrCat(kStart, args));
  ASSERT_TRUE(WaitForLog(phone_, "Failed to parse flag"));

  phone_.logs().Clear(kAllLogMask);
  RunSh(phone_, "devsimctl fault crash");
  RunSh(phone_, absl::StrCat(kStart, args));
  int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "has died"));
  EXPECT_THAT(RunSh(phone_, "logcat -d -b crash").out, HasSubstr("FATAL EXCEPTION: main"));
  EXPECT_EQ(Pidof(), "");
  std::vector<std::string> l = AppLines(pid);
  ASSERT_FALSE(l.empty());
  EXPECT_THAT(l.back(), StartsWith("I Running benchmark"));

  phone_.logs().Clear(kAllLogMask);
  RunSh(phone_, "devsimctl fault hang");
  RunSh(phone_, absl::StrCat(kStart, args));
  pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Signature to run"));
  absl::SleepFor(absl::Milliseconds(600));  // longer than a whole run
  l = AppLines(pid);
  EXPECT_EQ(l.back(), "I Signature to run: []");
  EXPECT_EQ(Pidof(), absl::StrCat(pid));

  RunSh(phone_, "devsimctl fault none");
  phone_.logs().Clear(kAllLogMask);
  RunSh(phone_, absl::StrCat(kStart, args));
  ASSERT_TRUE(WaitForLog(phone_, "Inference timings"));
}

int TempTenths(Phone& phone) {
  std::string out = RunSh(phone, "dumpsys battery").out;
  size_t pos = out.find("  temperature: ");
  int t = 0;
  EXPECT_NE(pos, std::string::npos);
  EXPECT_TRUE(absl::SimpleAtoi(out.substr(pos + 15, out.find('\n', pos) - pos - 15), &t));
  return t;
}

TEST_F(AppTest, RunsHeatTheBattery) {
  const int before = TempTenths(phone_);
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite --num_threads=4'"));
  ASSERT_TRUE(WaitForLog(phone_, "Memory footprint delta"));
  EXPECT_GE(TempTenths(phone_), before + 3);
}

TEST_F(AppTest, OpProfilingPrintsTwoBlocksAfterTheMemoryLine) {
  // A small model, so the tables fit in one logcat message (bigger ones are cut off).
  ASSERT_TRUE(phone_.fs().Write("/data/local/tmp/kws.tflite", MakeFakeModel(300000, 2)).ok());
  RunSh(phone_, absl::StrCat(kStart,
                             "'--graph=/data/local/tmp/kws.tflite --use_xnnpack=false "
                             "--enable_op_profiling=true'"));
  const int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Operator-wise Profiling Info for Regular Benchmark Runs:"));
  std::vector<std::string> l = AppLines(pid);
  ASSERT_GE(l.size(), 2u);
  EXPECT_THAT(l[l.size() - 3], StartsWith("I Memory footprint delta"));
  EXPECT_THAT(l[l.size() - 2], StartsWith("I Profiling Info for Benchmark Initialization:\n"
                                          "============================== Run Order "
                                          "==============================\n"
                                          "\t                             [node type]\t  "
                                          "[first]\t [avg ms]\t     [%]\t  [cdf%]\t  "
                                          "[mem KB]\t[times called]\t[Name]\n"
                                          "\t                         AllocateTensors\t"));
  EXPECT_THAT(l.back(), HasSubstr(" CONV_2D\t"));
  EXPECT_THAT(l.back(), HasSubstr("\nTimings (microseconds): count="));
  EXPECT_THAT(l.back(), HasSubstr("\n\t                             [Node type]\t  [count]\t"
                                  "  [avg ms]\t    [avg %]\t    [cdf %]\t  [mem KB]\t"
                                  "[times called]\n"));
  EXPECT_LE(l.back().size(), 4068u);
  // In logcat each message line gets the prefix; empty lines keep it.
  EXPECT_THAT(RunSh(phone_, "logcat -d -s tflite").out,
              ContainsRegex(absl::StrCat(" ", pid, " I tflite  : \n")));
}

TEST_F(AppTest, CrashInjectedMidRun) {
  Phone phone(MakeProfile(11, 2), 11, absl::Seconds(2));
  phone.SetBackgroundLogs(false);
  const std::string apk = MakeFakeApk();
  StringIo io(apk);
  ASSERT_EQ(phone.InstallStreamed({}, static_cast<int64_t>(apk.size()), io), 0);
  ASSERT_TRUE(phone.fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(4000000, 1)).ok());
  RunSh(phone, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite'"));
  ASSERT_TRUE(WaitForLog(phone, "Loaded model"));
  EXPECT_EQ(RunSh(phone, "devsimctl fault crash").status, 0);
  ASSERT_TRUE(WaitForLog(phone, "has died"));
  absl::SleepFor(absl::Seconds(2));  // past the planned end of the run
  for (const LogEntry& e : phone.logs().Read(kAllLogMask, 0)) {
    EXPECT_FALSE(absl::StartsWith(e.message, "Inference timings")) << e.message;
  }
  EXPECT_EQ(RunSh(phone, "pidof org.tensorflow.lite.benchmark").status, 1);
  // An idle (finished or dead) app is not hit; the next launch crashes as configured.
  RunSh(phone, "devsimctl fault none");
}

TEST_F(AppTest, VerboseListSignaturesAndFullDelegation) {
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite --verbose=true'"));
  int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Inference timings"));
  std::vector<std::string> l = AppLines(pid);
  EXPECT_EQ(l[0], "I Log parameter values verbosely: [1]");
  EXPECT_THAT(l, testing::Contains("I Min num runs: [50]"));
  EXPECT_THAT(l, testing::Contains("I Min warmup runs duration (seconds): [0.5]"));
  EXPECT_THAT(l, testing::Contains("I Use gpu: [0]"));
  EXPECT_THAT(l, testing::Contains("I Allow lower precision in gpu: [1]"));

  phone_.logs().Clear(kAllLogMask);
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite --list_signatures=true'"));
  pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "-> Signature Key: serving_default"));
  EXPECT_EQ(AppLines(pid).back(), "I -> Signature Key: serving_default");

  phone_.logs().Clear(kAllLogMask);
  RunSh(phone_, absl::StrCat(kStart,
                             "'--graph=/data/local/tmp/m.tflite --use_nnapi=true "
                             "--require_full_delegation=true'"));
  pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Failed to apply NNAPI delegate."));
  l = AppLines(pid);
  EXPECT_EQ(l[l.size() - 2], "E Disallowed CPU fallback detected.");
}

TEST_F(AppTest, GpuRunPrintsDelegateLines) {
  RunSh(phone_, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite --use_gpu=true'"));
  const int32_t pid = StartedPid();
  ASSERT_TRUE(WaitForLog(phone_, "Inference timings"));
  std::vector<std::string> l = AppLines(pid);
  EXPECT_THAT(l, testing::Contains("I Use gpu: [1]"));
  EXPECT_THAT(l, testing::Contains("I Created TensorFlow Lite delegate for GPU."));
  EXPECT_THAT(l, testing::Contains("I Explicitly applied GPU delegate, and the model graph will "
                                   "be completely executed by the delegate."));
}

// The results lines of the first run on a fresh phone (count=, timings, memory).
std::vector<std::string> FirstRunResults(uint64_t seed, int index) {
  Phone phone(MakeProfile(seed, index), seed, absl::Milliseconds(300));
  phone.SetBackgroundLogs(false);
  const std::string apk = MakeFakeApk();
  StringIo io(apk);
  EXPECT_EQ(phone.InstallStreamed({}, static_cast<int64_t>(apk.size()), io), 0);
  EXPECT_TRUE(phone.fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(6000000, 1)).ok());
  RunSh(phone, absl::StrCat(kStart, "'--graph=/data/local/tmp/m.tflite --num_threads=2'"));
  EXPECT_TRUE(WaitForLog(phone, "Memory footprint delta"));
  std::vector<std::string> out;
  for (const LogEntry& e : phone.logs().Read(kAllLogMask, 0)) {
    if (e.tag == "tflite" && (absl::StartsWith(e.message, "count=") ||
                              absl::StartsWith(e.message, "Inference timings") ||
                              absl::StartsWith(e.message, "Memory footprint"))) {
      out.push_back(e.message);
    }
  }
  return out;
}

TEST(AppDeterminismTest, SameSeedAndIndexGiveTheSameNumbers) {
  std::vector<std::string> a = FirstRunResults(99, 0);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(FirstRunResults(99, 0), a);
  EXPECT_NE(FirstRunResults(99, 1), a);
}

// ---- numbers model ----

struct Stats {
  int64_t count = 0, first = 0, curr = 0, min = 0, max = 0, std = 0;
  double avg = 0;
};
Stats ParseStats(const std::string& line) {
  Stats s;
  for (absl::string_view kv : absl::StrSplit(line, ' ')) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, '=');
    bool ok = true;
    if (p.first == "count") ok = absl::SimpleAtoi(p.second, &s.count);
    if (p.first == "first") ok = absl::SimpleAtoi(p.second, &s.first);
    if (p.first == "curr") ok = absl::SimpleAtoi(p.second, &s.curr);
    if (p.first == "min") ok = absl::SimpleAtoi(p.second, &s.min);
    if (p.first == "max") ok = absl::SimpleAtoi(p.second, &s.max);
    if (p.first == "std") ok = absl::SimpleAtoi(p.second, &s.std);
    if (p.first == "avg") ok = absl::SimpleAtod(p.second, &s.avg);
    EXPECT_TRUE(ok) << kv;
  }
  return s;
}

TEST(StatsFormatTest, MatchesTheToolsOutputRules) {
  EXPECT_EQ(FormatStatsLine({}), "count=0");
  EXPECT_EQ(FormatStatsLine({1381510}), "count=1 curr=1381510");
  EXPECT_EQ(FormatStatsLine({120, 120, 120}), "count=3 curr=120(all same)");
  // avg = 14/3 = 4.66667; var = (4+16+64)/3 - avg^2 = 6.22 -> 6; std = int(sqrt(6)) = 2.
  EXPECT_EQ(FormatStatsLine({2, 4, 8}), "count=3 first=2 curr=8 min=2 max=8 avg=4.66667 std=2");
  EXPECT_EQ(FormatAvg({1530000, 1530500}), "1.53025e+06");
  EXPECT_EQ(FormatG(392865.0), "392865");
}

PhoneProfile FlagshipProfile() {
  PhoneProfile p = MakeProfile(1, 0);
  p.cpu_speed = 1.0;
  p.cores = 8;
  return p;
}

TEST(LatencyModelTest, DeterministicAndConsistent) {
  RunConfig c;
  c.model_size_bytes = 14000000;
  c.num_threads = 4;
  const PhoneProfile p = FlagshipProfile();
  RunNumbers a = ComputeRun(p, 42, RunPerf{}, c), b = ComputeRun(p, 42, RunPerf{}, c);
  EXPECT_EQ(a.timed_us, b.timed_us);
  EXPECT_EQ(a.init_us, b.init_us);
  EXPECT_NE(ComputeRun(p, 43, RunPerf{}, c).timed_us, a.timed_us);
  Stats s = ParseStats(FormatStatsLine(a.timed_us));
  EXPECT_EQ(s.count, static_cast<int64_t>(a.timed_us.size()));
  EXPECT_EQ(s.first, a.timed_us.front());
  EXPECT_EQ(s.curr, a.timed_us.back());
  EXPECT_LE(s.min, s.avg);
  EXPECT_LE(s.avg, s.max);
  EXPECT_GT(s.avg, 5000);  // a 14 MB CNN on 4 threads: ~10-20 ms
  EXPECT_LT(s.avg, 40000);
  EXPECT_GE(a.mem_overall_mb, a.mem_init_mb);
  EXPECT_GT(a.mem_init_mb, 0);
}

TEST(LatencyModelTest, CountsFollowTheToolsLoopRule) {
  RunConfig c;
  c.model_size_bytes = 14000000;
  c.num_threads = 4;
  RunNumbers fast = ComputeRun(FlagshipProfile(), 1, RunPerf{}, c);
  // ~15 ms per run: 1 s minimum wins over 50 runs; warm-up fills 0.5 s.
  double timed_sum = 0;
  for (int64_t v : fast.timed_us) timed_sum += static_cast<double>(v);
  EXPECT_GT(fast.timed_us.size(), 50u);
  EXPECT_GE(timed_sum + 35.0 * static_cast<double>(fast.timed_us.size()), 1e6);
  EXPECT_GT(fast.warmup_us.size(), 10u);

  c.model_size_bytes = 400000000;  // ~400 ms per run: 50 runs win
  RunNumbers slow = ComputeRun(FlagshipProfile(), 1, RunPerf{}, c);
  EXPECT_EQ(slow.timed_us.size(), 50u);
  EXPECT_LE(slow.warmup_us.size(), 3u);

  c.max_secs = 2;  // capped: stops once past 2 s
  RunNumbers capped = ComputeRun(FlagshipProfile(), 1, RunPerf{}, c);
  EXPECT_LT(capped.timed_us.size(), 50u);
}

double Avg(const std::vector<int64_t>& v) {
  double s = 0;
  for (int64_t x : v) s += static_cast<double>(x);
  return s / static_cast<double>(v.size());
}

TEST(LatencyModelTest, ThreadsDelegatesSpeedAndHeat) {
  RunConfig c;
  c.model_size_bytes = 14000000;
  const PhoneProfile fast = FlagshipProfile();
  PhoneProfile slow = fast;
  slow.cpu_speed = 0.4;
  c.num_threads = 1;
  const double one = Avg(ComputeRun(fast, 7, RunPerf{}, c).timed_us);
  c.num_threads = 4;
  const double four = Avg(ComputeRun(fast, 7, RunPerf{}, c).timed_us);
  c.num_threads = 8;
  const double eight = Avg(ComputeRun(fast, 7, RunPerf{}, c).timed_us);
  EXPECT_LT(four, one / 2);
  EXPECT_LT(eight, four);
  EXPECT_GT(eight, four * 0.6);  // diminishing returns past the big cores
  EXPECT_GT(Avg(ComputeRun(slow, 7, RunPerf{}, c).timed_us), four * 2);
  EXPECT_GT(Avg(ComputeRun(fast, 7, RunPerf{0.85}, c).timed_us), eight * 1.15);  // throttled
  c.use_gpu = true;
  RunNumbers gpu = ComputeRun(fast, 7, RunPerf{}, c);
  EXPECT_LT(Avg(gpu.timed_us), four);
  EXPECT_GT(gpu.init_us, 500000);
}

}  // namespace
}  // namespace benchlab::devsim
