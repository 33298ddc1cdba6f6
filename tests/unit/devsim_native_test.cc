// The simulated phone running the native benchmark tools (issue 11): a devsim binary made
// executable runs as a shell-user process with its own pid (the shell's after `exec`),
// prints the tool's lines on stdout/stderr (read back by benchlab's parser), exits with
// the tool's status, dies of `kill`, and honours `taskset`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

constexpr char kBin[] = "/data/local/tmp/benchlab/bin/bm";
constexpr char kLitert[] = "/data/local/tmp/benchlab/bin/lrt";

class NativeToolTest : public ::testing::Test {
 protected:
  explicit NativeToolTest(absl::Duration run = absl::Milliseconds(300))
      : phone_(MakeProfile(31, 1), 31, run) {
    PutNativeTools(phone_, kBin, kLitert);
  }
  static BenchmarkResult Parse(const ShResult& r) { return ParseToolOutput(r); }
  Phone phone_;
};

TEST_F(NativeToolTest, RunsAsTheShellsPidAndPrintsTheToolsReport) {
  ShResult r = RunSh(phone_, absl::StrCat("echo $$; exec ", kBin, " --graph=/data/local/tmp/m.tflite --num_runs=5"));
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  int pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(lines[0], &pid)) << r.out;
  EXPECT_GT(pid, 1);
  EXPECT_EQ(lines[1], "INFO: STARTING!");
  EXPECT_THAT(r.out, HasSubstr("INFO: Inference timings in us: Init: "));
  BenchmarkResult p = Parse(r);
  EXPECT_EQ(p.status, RunStatus::kOk) << ErrorClassName(p.error_class);
  ASSERT_TRUE(p.timed.has_value());
  EXPECT_GE(*p.timed->count, 5);
  // The process ended with the shell: nothing of it is left.
  EXPECT_THAT(RunSh(phone_, "ps -A").out, Not(HasSubstr(" bm\n")));
  // Every line also went to logcat under tflite.
  EXPECT_TRUE(WaitForLog(phone_, "STARTING!", absl::Seconds(1)));
}

TEST_F(NativeToolTest, ExitStatusesAndUnknownFlags) {
  ShResult missing = RunSh(phone_, absl::StrCat(kBin, " --graph=/data/local/tmp/none.tflite"));
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, HasSubstr("ERROR: Could not open '/data/local/tmp/none.tflite'."));
  EXPECT_THAT(missing.err, HasSubstr("ERROR: Benchmarking failed."));
  EXPECT_EQ(Parse(missing).error_class, ErrorClass::kModelMissing);

  // The classic tool warns about flags it does not know and runs on.
  ShResult unknown = RunSh(phone_, absl::StrCat(kBin, " --graph=/data/local/tmp/m.tflite --num_runs=3 --no_such_flag=1"));
  EXPECT_EQ(unknown.status, 0);
  EXPECT_THAT(unknown.out, HasSubstr("WARN: Unconsumed cmdline flags: --no_such_flag=1"));

  ASSERT_EQ(RunSh(phone_, absl::StrCat("chmod 644 ", kBin)).status, 0);
  ShResult denied = RunSh(phone_, absl::StrCat(kBin, " --graph=/data/local/tmp/m.tflite"));
  EXPECT_EQ(denied.status, 126);
  EXPECT_THAT(denied.err, HasSubstr("Permission denied"));
}

TEST_F(NativeToolTest, LitertPrintsItsResultsBlockOnStderr) {
  ShResult r = RunSh(phone_, absl::StrCat(kLitert, " --graph=/data/local/tmp/m.tflite --num_runs=4"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("========== BENCHMARK RESULTS =========="));
  EXPECT_THAT(r.err, HasSubstr("INFO: Inference (avg):      "));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("Inference timings in us")));
}

class SlowNativeToolTest : public NativeToolTest {
 protected:
  SlowNativeToolTest() : NativeToolTest(absl::Seconds(20)) {}
};

TEST_F(SlowNativeToolTest, KillEndsExactlyThatProcessAndTasksetPinsIt) {
  EXPECT_EQ(RunSh(phone_, "taskset 0 true").status, 1);  // no CPU in the mask
  StringIo io;
  int status = -1;
  std::thread run([&] {
    status = phone_.RunShell(absl::StrCat("echo $$; exec taskset f0 ", kBin, " --graph=/data/local/tmp/m.tflite"), io);
  });
  int pid = 0;
  for (int i = 0; i < 500 && pid == 0; ++i) {
    (void)absl::SimpleAtoi(std::string(absl::StripAsciiWhitespace(io.out().substr(0, io.out().find('\n')))), &pid);
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GT(pid, 0);
  // ps shows it under its own name, owned by the shell user, pinned to CPUs 4-7.
  EXPECT_THAT(RunSh(phone_, "ps -A").out, HasSubstr(absl::StrCat(pid, " ")));
  EXPECT_EQ(RunSh(phone_, absl::StrCat("taskset -p ", pid)).out, absl::StrCat("pid ", pid, "'s affinity mask: f0\n"));
  EXPECT_EQ(RunSh(phone_, "kill -9 1").status, 1);  // not the shell user's
  EXPECT_EQ(RunSh(phone_, absl::StrCat("kill -9 ", pid)).status, 0);
  run.join();
  EXPECT_EQ(status, 128 + 9);
  EXPECT_THAT(RunSh(phone_, "ps -A").out, Not(HasSubstr(absl::StrCat(" ", pid, " "))));
}

}  // namespace
}  // namespace benchlab::devsim
