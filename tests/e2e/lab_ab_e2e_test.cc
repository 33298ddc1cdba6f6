// `benchlab ab` and `run --baseline` through the real chain (Debian adb + devsim + agents +
// coordinator + the built CLI): the runs of A and B alternate ABBA on each phone, an A/A
// pair is never called slower or faster, a slowdown injected on B's model (devsim's
// `slowdown` control) is called slower on every phone, and --until-decided stops when
// decided or at --max-repeats.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "common/sha256.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using testing::LabCluster;
using testing::RunResult;

class LabAbE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = LabCluster::Start({.hosts = 2, .phones_per_host = 1});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
    // Model B: other bytes, so another sha256 that a slowdown can single out.
    model_b_ = lab_->dir() + "/model_b.tflite";
    RunResult made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-model", model_b_, "--seed", "2"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    auto digest = Sha256File(model_b_);
    ASSERT_TRUE(digest.ok()) << digest.status();
    sha_b_ = digest->sha256;
  }
  RunResult Run(std::vector<std::string> args) { return lab_->Cli(args, absl::Seconds(300)); }
  // `ab` with short runs (a few timed iterations), so the phones barely heat.
  std::vector<std::string> Ab(const std::string& a, const std::string& b, std::vector<std::string> more) {
    std::vector<std::string> args = {"ab", a, b, "--apk", lab_->apk_path(), "--flag", "--num_runs=5",
                                     "--flag", "--min_secs=0.01", "--flag", "--warmup_runs=1",
                                     "--flag", "--warmup_min_secs=0.01"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  void SlowDownB(int pct) {
    for (int h = 0; h < 2; ++h) {
      auto reply = lab_->host(h).Control(absl::StrCat("slowdown 0 ", sha_b_, " ", pct));
      ASSERT_TRUE(reply.ok()) << reply.status();
      ASSERT_TRUE(absl::StrContains(*reply, "ok")) << *reply;
    }
  }
  v1::GetJobResponse Job(const std::string& id) {
    auto lab = lab_->Lab();
    grpc::ClientContext ctx;
    v1::GetJobRequest req;
    req.set_job_id(id);
    v1::GetJobResponse resp;
    grpc::Status st = lab->GetJob(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  // Per phone, the variants of its DONE runs in the order they ran ("ABBA...").
  std::map<std::string, std::string> OrderRan(const v1::GetJobResponse& job) {
    std::map<std::string, std::vector<const v1::Run*>> by_device;
    for (const auto& r : job.runs()) by_device[r.device_id()].push_back(&r);
    std::map<std::string, std::string> out;
    for (auto& [device, runs] : by_device) {
      std::sort(runs.begin(), runs.end(), [](const v1::Run* a, const v1::Run* b) {
        return a->timings().running_unix_ms() < b->timings().running_unix_ms();
      });
      for (size_t i = 0; i + 1 < runs.size(); ++i) {
        EXPECT_LE(runs[i]->timings().finished_unix_ms(), runs[i + 1]->timings().running_unix_ms())
            << "one run at a time on " << device;
      }
      for (const v1::Run* r : runs) out[device] += r->variant() == 0 ? 'A' : 'B';
    }
    return out;
  }
  std::unique_ptr<LabCluster> lab_;
  std::string model_b_;
  std::string sha_b_;
};

TEST_F(LabAbE2eTest, SameModelTwiceIsNeverSlowerAndRunsAlternateAbba) {
  RunResult r = Run(Ab(lab_->model_path(), lab_->model_path(), {"--repeat", "4", "--fail-on", "slower"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int h = 0; h < 2; ++h) EXPECT_TRUE(absl::StrContains(r.output, lab_->DeviceId(h, 0))) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "B (candidate)")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "slower") || absl::StrContains(r.output, "faster")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "same") || absl::StrContains(r.output, "inconclusive")) << r.output;
  v1::GetJobResponse job = Job("j000001");
  ASSERT_EQ(job.job().spec().variants_size(), 2);
  EXPECT_EQ(job.job().runs_done(), 16);
  auto order = OrderRan(job);
  ASSERT_EQ(order.size(), 2u);
  for (const auto& [device, seq] : order) EXPECT_EQ(seq, "ABBAABBA") << device;
}

// Seen in review: a retried run went to the back of its phone's queue, so the job's later
// runs overtook it during its backoff and the phone ran B B A A instead of A B B A.
TEST_F(LabAbE2eTest, ARetriedRunKeepsItsPlaceInTheAbbaOrder) {
  // Phone 0's benchmark hangs: its first run (A) times out and is retried after a backoff
  // while the phone is online and free.
  ASSERT_TRUE(lab_->host(0).Control("fault 0 hang").ok());
  RunResult r = Run(Ab(lab_->model_path(), model_b_, {"--repeat", "2", "--retries", "1", "--timeout", "3", "--detach"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string phone = lab_->DeviceId(0, 0);
  auto first_run = [&](const v1::GetJobResponse& job) -> const v1::Run* {
    for (const auto& run : job.runs()) {
      if (run.device_id() == phone && run.repeat() == 0) return &run;
    }
    return nullptr;
  };
  bool retried = false;
  for (absl::Time end = absl::Now() + absl::Seconds(60); !retried && absl::Now() < end;
       absl::SleepFor(absl::Milliseconds(10))) {
    v1::GetJobResponse job = Job("j000001");
    const v1::Run* run = first_run(job);
    ASSERT_NE(run, nullptr) << job.DebugString();
    retried = run->attempt() == 2;
  }
  ASSERT_TRUE(retried);
  ASSERT_TRUE(lab_->host(0).Control("fault 0 none").ok());  // within the 2 s backoff
  v1::GetJobResponse job;
  for (absl::Time end = absl::Now() + absl::Seconds(90); absl::Now() < end; absl::SleepFor(absl::Milliseconds(100))) {
    job = Job("j000001");
    if (job.job().finished_unix_ms() != 0) break;
  }
  ASSERT_NE(job.job().finished_unix_ms(), 0) << job.DebugString();
  EXPECT_EQ(job.job().runs_done(), 8) << job.DebugString();
  EXPECT_EQ(first_run(job)->attempt(), 2);
  auto order = OrderRan(job);
  EXPECT_EQ(order[phone], "ABBA") << "the retry ran in its own slot";
  EXPECT_EQ(order[lab_->DeviceId(1, 0)], "ABBA");
}

TEST_F(LabAbE2eTest, InjectedSlowdownOfBIsSlowerOnEachPhone) {
  SlowDownB(5);
  // --until-decided from 2 repeats: the repeats each phone needed are the figure of
  // bench/README.md ("ab with an injected 5 % slowdown").
  RunResult r = Run(Ab(lab_->model_path(), model_b_,
                       {"--repeat", "2", "--until-decided", "--max-repeats", "30", "--fail-on", "slower"}));
  EXPECT_EQ(r.exit_code, 6) << r.output;
  std::map<std::string, int> runs;
  const v1::GetJobResponse job = Job("j000001");
  for (const auto& run : job.runs()) ++runs[run.device_id()];
  for (const auto& [device, n] : runs) {
    std::printf("figure: %s needed %d repeats per model to call a 5 %% slowdown\n", device.c_str(), n / 2);
    EXPECT_LT(n, 60) << device << ": decided before the cap";
  }
  // The verdicts themselves, per phone, from the API.
  auto lab = lab_->Lab();
  grpc::ClientContext ctx;
  v1::CompareJobsRequest req;
  req.set_variant_job_id("j000001");
  v1::CompareJobsResponse cmp;
  ASSERT_TRUE(lab->CompareJobs(&ctx, req, &cmp).ok());
  ASSERT_EQ(cmp.devices_size(), 2) << cmp.DebugString();
  for (const auto& d : cmp.devices()) {
    ASSERT_EQ(d.metrics_size(), 1);
    EXPECT_EQ(d.metrics(0).verdict(), "slower") << d.DebugString();
    EXPECT_NEAR(d.metrics(0).shift_pct(), 5, 2.5) << d.DebugString();
  }
}

TEST_F(LabAbE2eTest, UntilDecidedStopsEarlyOnAClearSlowdown) {
  SlowDownB(10);
  RunResult r = Run(Ab(lab_->model_path(), model_b_,
                       {"--repeat", "2", "--until-decided", "--max-repeats", "20", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "--json: only the document: " << r.output;
  v1::GetJobResponse job = Job("j000001");
  std::map<std::string, int> runs;
  for (const auto& run : job.runs()) ++runs[run.device_id()];
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [device, n] : runs) {
    EXPECT_GT(n, 4) << device << ": 2 vs 2 cannot decide, so blocks were added";
    EXPECT_LT(n, 40) << device << ": decided before the cap of 20 per variant";
    EXPECT_EQ(n % 4, 0) << device << ": whole ABBA blocks";
  }
  for (const auto& [device, seq] : OrderRan(job)) {
    for (size_t i = 0; i < seq.size(); ++i) EXPECT_EQ(seq[i], "ABBA"[i % 4]) << device << " " << seq;
  }
  EXPECT_TRUE(absl::StrContains(r.output, "\"verdict\":\"slower\"")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "inconclusive")) << r.output;
}

TEST_F(LabAbE2eTest, UntilDecidedOnAnAaPairStopsAtTheCapInconclusive) {
  // 3 repeats a side can never be `same` (it needs 4) nor pass alpha: capped.
  RunResult r = Run(Ab(lab_->model_path(), lab_->model_path(), {"--repeat", "2", "--until-decided", "--max-repeats", "3"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "inconclusive")) << r.output;
  v1::GetJobResponse job = Job("j000001");
  EXPECT_EQ(job.job().runs_total(), 12) << "2 phones x 3 per variant";
  for (const auto& [device, seq] : OrderRan(job)) EXPECT_EQ(seq, "ABBAAB") << device;
}

TEST_F(LabAbE2eTest, UntilDecidedUsesTheThresholdAndResultsShowEachVariant) {
  // A/A within +-20 %: `same` as soon as it can be (4 a side), not the cap of 10.
  RunResult r = Run(Ab(lab_->model_path(), lab_->model_path(),
                       {"--repeat", "2", "--until-decided", "--max-repeats", "10", "--threshold", "20"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  v1::GetJobResponse job = Job("j000001");
  EXPECT_EQ(job.job().spec().verdict_threshold_pct(), 20);
  std::map<std::string, int> runs;
  for (const auto& run : job.runs()) ++runs[run.device_id()];
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& [device, n] : runs) EXPECT_EQ(n, 8) << device << ": decided `same` at 4 a side";
  EXPECT_TRUE(absl::StrContains(r.output, "same")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "inconclusive")) << r.output;

  RunResult table = Run({"results", "j000001"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, "Per device and variant")) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, "VARIANT")) << table.output;
  RunResult json = Run({"results", "j000001", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  v1::GetResultsResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.output, &parsed).ok()) << json.output;
  ASSERT_EQ(parsed.devices_size(), 4) << "2 phones x 2 variants";
  for (const auto& d : parsed.devices()) {
    EXPECT_EQ(d.runs_done(), 4) << d.DebugString();
    ASSERT_GT(d.aggregates_size(), 0);
  }
  EXPECT_EQ(parsed.devices(0).variant(), 0);
  EXPECT_EQ(parsed.devices(1).variant(), 1);
  RunResult csv = Run({"results", "j000001", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_TRUE(absl::StrContains(csv.output, ",variant\n")) << csv.output;
  EXPECT_TRUE(absl::StrContains(csv.output, ",B\n")) << csv.output;
}

TEST_F(LabAbE2eTest, RunAgainstABaselineJobIsAnAbJob) {
  RunResult until = Run({"run", model_b_, "--apk", lab_->apk_path(), "--until-decided"});
  EXPECT_EQ(until.exit_code, 2) << until.output;
  EXPECT_TRUE(absl::StrContains(until.output, "benchlab ab")) << until.output;

  RunResult base = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--threads", "2", "--repeat", "1"});
  ASSERT_EQ(base.exit_code, 0) << base.output;
  RunResult r = Run({"run", model_b_, "--apk", lab_->apk_path(), "--threads", "2", "--baseline", "j000001",
                     "--repeat", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "A (baseline): job j000001")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "warning:")) << "same APK and flags: " << r.output;
  v1::GetJobResponse job = Job("j000002");
  ASSERT_EQ(job.job().spec().variants_size(), 2);
  EXPECT_EQ(job.job().spec().variants(0).model_sha256(), Job("j000001").job().spec().model_sha256());
  EXPECT_EQ(job.job().spec().variants(1).model_sha256(), sha_b_);
  EXPECT_EQ(job.job().spec().variants(0).flags().num_threads(), 2);
  for (const auto& [device, seq] : OrderRan(job)) EXPECT_EQ(seq, "ABBA") << device;
}

}  // namespace
}  // namespace benchlab
