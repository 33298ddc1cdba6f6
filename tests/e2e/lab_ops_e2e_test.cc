// Op profiles and delegation through the whole lab (issue 11): `benchlab run --use-gpu
// --op-profiling` on devsim phones adopted by the real adb, each agent parses the APK's
// logcat into op rows and the delegate's summary, the coordinator stores and aggregates
// them, and `results --ops --top 5`, `results --json` and `compare --ops` show them. A
// phone whose GPU delegate takes nothing (devsim's delegate-none fault) shows a warning
// in the table and in the JSON, not a silent CPU run. One lab for every case.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tests/support/lab_cluster.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

class LabOpsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto lab = LabCluster::Start({.hosts = 2, .phones_per_host = 1, .run_seconds = 0.3});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = lab->release();
  }
  static void TearDownTestSuite() { delete lab_; }

  // Runs a GPU job with op profiling on both phones (waits for it) and returns its JSON.
  static nlohmann::json RunGpuJob(const std::string& repeats, const std::string& model) {
    RunResult r = lab_->Cli({"run", model, "--apk", lab_->apk_path(), "--use-gpu", "--op-profiling",
                             "--repeat", repeats, "--flag", "--num_runs=5", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const size_t brace = r.output.find('{');
    if (brace == std::string::npos) return nlohmann::json();
    nlohmann::json results = nlohmann::json::parse(r.output.substr(brace), nullptr, false);
    EXPECT_FALSE(results.is_discarded()) << r.output;
    return results;
  }
  static nlohmann::json ResultsJson(const std::string& job) {
    RunResult r = lab_->Cli({"results", job, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

  static LabCluster* lab_;
};
LabCluster* LabOpsE2eTest::lab_ = nullptr;

TEST_F(LabOpsE2eTest, OpRowsAndDelegationShowInResults) {
  nlohmann::json run = RunGpuJob("2", lab_->model_path());
  const std::string job = run["job"]["job_id"].get<std::string>();
  nlohmann::json results = ResultsJson(job);
  ASSERT_EQ(results["runs"].size(), 4u) << results.dump();
  for (const auto& r : results["runs"]) {
    ASSERT_EQ(r["state"], "RUN_STATE_DONE") << r.dump();
    EXPECT_EQ(r["delegation"]["delegate"], "GPU") << r.dump();
    EXPECT_EQ(r["delegation"]["kernel"], "TfLiteGpuDelegateV2") << r.dump();
    const auto total = std::stoll(r["delegation"]["nodes_total"].get<std::string>());
    EXPECT_GT(total, 0) << r.dump();
    EXPECT_EQ(std::stoll(r["delegation"]["nodes_delegated"].get<std::string>()), total) << r.dump();
    EXPECT_EQ(std::stoll(r["delegation"]["partitions"].get<std::string>()), 1) << r.dump();
    EXPECT_TRUE(r["warnings"].empty()) << r.dump();
    ASSERT_FALSE(r["ops"].empty()) << r.dump();
    EXPECT_FALSE(r["ops"][0]["node_type"].get<std::string>().empty()) << r.dump();
  }
  ASSERT_EQ(results["devices"].size(), 2u);
  for (const auto& d : results["devices"]) {
    ASSERT_FALSE(d["ops"].empty()) << d.dump();
    EXPECT_EQ(d["ops"][0]["n"], 2) << "aggregated across both repeats\n" << d.dump();
    double previous = 1e300;
    for (const auto& op : d["ops"]) {
      EXPECT_LE(op["avg_ms"].get<double>(), previous) << "slowest first\n" << d.dump();
      previous = op["avg_ms"].get<double>();
    }
  }

  RunResult ops = lab_->Cli({"results", job, "--ops", "--top", "5"});
  ASSERT_EQ(ops.exit_code, 0) << ops.output;
  EXPECT_TRUE(absl::StrContains(ops.output, "AVG MS")) << ops.output;
  const std::string slowest = results["devices"][0]["ops"][0]["node_type"].get<std::string>();
  EXPECT_TRUE(absl::StrContains(ops.output, slowest)) << ops.output;
  const size_t per_device = std::min<size_t>(5, results["devices"][0]["ops"].size()) +
                            std::min<size_t>(5, results["devices"][1]["ops"].size());
  EXPECT_TRUE(absl::StrContains(ops.output, absl::StrCat(per_device, " of "))) << ops.output;

  RunResult table = lab_->Cli({"results", job});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, "DELEGATE")) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, "GPU ")) << table.output;
  EXPECT_FALSE(absl::StrContains(table.output, "warning")) << table.output;

  RunResult compare = lab_->Cli({"compare", job, job, "--ops", "--top", "3"});
  ASSERT_EQ(compare.exit_code, 0) << compare.output;
  EXPECT_TRUE(absl::StrContains(compare.output, "CHANGE MS")) << compare.output;
  EXPECT_TRUE(absl::StrContains(compare.output, slowest)) << compare.output;
}

