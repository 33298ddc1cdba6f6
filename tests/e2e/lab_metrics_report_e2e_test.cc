// Both /metrics endpoints, the version in the API and `benchlab report` against a real
// lab: the coordinator and one benchlab-agent with --metrics-listen, Debian's adb and a
// devsim phone. The series are scraped over HTTP before and after runs; the report's HTML
// is parsed by python3's html.parser (tests/e2e/python/report_check.py).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/version.h"
#include "nlohmann/json.hpp"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

// Prometheus text format: "name{labels} value" -> value (the line's key as written).
std::map<std::string, double> Scrape(int port) {
  std::map<std::string, double> out;
  std::string page = testing::HttpGet(port, "/metrics");
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (line.empty() || line[0] == '#' || line.find(' ') == absl::string_view::npos) continue;  // headers too
    if (!absl::StartsWith(line, "benchlab_")) {
      if (line.find(": ") == absl::string_view::npos && !absl::StartsWith(line, "HTTP/")) {
        ADD_FAILURE() << "a series outside benchlab_: " << line;
      }
      continue;
    }
    size_t space = line.rfind(' ');
    double v = 0;
    if (space != absl::string_view::npos && absl::SimpleAtod(line.substr(space + 1), &v)) {
      out[std::string(line.substr(0, space))] = v;
    }
  }
  return out;
}

double Get(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? -1 : it->second;
}

// The first series of `family` whose labels contain `needle`; -1 when none.
double GetLabelled(const std::map<std::string, double>& m, const std::string& family, const std::string& needle) {
  for (const auto& [key, v] : m) {
    if (absl::StartsWith(key, family + "{") && absl::StrContains(key, needle)) return v;
  }
  return -1;
}

class LabMetricsReportE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    coordinator_metrics_ = testing::FreePort();
    agent_metrics_ = testing::FreePort();
    auto lab = LabCluster::Start({.hosts = 1,
                                  .phones_per_host = 1,
                                  .run_seconds = 0.3,
                                  .coordinator_extra = {"--metrics-listen",
                                                        absl::StrCat("127.0.0.1:", coordinator_metrics_)},
                                  .agent_extra = {"--metrics-listen", absl::StrCat("127.0.0.1:", agent_metrics_)}});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = lab->release();
    ASSERT_TRUE(lab_->WaitForIdleDevices(1, absl::Seconds(30)).ok());
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  // Runs a job to the end; its id.
  static std::string RunJob(int repeats) {
    RunResult r = lab_->Cli({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--repeat",
                             absl::StrCat(repeats), "--flag", "--num_runs=5", "--flag", "--warmup_runs=1", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    size_t brace = r.output.find('{');
    if (brace == std::string::npos) return "";
    auto doc = nlohmann::json::parse(r.output.substr(brace), nullptr, false);
    return doc.is_discarded() ? "" : doc["job"]["job_id"].get<std::string>();
  }

  static LabCluster* lab_;
  static int coordinator_metrics_;
  static int agent_metrics_;
};

LabCluster* LabMetricsReportE2eTest::lab_ = nullptr;
int LabMetricsReportE2eTest::coordinator_metrics_ = 0;
int LabMetricsReportE2eTest::agent_metrics_ = 0;

TEST_F(LabMetricsReportE2eTest, BothMetricsEndpointsMoveWithARun) {
  const std::string agent = lab_->AgentName(0);
  const std::string device = lab_->DeviceId(0, 0);
  const std::string serial = lab_->host(0).Serial(0);
  auto c0 = Scrape(coordinator_metrics_);
  auto a0 = Scrape(agent_metrics_);
  ASSERT_FALSE(c0.empty()) << "coordinator /metrics answered nothing";
  ASSERT_FALSE(a0.empty()) << "agent /metrics answered nothing";
  EXPECT_EQ(Get(c0, absl::StrCat("benchlab_build_info{component=\"coordinator\",version=\"", kVersion, "\"}")), 1);
  EXPECT_EQ(Get(a0, absl::StrCat("benchlab_build_info{component=\"agent\",version=\"", kVersion, "\"}")), 1);
  EXPECT_EQ(Get(c0, absl::StrCat("benchlab_agent_connected{agent=\"", agent, "\"}")), 1);
  EXPECT_EQ(Get(c0, absl::StrCat("benchlab_device_state{agent=\"", agent, "\",device=\"", device, "\",state=\"idle\"}")),
            1);
  EXPECT_EQ(Get(a0, "benchlab_agent_coordinator_connected"), 1);
  // devsim's battery (dumpsys battery) as the agent read it.
  const std::string serial_label = absl::StrCat("serial=\"", serial, "\"");
  EXPECT_GT(GetLabelled(a0, "benchlab_agent_phone_battery_level_percent", serial_label), 0);
  EXPECT_GT(GetLabelled(a0, "benchlab_agent_phone_battery_temperature_celsius", serial_label), 0);
  EXPECT_EQ(GetLabelled(a0, "benchlab_agent_phone_online", serial_label), 1);

  ASSERT_FALSE(RunJob(2).empty());
  auto c1 = Scrape(coordinator_metrics_);
  auto a1 = Scrape(agent_metrics_);
  EXPECT_EQ(Get(c1, "benchlab_runs{state=\"done\"}") - std::max(0.0, Get(c0, "benchlab_runs{state=\"done\"}")), 2);
  EXPECT_EQ(Get(c1, "benchlab_run_duration_seconds_count") - Get(c0, "benchlab_run_duration_seconds_count"), 2);
  EXPECT_EQ(Get(c1, "benchlab_run_queue_wait_seconds_count") - Get(c0, "benchlab_run_queue_wait_seconds_count"), 2);
  EXPECT_GT(Get(c1, "benchlab_run_duration_seconds_sum"), Get(c0, "benchlab_run_duration_seconds_sum"));
  EXPECT_GE(Get(c1, "benchlab_rpcs_total{code=\"OK\",method=\"benchlab.v1.Lab/SubmitJob\"}"), 1);
  const std::string done = "benchlab_agent_runs_total{error_class=\"none\",state=\"done\"}";
  EXPECT_EQ(Get(a1, done) - std::max(0.0, Get(a0, done)), 2);
  EXPECT_GT(Get(a1, "benchlab_agent_push_bytes_total"), 0) << "the model went to the phone once";
  EXPECT_GE(Get(a1, "benchlab_agent_push_seconds_count"), 1);
  EXPECT_EQ(Get(a1, "benchlab_agent_adb_errors_total{kind=\"host\"}"), 0);
  // The version the metrics report is the API's too: `agents` shows it.
  RunResult agents = lab_->Cli({"agents"});
  EXPECT_EQ(agents.exit_code, 0) << agents.output;
  EXPECT_TRUE(absl::StrContains(agents.output, absl::StrCat("coordinator version ", kVersion, "\n"))) << agents.output;
  // Each address is logged at start.
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(lab_->dir() + "/coordinator.log"),
                                absl::StrCat("event=metrics_listening addr=127.0.0.1:", coordinator_metrics_)));
  EXPECT_TRUE(absl::StrContains(testing::ReadFile(lab_->dir() + "/agent0.log"),
                                absl::StrCat("event=metrics_listening addr=127.0.0.1:", agent_metrics_)));
}

