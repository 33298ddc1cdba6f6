// The agent's native-tool runs (issue 11) on simulated phones through Debian's real adb:
// the binary pushed once by hash and made executable, `echo $$; exec` so its pid is known,
// stdout/stderr parsed live, the exit status kept; a cancel or the deadline kills exactly
// that process (checked with `ps` on the phone). One lab for every case.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "agent/run/benchmark_runner.h"
#include "common/sha256.h"
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

class AgentNativeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto lab = DevsimLab::Start({.phones = 2, .run_seconds = 1, .extra = {}, .log_path = dir_->path() + "/devsim.log"});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = lab->release();
    adb_ = adb::AdbClient::ConnectLocal({.port = lab_->adb_port()}).release();
    for (const char* flavor : {"tflite", "litert"}) {
      auto made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-binary",
                                absl::StrCat(dir_->path(), "/", flavor, "_benchmark_model"), "--flavor", flavor});
      ASSERT_EQ(made.exit_code, 0) << made.output;
    }
    auto made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-model", dir_->path() + "/m.tflite",
                              "--model-mb", "2"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  static void TearDownTestSuite() {
    delete adb_;
    delete lab_;
    delete dir_;
  }

  static RunRequest Request(int phone, const std::string& flavor, std::vector<std::string> args,
                            absl::Duration timeout = absl::Seconds(30)) {
    const std::string bin = absl::StrCat(dir_->path(), "/", flavor, "_benchmark_model");
    RunRequest r = RunRequestFor(lab_->Serial(phone), bin, dir_->path() + "/m.tflite", std::move(args), timeout);
    auto sha = Sha256File(bin);
    EXPECT_TRUE(sha.ok());
    r.tool = flavor == "litert" ? v1::TOOL_KIND_LITERT : v1::TOOL_KIND_NATIVE;
    r.binary_path = bin;
    r.binary_sha256 = sha->sha256;
    r.binary_size_bytes = sha->size_bytes;
    r.apk_path.clear();
    r.apk_sha256.clear();
    return r;
  }
  // `ps` on the phone lists `pid`.
  static bool PhoneHasPid(int phone, int64_t pid) {
    auto ps = adb_->Shell(lab_->Serial(phone), "ps -A", absl::Now() + absl::Seconds(10));
    EXPECT_TRUE(ps.ok()) << ps.status();
    return ps.ok() && absl::StrContains(ps->stdout_data, absl::StrCat(" ", pid, " "));
  }
  void SetFault(int phone, const std::string& fault) {
    auto r = lab_->Control(absl::StrCat("fault ", phone, " ", fault));
    ASSERT_TRUE(r.ok() && absl::StartsWith(*r, "ok")) << (r.ok() ? *r : r.status().ToString());
  }

  static TempDir* dir_;
  static DevsimLab* lab_;
  static adb::AdbClient* adb_;
};
TempDir* AgentNativeTest::dir_ = nullptr;
DevsimLab* AgentNativeTest::lab_ = nullptr;
adb::AdbClient* AgentNativeTest::adb_ = nullptr;

TEST_F(AgentNativeTest, BinaryRunsParsesAndIsPushedOnce) {
  int raw_lines = 0;
  RunObserver observer{.on_state = nullptr,
                       .on_log_lines = [&](std::vector<std::string> lines) { raw_lines += lines.size(); },
                       .on_partial_metrics = nullptr};
  BenchmarkRunner runner(adb_);
  RunOutcome o = runner.Run(Request(0, "tflite", {"--num_threads=2", "--num_runs=10"}), observer);
  ASSERT_EQ(o.state, v1::RUN_STATE_DONE) << o.error_message;
  ASSERT_TRUE(o.exit_code.has_value());
  EXPECT_EQ(*o.exit_code, 0);
  EXPECT_GT(o.native_pid, 0);
  EXPECT_GE(o.metrics.count(), 10);
  EXPECT_GT(o.metrics.inference_avg_us(), 0);
  EXPECT_GT(raw_lines, 5);
  EXPECT_FALSE(o.timings.install_skipped);
  // On the phone under its hash, executable.
  const RunRequest req = Request(0, "tflite", {});
  auto st = adb_->Stat(lab_->Serial(0), BenchmarkRunner::RemoteBinaryPath(req.binary_sha256),
                       absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->mode & 0777, 0755u);
  EXPECT_FALSE(PhoneHasPid(0, o.native_pid));  // exited

  BenchmarkRunner again(adb_);
  RunOutcome second = again.Run(Request(0, "tflite", {"--num_runs=5"}), {});
  ASSERT_EQ(second.state, v1::RUN_STATE_DONE) << second.error_message;
  EXPECT_TRUE(second.timings.install_skipped);
  EXPECT_TRUE(second.timings.push_skipped);
}

