// Native tools as lab jobs (issue 11), the whole chain: `benchlab run --tool native|litert
// --binary FILE` uploads the binary as an artifact, the coordinator checks and schedules
// it, each host's agent pushes it to its phone by hash and runs it over the real adb, and
// `results --json` shows every run done with its exit status. One lab for every case.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
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

// Issue 11, tool files: --dispatch-library is uploaded once as an artifact, the agent pushes
// it by hash under the benchlab folder and runs LiteRT with --dispatch_library_path set to
// its directory; devsim's LiteRT tool, asked for the NPU, finds the library there. Given a
// directory that does not exist, the tool fails as the real one does.
TEST_F(LabNativeE2eTest, LitertFindsItsDispatchLibraryOnThePhone) {
  const std::string lib = absl::StrCat(lab_->dir(), "/libLiteRtDispatch_Sim.so");
  { std::ofstream(lib) << "\x7f" "ELF dispatch library for the NPU\n"; }
  const std::string sha = Sha256Hex("\x7f" "ELF dispatch library for the NPU\n");
  const std::string dir = absl::StrCat("/data/local/tmp/benchlab/lib/", sha);
  RunResult r = lab_->Cli({"run", lab_->model_path(), "--tool", "litert", "--binary", Binary("litert"),
                           "--dispatch-library", lib, "--flag", "--use_npu=true", "--flag", "--num_runs=4",
                           "--devices", lab_->DeviceId(0, 0), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json results = nlohmann::json::parse(r.output.substr(r.output.find('{')), nullptr, false);
  ASSERT_FALSE(results.is_discarded()) << r.output;
  EXPECT_EQ(results["job"]["spec"]["tool_files"][0]["artifact"]["kind"], "ARTIFACT_KIND_TOOL_LIBRARY") << r.output;
  ASSERT_EQ(results["runs"].size(), 1u) << r.output;
  EXPECT_EQ(results["runs"][0]["state"], "RUN_STATE_DONE") << results["runs"][0].dump();

  const std::string serial = lab_->host(0).Serial(0);
  RunResult ls = lab_->host(0).adb().Adb({"-s", serial, "shell", absl::StrCat("ls ", dir)});
  EXPECT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_TRUE(absl::StrContains(ls.output, "libLiteRtDispatch_Sim.so")) << ls.output;
  RunResult log = lab_->host(0).adb().Adb({"-s", serial, "logcat", "-d"});
  EXPECT_TRUE(absl::StrContains(log.output, absl::StrCat("dispatch_library_path: ", dir))) << "the tool ran with the flag";

  // The NPU asked for with a dispatch directory that is not there: the tool fails.
  RunResult missing = lab_->Cli({"run", lab_->model_path(), "--tool", "litert", "--binary", Binary("litert"),
                                 "--flag", "--use_npu=true", "--flag", "--dispatch_library_path=/data/local/tmp/none",
                                 "--devices", lab_->DeviceId(0, 0), "--json"});
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_TRUE(absl::StrContains(missing.output, "RUN_STATE_FAILED")) << missing.output;

  // A library LiteRT would not find by its name, or one for another tool: usage errors.
  RunResult badname = lab_->Cli({"run", lab_->model_path(), "--tool", "litert", "--binary", Binary("litert"),
                                 "--dispatch-library", Binary("tflite")});
  EXPECT_EQ(badname.exit_code, 2) << badname.output;
  EXPECT_TRUE(absl::StrContains(badname.output, "libLiteRtDispatch*.so")) << badname.output;
  RunResult native = lab_->Cli({"run", lab_->model_path(), "--tool", "native", "--binary", Binary("tflite"),
                                "--dispatch-library", lib});
  EXPECT_EQ(native.exit_code, 2) << native.output;
}

}  // namespace
}  // namespace benchlab
