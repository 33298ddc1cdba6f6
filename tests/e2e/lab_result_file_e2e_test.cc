// Results as a file (issue 11), the whole chain: `benchlab run` (result file on by
// default) for the APK and both native tools; each agent passes --result_file_path, pulls
// the file (native) or reads it with `run-as ... cat` over exec: (APK) through the real
// adb, and records that it agrees with the logcat/stdout numbers; a devsim fault that
// skews the file is reported as a disagreement in `results` and --json. One lab.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/support/devsim_lab.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

class LabResultFileE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto lab = LabCluster::Start({.hosts = 1, .phones_per_host = 2});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = lab->release();
  }
  static void TearDownTestSuite() { delete lab_; }
  // `benchlab run` of one tool with `extra` arguments; the --json results.
  static nlohmann::json RunJob(const std::string& tool, std::vector<std::string> extra) {
    std::vector<std::string> args = {"run", lab_->model_path()};
    if (tool == "apk") {
      args.insert(args.end(), {"--apk", lab_->apk_path()});
    } else {
      args.insert(args.end(), {"--tool", tool, "--binary", lab_->binary_path(tool == "native" ? "tflite" : "litert")});
    }
    args.insert(args.end(), {"--flag", "--num_runs=6", "--json"});
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = lab_->Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    nlohmann::json results = nlohmann::json::parse(r.output.substr(std::min(r.output.find('{'), r.output.size())),
                                                   nullptr, false);
    EXPECT_FALSE(results.is_discarded()) << r.output;
    return results;
  }

  static LabCluster* lab_;
};
LabCluster* LabResultFileE2eTest::lab_ = nullptr;

TEST_F(LabResultFileE2eTest, EveryToolsFileAgreesWithItsLog) {
  for (const std::string tool : {"apk", "native", "litert"}) {
    SCOPED_TRACE(tool);
    nlohmann::json results = RunJob(tool, {});
    ASSERT_EQ(results["runs"].size(), 2u) << results.dump();
    for (const auto& run : results["runs"]) {
      EXPECT_EQ(run["state"], "RUN_STATE_DONE") << run.dump();
      EXPECT_EQ(run["result_file_status"], "RESULT_FILE_STATUS_AGREES") << run.dump();
      EXPECT_EQ(run.value("result_file_note", ""), "") << run.dump();
      // Only the file has the percentiles and the model size: they prove it was read.
      ASSERT_TRUE(run["metrics"].contains("median_us")) << run.dump();
      EXPECT_GT(std::stod(run["metrics"]["median_us"].get<std::string>()), 0) << run.dump();
      EXPECT_GT(run["metrics"]["model_size_mb"].get<double>(), 0) << run.dump();
      EXPECT_GT(run["metrics"]["avg_us"].get<double>(), 0) << run.dump();
    }
    const std::string job = results["job"]["job_id"];
    RunResult text = lab_->Cli({"results", job});
    EXPECT_TRUE(absl::StrContains(text.output, "Result files: agrees 2")) << text.output;
  }
}

TEST_F(LabResultFileE2eTest, NoResultFileKeepsTheLogsNumbersOnly) {
  for (const std::string flag : {"--no-result-file", "--result-file=false"}) {
    nlohmann::json results = RunJob("native", {flag});
    EXPECT_EQ(results["job"]["spec"]["result_file"], false) << results["job"].dump();
    for (const auto& run : results["runs"]) {
      EXPECT_EQ(run["state"], "RUN_STATE_DONE") << run.dump();
      EXPECT_EQ(run.value("result_file_status", "RESULT_FILE_STATUS_UNSPECIFIED"), "RESULT_FILE_STATUS_UNSPECIFIED")
          << run.dump();
      EXPECT_FALSE(run["metrics"].contains("median_us")) << run.dump();
    }
  }
}

TEST_F(LabResultFileE2eTest, ASkewedFileIsReportedAsDisagreeing) {
  auto set = lab_->host(0).Control("fault 0 result-skew");
  ASSERT_TRUE(set.ok()) << set.status();
  for (const std::string tool : {"native", "apk"}) {
    SCOPED_TRACE(tool);
    nlohmann::json results = RunJob(tool, {"--devices", lab_->DeviceId(0, 0)});
    ASSERT_EQ(results["runs"].size(), 1u) << results.dump();
    const auto& run = results["runs"][0];
    EXPECT_EQ(run["state"], "RUN_STATE_DONE") << run.dump();
    EXPECT_EQ(run["result_file_status"], "RESULT_FILE_STATUS_DISAGREES") << run.dump();
    const std::string note = run.value("result_file_note", "");
    EXPECT_TRUE(absl::StrContains(note, "avg_us: file ")) << note;
    EXPECT_TRUE(absl::StrContains(note, "init_us: file ")) << note;
    RunResult text = lab_->Cli({"results", results["job"]["job_id"]});
    EXPECT_TRUE(absl::StrContains(text.output, "result file disagrees: the result file and the log disagree: avg_us"))
        << text.output;
  }
  ASSERT_TRUE(lab_->host(0).Control("fault 0 none").ok());
}

TEST_F(LabResultFileE2eTest, AnApkRunAsRefusesKeepsTheLogsNumbersWithAWarning) {
  // A release build of the APK: not debuggable, so `run-as` cannot read its files.
  const std::string release = absl::StrCat(lab_->dir(), "/release.apk");
  RunResult made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-apk", release, "--apk-not-debuggable"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  RunResult r = lab_->Cli({"run", lab_->model_path(), "--apk", release, "--devices", lab_->DeviceId(0, 1), "--flag",
                           "--num_runs=6", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json results = nlohmann::json::parse(r.output.substr(std::min(r.output.find('{'), r.output.size())),
                                                 nullptr, false);
  ASSERT_FALSE(results.is_discarded()) << r.output;
  ASSERT_EQ(results["runs"].size(), 1u) << results.dump();
  const auto& run = results["runs"][0];
  EXPECT_EQ(run["state"], "RUN_STATE_DONE") << run.dump();
  EXPECT_EQ(run["result_file_status"], "RESULT_FILE_STATUS_UNREADABLE") << run.dump();
  EXPECT_TRUE(absl::StrContains(run.value("result_file_note", ""),
                                "run-as: package not debuggable: org.tensorflow.lite.benchmark"))
      << run.dump();
  // The log's numbers stay: no percentiles, which only the file has.
  EXPECT_GT(run["metrics"]["avg_us"].get<double>(), 0) << run.dump();
  EXPECT_FALSE(run["metrics"].contains("median_us")) << run.dump();
}

}  // namespace
}  // namespace benchlab