TEST_F(AgentNativeTest, LitertToolsBlockGivesTheSameMetrics) {
  BenchmarkRunner runner(adb_);
  RunOutcome o = runner.Run(Request(1, "litert", {"--num_runs=8", "--use_cpu=true"}), {});
  ASSERT_EQ(o.state, v1::RUN_STATE_DONE) << o.error_message;
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_TRUE(o.parsed.litert.ended);
  EXPECT_GE(o.metrics.count(), 8);
  EXPECT_GT(o.metrics.inference_avg_us(), 0);
  EXPECT_GT(o.metrics.init_us(), 0);
  EXPECT_GT(o.metrics.throughput_mb_per_s(), 0);
  // The block's ms (two decimals) and the stats line's us describe the same runs.
  EXPECT_NEAR(o.metrics.inference_avg_us(), o.metrics.avg_us(), 5.0);
}

TEST_F(AgentNativeTest, ToolFailureKeepsItsExitStatusAndClass) {
  BenchmarkRunner runner(adb_);
  SetFault(1, "graph-missing");
  RunOutcome o = runner.Run(Request(1, "tflite", {}), {});
  SetFault(1, "none");
  EXPECT_EQ(o.state, v1::RUN_STATE_FAILED);
  EXPECT_EQ(o.error_class, v1::ERROR_CLASS_MODEL_MISSING) << o.error_message;
  ASSERT_TRUE(o.exit_code.has_value());
  EXPECT_EQ(*o.exit_code, 1);
}

TEST_F(AgentNativeTest, CancelAndDeadlineKillExactlyTheToolsProcess) {
  SetFault(1, "hang");
  BenchmarkRunner runner(adb_);
  std::atomic<bool> running{false};
  RunObserver observer{.on_state = [&](v1::RunState s) { running = running || s == v1::RUN_STATE_RUNNING; },
                       .on_log_lines = nullptr,
                       .on_partial_metrics = nullptr};
  RunOutcome cancelled;
  std::thread t([&] { cancelled = runner.Run(Request(1, "tflite", {}), observer); });
  // Running, and its process on the phone (the binary's name is its hash).
  const std::string name = Request(1, "tflite", {}).binary_sha256;
  bool seen = false;
  for (absl::Time end = absl::Now() + absl::Seconds(20); absl::Now() < end && !seen;) {
    if (running) {
      auto ps = adb_->Shell(lab_->Serial(1), "ps -A", absl::Now() + absl::Seconds(10));
      seen = ps.ok() && absl::StrContains(ps->stdout_data, name);
    }
    if (!seen) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(seen);
  runner.Cancel();
  t.join();
  EXPECT_EQ(cancelled.state, v1::RUN_STATE_CANCELLED) << cancelled.error_message;
  ASSERT_GT(cancelled.native_pid, 0);
  EXPECT_FALSE(PhoneHasPid(1, cancelled.native_pid));
  ASSERT_TRUE(cancelled.exit_code.has_value());
  EXPECT_EQ(*cancelled.exit_code, 128 + 9);

  BenchmarkRunner late(adb_);
  RunOutcome timed_out = late.Run(Request(1, "tflite", {}, absl::Seconds(3)), {});
  SetFault(1, "none");
  EXPECT_EQ(timed_out.error_class, v1::ERROR_CLASS_TIMED_OUT) << timed_out.error_message;
  ASSERT_GT(timed_out.native_pid, 0);
  EXPECT_FALSE(PhoneHasPid(1, timed_out.native_pid));
}

}  // namespace
}  // namespace benchlab::agent
