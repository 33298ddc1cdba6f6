// Native tools as lab jobs (issue 11), the whole chain: `benchlab run --tool native|litert
// --binary FILE` uploads the binary as an artifact, the coordinator checks and schedules
// it, each host's agent pushes it to its phone by hash and runs it over the real adb, and
// `results --json` shows every run done with its exit status. One lab for every case.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

class LabNativeE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto lab = LabCluster::Start({.hosts = 2, .phones_per_host = 1});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = lab->release();
  }
  static void TearDownTestSuite() { delete lab_; }
  static std::string Binary(const std::string& flavor) { return lab_->binary_path(flavor); }

  static LabCluster* lab_;
};
LabCluster* LabNativeE2eTest::lab_ = nullptr;

TEST_F(LabNativeE2eTest, EachToolRunsAsAJobOnEveryPhone) {
  for (const auto& [tool, flavor] : {std::pair{"native", "tflite"}, std::pair{"litert", "litert"}}) {
    SCOPED_TRACE(tool);
    RunResult r = lab_->Cli({"run", lab_->model_path(), "--tool", tool, "--binary", Binary(flavor), "--flag",
                             "--num_runs=6", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    nlohmann::json results = nlohmann::json::parse(r.output.substr(r.output.find('{')), nullptr, false);
    ASSERT_FALSE(results.is_discarded()) << r.output;
    EXPECT_EQ(results["job"]["spec"]["tool"], std::string("TOOL_KIND_") + (tool == std::string("native") ? "NATIVE" : "LITERT"));
    ASSERT_EQ(results["runs"].size(), 2u) << r.output;
    for (const auto& run : results["runs"]) {
      EXPECT_EQ(run["state"], "RUN_STATE_DONE") << run.dump();
      EXPECT_EQ(run["exit_code"], 0) << run.dump();
      EXPECT_GT(run["metrics"]["inference_avg_us"].get<double>(), 0) << run.dump();
      EXPECT_GE(std::stoi(run["metrics"]["count"].get<std::string>()), 6) << run.dump();
    }
  }
}

TEST_F(LabNativeE2eTest, ToolWithoutItsBinaryIsAUsageError) {
  RunResult r = lab_->Cli({"run", lab_->model_path(), "--tool", "native"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "--binary")) << r.output;
  RunResult both = lab_->Cli({"run", lab_->model_path(), "--tool", "litert", "--binary", Binary("litert"), "--apk",
                              lab_->apk_path()});
  EXPECT_EQ(both.exit_code, 2) << both.output;
}

}  // namespace
}  // namespace benchlab