// A big model's CPU profile is longer than one logcat message (about 4 KB, as on a
// phone): its last line never comes. The run still ends DONE with its figures once the
// tool is silent, and the cut profile is a warning with the rows that arrived.
TEST_F(LabOpsE2eTest, AProfileCutByLogcatStillEndsTheRunWithAWarning) {
  auto reply = lab_->host(1).Control("fault 0 delegate-none");
  ASSERT_TRUE(reply.ok() && *reply == "ok") << (reply.ok() ? *reply : reply.status().ToString());
  const absl::Time start = absl::Now();
  RunResult r = lab_->Cli({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--devices", lab_->DeviceId(1, 0),
                           "--use-gpu", "--op-profiling", "--timeout", "30", "--flag", "--num_runs=5", "--json"});
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(lab_->host(1).Control("fault 0 none").ok());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(took, absl::Seconds(20)) << "ended by the silence after the cut, not by its 30 s timeout";
  const size_t brace = r.output.find('{');
  ASSERT_NE(brace, std::string::npos) << r.output;
  nlohmann::json run = nlohmann::json::parse(r.output.substr(brace), nullptr, false);
  nlohmann::json results = ResultsJson(run["job"]["job_id"].get<std::string>());
  ASSERT_EQ(results["runs"].size(), 1u) << results.dump();
  const auto& only = results["runs"][0];
  ASSERT_EQ(only["state"], "RUN_STATE_DONE") << only.dump();
  EXPECT_FALSE(only["ops"].empty()) << "the rows before the cut are kept: " << only.dump();
  bool cut = false;
  for (const auto& w : only["warnings"]) cut = cut || absl::StrContains(w.get<std::string>(), "op profile was cut off");
  EXPECT_TRUE(cut) << only.dump();
}

TEST_F(LabOpsE2eTest, ADelegateThatTookNothingIsAWarning) {
  // A small model: its CPU profile (one row per node) fits one logcat message. A big
  // model's is cut by logcat and the run then waits for the block's end until it times out.
  const std::string small = lab_->dir() + "/small.tflite";
  ASSERT_TRUE(testing::WriteFile(small, std::string("\x1c\0\0\0TFL3", 8) + std::string(4000, '\0')));
  auto reply = lab_->host(1).Control("fault 0 delegate-none");
  ASSERT_TRUE(reply.ok() && *reply == "ok") << (reply.ok() ? *reply : reply.status().ToString());
  nlohmann::json run = RunGpuJob("1", small);
  ASSERT_TRUE(lab_->host(1).Control("fault 0 none").ok());
  const std::string job = run["job"]["job_id"].get<std::string>();
  const std::string cpu_phone = lab_->DeviceId(1, 0);
  nlohmann::json results = ResultsJson(job);
  ASSERT_EQ(results["runs"].size(), 2u) << results.dump();
  std::string cpu_run;
  for (const auto& r : results["runs"]) {
    ASSERT_EQ(r["state"], "RUN_STATE_DONE") << r.dump();
    if (r["device_id"] == cpu_phone) {
      cpu_run = r["run_id"].get<std::string>();
      EXPECT_EQ(r["delegation"]["delegate"], "GPU") << r.dump();
      EXPECT_EQ(r["delegation"]["nodes_delegated"], "0") << r.dump();
      EXPECT_EQ(r["delegation"]["execution"], "not_executed") << r.dump();
      ASSERT_EQ(r["warnings"].size(), 1u) << r.dump();
      EXPECT_TRUE(absl::StrContains(r["warnings"][0].get<std::string>(), "GPU delegate took 0")) << r.dump();
      // Its profile is the CPU's: no delegate node among its operators.
      for (const auto& op : r["ops"]) EXPECT_NE(op["node_type"], "TfLiteGpuDelegateV2") << r.dump();
    } else {
      EXPECT_TRUE(r["warnings"].empty()) << r.dump();
      EXPECT_NE(r["delegation"]["nodes_delegated"], "0") << r.dump();
    }
  }
  ASSERT_FALSE(cpu_run.empty());
  RunResult table = lab_->Cli({"results", job});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, "!! GPU 0")) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, absl::StrCat(cpu_run, ": warning: GPU delegate took 0"))) << table.output;
  RunResult job_view = lab_->Cli({"job", job});
  EXPECT_TRUE(absl::StrContains(job_view.output, "!! GPU 0")) << job_view.output;
}

}  // namespace
}  // namespace benchlab
