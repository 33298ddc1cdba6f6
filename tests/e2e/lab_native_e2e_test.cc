// Native tools as lab jobs (issue 11), the whole chain: `benchlab run --tool native|litert
// --binary FILE` uploads the binary as an artifact, the coordinator checks and schedules
// it, each host's agent pushes it to its phone by hash and runs it over the real adb, and
// `results --json` shows every run done with its exit status. One lab for every case.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

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
    for (const char* flavor : {"tflite", "litert"}) {
      RunResult made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-binary", Binary(flavor), "--flavor", flavor});
      ASSERT_EQ(made.exit_code, 0) << made.output;
    }
  }
  static void TearDownTestSuite() { delete lab_; }
  static std::string Binary(const std::string& flavor) { return absl::StrCat(lab_->dir(), "/", flavor, "_benchmark_model"); }

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

// Issue 11, flags per tool: a flag both tools share runs on LiteRT; a classic-only one
// (the NNAPI delegate, which LiteRT's CompiledModel tool does not link) is refused before
// anything is uploaded, with one line naming the tool; the typed option too.
TEST_F(LabNativeE2eTest, LitertRunsItsFlagsAndRefusesClassicOnlyOnes) {
  RunResult r = lab_->Cli({"run", lab_->model_path(), "--tool", "litert", "--binary", Binary("litert"), "--flag",
                           "--use_gpu=true", "--flag", "--num_runs=6", "--flag", "--use_npu=false", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json results = nlohmann::json::parse(r.output.substr(r.output.find('{')), nullptr, false);
  ASSERT_FALSE(results.is_discarded()) << r.output;
  EXPECT_EQ(results["job"]["spec"]["flags"]["use_gpu"], true) << r.output;
  for (const auto& run : results["runs"]) {
    EXPECT_EQ(run["state"], "RUN_STATE_DONE") << run.dump();
    EXPECT_EQ(run["exit_code"], 0) << run.dump();
  }
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--flag", "--use_nnapi=true"}, std::vector<std::string>{"--use-xnnpack"},
        std::vector<std::string>{"--flag", "--max_delegated_partitions=2"}}) {
    std::vector<std::string> args = {"run", lab_->model_path(), "--tool", "litert", "--binary", Binary("litert")};
    args.insert(args.end(), bad.begin(), bad.end());
    RunResult refused = lab_->Cli(args);
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_TRUE(absl::StrContains(refused.output, "is not a flag of the litert tool")) << refused.output;
    EXPECT_EQ(std::count(refused.output.begin(), refused.output.end(), '\n'), 1) << refused.output;
    EXPECT_FALSE(absl::StrContains(refused.output, "upload")) << "refused before uploading: " << refused.output;
  }
  // And the other way round: LiteRT's NPU flag on the classic binary.
  RunResult classic = lab_->Cli({"run", lab_->model_path(), "--tool", "native", "--binary", Binary("tflite"),
                                 "--flag", "--use_npu=true"});
  EXPECT_EQ(classic.exit_code, 2) << classic.output;
  EXPECT_TRUE(absl::StrContains(classic.output, "is not a flag of the native tool")) << classic.output;
}

}  // namespace
}  // namespace benchlab