TEST_F(LabMetricsReportE2eTest, ReportOfAJobAndACompareOpensOffline) {
  const std::string baseline = RunJob(3);
  const std::string candidate = RunJob(3);
  ASSERT_FALSE(baseline.empty());
  ASSERT_FALSE(candidate.empty());
  const std::string html = lab_->dir() + "/report.html";
  const std::string md = lab_->dir() + "/report.md";
  RunResult r = lab_->Cli({"report", candidate, "--compare", baseline, "--html", html, "--markdown", md});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // python3's html.parser: plotted points, scripts, external references, the sections.
  RunResult check = testing::Run(
      {"python3", std::string(BENCHLAB_SOURCE_DIR) + "/tests/e2e/python/report_check.py", html});
  ASSERT_EQ(check.exit_code, 0) << check.output;
  auto doc = nlohmann::json::parse(check.output, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << check.output;
  EXPECT_EQ(doc["points"], 3) << "one point per run";
  EXPECT_EQ(doc["charts"], 1);
  EXPECT_EQ(doc["scripts"], 0);
  EXPECT_EQ(doc["external"], nlohmann::json::array()) << check.output;
  EXPECT_TRUE(doc["text"].get<std::string>().find("Compared with job " + baseline) != std::string::npos);
  EXPECT_TRUE(doc["text"].get<std::string>().find(lab_->DeviceId(0, 0)) != std::string::npos);
  const std::string markdown = testing::ReadFile(md);
  EXPECT_TRUE(absl::StrContains(markdown, "### Verdicts against job")) << markdown;
  EXPECT_TRUE(absl::StrContains(markdown, "inconclusive") || absl::StrContains(markdown, "same") ||
              absl::StrContains(markdown, "faster") || absl::StrContains(markdown, "slower"))
      << markdown;
  // An unknown job is the coordinator's NOT_FOUND, and no file is left behind.
  RunResult missing = lab_->Cli({"report", "j999999", "--html", lab_->dir() + "/missing.html"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(testing::ReadFile(lab_->dir() + "/missing.html").empty());
}

}  // namespace
}  // namespace benchlab
