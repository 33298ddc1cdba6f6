// History through the real chain: a coordinator, two hosts with one devsim phone each and
// real agents; 16 jobs of one model through the `benchlab` CLI, both phones at a run-to-run
// CV of 2 % (devsim `noise`). From job 8 on, phone 0 runs the model 6 % slower (devsim's
// per-model `slowdown`); phone 1 is left alone. `benchlab history` and `regressions` (and
// the API they call) must find phone 0's step at job 8 and nothing on phone 1.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "common/sha256.h"
#include "tests/support/lab_cluster.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

constexpr int kJobs = 16;
constexpr int kStepAt = 8;

TEST(LabHistoryE2eTest, AStepOnOnePhoneIsFoundByHistoryAndRegressionsAndAFlatPhoneHasNone) {
  auto started = LabCluster::Start({.hosts = 2, .phones_per_host = 1, .run_seconds = 0.2});
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<LabCluster> lab = std::move(*started);
  const std::string hot = lab->DeviceId(0, 0), flat = lab->DeviceId(1, 0);

  auto digest = Sha256File(lab->model_path());
  ASSERT_TRUE(digest.ok());
  const std::string sha = digest->sha256;
  ASSERT_TRUE(lab->host(0).Control("noise 0 2").ok());
  ASSERT_TRUE(lab->host(1).Control("noise 0 2").ok());
  for (int j = 0; j < kJobs; ++j) {
    if (j == kStepAt) {
      ASSERT_TRUE(lab->host(0).Control("slowdown 0 " + sha + " 6").ok());
    }
    // Short timed phases: runs hardly heat the phones (no thermal throttling).
    RunResult r = lab->Cli({"run", lab->model_path(), "--apk", lab->apk_path(), "--repeat", "5", "--runs", "10",
                            "--warmup", "1", "--flag", "--min_secs=0.01", "--flag", "--warmup_min_secs=0.01"});
    ASSERT_EQ(r.exit_code, 0) << "job " << j << ": " << r.output;
  }

  // The API: two series, the step on phone 0 only.
  auto stub = lab->Lab();
  grpc::ClientContext ctx;
  v1::GetHistoryRequest req;
  req.set_model_sha256(sha);
  v1::GetHistoryResponse resp;
  ASSERT_TRUE(stub->GetHistory(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.series_size(), 2) << resp.DebugString();
  for (const auto& s : resp.series()) {
    ASSERT_EQ(s.points_size(), kJobs) << s.key().device_id();
    EXPECT_EQ(s.key().metric(), "inference_avg_us");
    EXPECT_EQ(s.points(0).n(), 5);
    if (s.key().device_id() == hot) {
      ASSERT_EQ(s.change_points_size(), 1) << s.DebugString();
      EXPECT_EQ(s.change_points(0).index(), kStepAt);
      EXPECT_EQ(s.change_points(0).direction(), "slower");
      EXPECT_GT(s.change_points(0).change_pct(), 3);
      EXPECT_LT(s.change_points(0).change_pct(), 15);
      EXPECT_EQ(s.change_points(0).job_after(), s.points(kStepAt).job_id());
    } else {
      EXPECT_EQ(s.key().device_id(), flat);
      EXPECT_EQ(s.change_points_size(), 0) << s.DebugString();
    }
  }

  // `benchlab history` by file and by hash: the step marked once, the flat series says so.
  for (const std::string& model : {lab->model_path(), sha}) {
    RunResult h = lab->Cli({"history", "--model", model});
    ASSERT_EQ(h.exit_code, 0) << h.output;
    EXPECT_TRUE(absl::StrContains(h.output, "series: device " + hot)) << h.output;
    EXPECT_TRUE(absl::StrContains(h.output, "series: device " + flat)) << h.output;
    EXPECT_TRUE(absl::StrContains(h.output, "<- slower +")) << h.output;
    EXPECT_EQ(h.output.find("<- slower"), h.output.rfind("<- slower")) << "one change point only: " << h.output;
    EXPECT_TRUE(absl::StrContains(h.output, "1 change point\n")) << h.output;
    EXPECT_TRUE(absl::StrContains(h.output, "no change points")) << h.output;
  }
  RunResult only_flat = lab->Cli({"history", "--model", sha, "--devices", flat});
  ASSERT_EQ(only_flat.exit_code, 0) << only_flat.output;
  EXPECT_FALSE(absl::StrContains(only_flat.output, hot)) << only_flat.output;
  EXPECT_TRUE(absl::StrContains(only_flat.output, "no change points")) << only_flat.output;
  RunResult json = lab->Cli({"history", "--model", sha, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_TRUE(absl::StrContains(json.output, "\"change_points\":[{\"index\":8,")) << json.output;

  // `benchlab regressions`: phone 0's step, nothing of phone 1.
  RunResult reg = lab->Cli({"regressions", "--since", "1h"});
  ASSERT_EQ(reg.exit_code, 0) << reg.output;
  EXPECT_TRUE(absl::StrContains(reg.output, "slower +")) << reg.output;
  EXPECT_TRUE(absl::StrContains(reg.output, hot)) << reg.output;
  EXPECT_FALSE(absl::StrContains(reg.output, flat)) << reg.output;
  RunResult reg_json = lab->Cli({"regressions", "--json"});
  ASSERT_EQ(reg_json.exit_code, 0) << reg_json.output;
  EXPECT_TRUE(absl::StrContains(reg_json.output, "\"direction\":\"slower\"")) << reg_json.output;
  RunResult reg_flat = lab->Cli({"regressions", "--devices", flat});
  ASSERT_EQ(reg_flat.exit_code, 0) << reg_flat.output;
  EXPECT_TRUE(absl::StrContains(reg_flat.output, "no change points in the last 7d")) << reg_flat.output;

  // Bad input: a clear usage error, nothing asked of the lab.
  RunResult bad = lab->Cli({"regressions", "--since", "7x"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output, "e.g. 30m, 12h, 7d")) << bad.output;
  RunResult no_model = lab->Cli({"history", "--model", "nosuch.tflite"});
  EXPECT_EQ(no_model.exit_code, 2) << no_model.output;
  EXPECT_TRUE(absl::StrContains(no_model.output, "no such file")) << no_model.output;
}

}  // namespace
}  // namespace benchlab
