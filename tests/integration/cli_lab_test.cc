// The `benchlab` lab commands as a user runs them: the real benchlab-coordinator binary on
// loopback, a fake agent (cli_fake_agent.h) with two phones over real AgentLink, and the
// real `benchlab` binary, judged by its output and exit code.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/integration/cli_fake_agent.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::testing {
namespace {

using nlohmann::json;

class CliLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_.path() + "/mobilenet.tflite";
    apk_ = dir_.path() + "/benchmark.apk";
    ASSERT_TRUE(WriteFile(model_, "TFL3 fake model bytes"));
    ASSERT_TRUE(WriteFile(apk_, "PK fake apk bytes"));
  }

  // Starts the real coordinator on a port it picks and reads that port from its output.
  // Without `tls_args` it runs --insecure.
  void StartCoordinator(const std::string& tokens = "", const std::vector<std::string>& tls_args = {}) {
    std::vector<std::string> argv = {BinPath("benchlab-coordinator"), "--listen", listen_,
                                     "--data-dir", dir_.path() + "/data"};
    if (tls_args.empty()) argv.push_back("--insecure");
    argv.insert(argv.end(), tls_args.begin(), tls_args.end());
    if (!tokens.empty()) {
      std::string path = dir_.path() + "/tokens";
      ASSERT_TRUE(WriteFile(path, tokens));
      argv.insert(argv.end(), {"--tokens-file", path});
    }
    SpawnOptions options;
    options.log_path = absl::StrCat(dir_.path(), "/coordinator-", ++coordinator_starts_, ".log");
    auto child = Subprocess::Spawn(argv, options);
    ASSERT_TRUE(child.ok()) << child.status();
    coordinator_ = std::move(*child);
    // The coordinator prints "listening on port N" once it serves; its log is the only
    // signal there is, so poll it briefly.
    absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (absl::Now() < deadline && address_.empty()) {
      std::string out = coordinator_->Output();
      if (size_t at = out.find("listening on port "); at != std::string::npos) {
        size_t end = out.find('\n', at);
        if (end != std::string::npos) {
          int port = 0;
          ASSERT_TRUE(absl::SimpleAtoi(out.substr(at + 18, end - at - 18), &port)) << out;
          address_ = absl::StrCat("127.0.0.1:", port);
        }
      }
      if (address_.empty()) {
        ASSERT_TRUE(coordinator_->Running()) << coordinator_->Output();
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
    ASSERT_FALSE(address_.empty()) << coordinator_->Output();
  }

  void StartAgent(CliFakeAgentOptions options = {}) {
    agent_ = CliFakeAgent::Connect(address_, std::move(options));
    ASSERT_NE(agent_, nullptr) << "fake agent could not connect; coordinator log:\n" << coordinator_->Output();
  }

  RunResult Cli(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {BinPath("benchlab")};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.env = std::move(env);
    if (!options.env.contains("BENCHLAB_COORDINATOR")) options.env["BENCHLAB_COORDINATOR"] = address_;
    options.env.emplace("BENCHLAB_TOKEN", "");
    return ::benchlab::testing::Run(argv, options, absl::Seconds(30));
  }

  // `benchlab run` with --repeat N on every phone; returns the JSON results.
  json RunJson(int repeat, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", model_, "--apk", apk_, "--repeat", absl::StrCat(repeat), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  }

  TempDir dir_;
  std::string listen_ = "127.0.0.1:0";  // a restart reuses the port it got
  int coordinator_starts_ = 0;
  std::string model_, apk_;
  std::unique_ptr<Subprocess> coordinator_;
  std::string address_;
  std::unique_ptr<CliFakeAgent> agent_;
};

// Lines of `text` that contain `needle`.
int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) n += absl::StrContains(line, needle);
  return n;
}

TEST_F(CliLabTest, DevicesAndAgentsListTheFakeAgentsPhones) {
  StartCoordinator();
  StartAgent();
  RunResult devices = Cli({"devices"});
  EXPECT_EQ(devices.exit_code, 0) << devices.output;
  EXPECT_TRUE(absl::StrContains(devices.output, "DEVICE")) << devices.output;
  EXPECT_EQ(CountLines(devices.output, "Pixel 7"), 2) << devices.output;
  EXPECT_TRUE(absl::StrContains(devices.output, "host1/SER1")) << devices.output;
  EXPECT_TRUE(absl::StrContains(devices.output, "host1/SER2")) << devices.output;
  EXPECT_TRUE(absl::StrContains(devices.output, "87%")) << devices.output;

  RunResult idle = Cli({"devices", "--state", "idle", "--agent", "host1"});
  EXPECT_EQ(CountLines(idle.output, "host1/SER"), 2) << idle.output;
  RunResult offline = Cli({"devices", "--state", "offline"});
  EXPECT_TRUE(absl::StrContains(offline.output, "no devices")) << offline.output;

  RunResult agents = Cli({"agents", "--json"});
  ASSERT_EQ(agents.exit_code, 0) << agents.output;
  json j = json::parse(agents.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << agents.output;
  ASSERT_EQ(j["agents"].size(), 1u);
  EXPECT_EQ(j["agents"][0]["agent_id"], "host1");
  EXPECT_EQ(j["agents"][0]["device_count"], 2);
}

TEST_F(CliLabTest, RunWithRepeatTwoOnTwoPhonesEndsWithFourRunResults) {
  StartCoordinator();
  StartAgent();
  RunResult r = Cli({"run", model_, "--apk", apk_, "--repeat", "2", "--threads", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "uploaded: " + model_)) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "submitted job j000001: 4 runs on 2 devices")) << r.output;
  // Live progress: each run reaches done (with its metrics on that line).
  EXPECT_EQ(CountLines(r.output, "  done  avg_us="), 4) << r.output;
  // The results table: one row per run, after the "Runs:" heading (up to the next table:
  // conditions and provenance list the runs again).
  std::string runs = r.output.substr(r.output.find("Runs:"));
  runs = runs.substr(0, runs.find("\n\n"));
  for (const char* id : {"j000001.0.0", "j000001.0.1", "j000001.1.0", "j000001.1.1"}) {
    EXPECT_EQ(CountLines(runs, id), 1) << id << "\n" << r.output;
  }
  EXPECT_EQ(CountLines(runs, " done "), 4) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "peak_memory_mb")) << r.output;
  EXPECT_EQ(agent_->assignments(), 4);

  // The same bytes again: the coordinator already has them.
  RunResult again = Cli({"run", model_, "--apk", apk_, "--detach"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "already on the coordinator: " + model_)) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "submitted job j000002")) << again.output;
}

TEST_F(CliLabTest, RunJsonIsOneDocumentWithProtoFieldNames) {
  StartCoordinator();
  StartAgent();
  json j = RunJson(2, {"--devices", "host1/SER1", "--flag", "--num_threads=2", "--flag", "--max_secs=5"});
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["job"]["job_id"], "j000001");
  EXPECT_EQ(j["job"]["runs_done"], 2);
  EXPECT_EQ(j["job"]["spec"]["flags"]["num_threads"], 2);
  EXPECT_EQ(j["job"]["spec"]["flags"]["max_secs"], 5);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["device_id"], "host1/SER1");
  EXPECT_EQ(j["runs"][0]["state"], "RUN_STATE_DONE");
  EXPECT_EQ(j["runs"][0]["metrics"]["avg_us"], 1000);
  EXPECT_EQ(j["runs"][0]["metrics"]["peak_memory_mb"], 20.5);
  ASSERT_EQ(j["devices"].size(), 1u);
  EXPECT_TRUE(j["devices"][0].contains("aggregates"));
}

// 1,002 runs are more than one GetResults page (1,000 runs): `run --json`, `results` and
// `job` read every page and show every run once, in order, as one document.
TEST_F(CliLabTest, ResultsOfMoreRunsThanOnePageAreAllShownOnce) {
  StartCoordinator();
  StartAgent();
  json run = RunJson(501);
  ASSERT_FALSE(run.is_discarded());
  ASSERT_EQ(run["runs"].size(), 1002u);
  EXPECT_EQ(run["devices"].size(), 2u);
  EXPECT_EQ(run.value("next_page_token", ""), "");  // read as one unpaged response
  for (size_t i = 0; i < 1002; ++i) {
    EXPECT_EQ(run["runs"][i]["run_id"], absl::StrCat("j000001.", i / 501, ".", i % 501)) << i;
  }
  RunResult csv = Cli({"results", "j000001", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  std::vector<std::string> lines = absl::StrSplit(csv.output, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 1003u);
  RunResult job = Cli({"job", "j000001", "--json"});
  ASSERT_EQ(job.exit_code, 0) << job.output;
  json j = json::parse(job.output, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << job.output;
  EXPECT_EQ(j["runs"].size(), 1002u);
  EXPECT_EQ(j["job"]["runs_done"], 1002);
}

TEST_F(CliLabTest, ResultsCsvHasTheMetricNamesAndOneRowPerRun) {
  StartCoordinator();
  StartAgent();
  ASSERT_FALSE(RunJson(2).is_discarded());
  RunResult r = Cli({"results", "j000001", "--csv"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> lines = absl::StrSplit(r.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << r.output;
  // The metrics, then the run conditions' columns (empty: this fake agent reports none).
  EXPECT_TRUE(absl::StartsWith(
      lines[0],
      "job_id,run_id,device_id,repeat,attempt,state,error_class,count,first_us,curr_us,min_us,max_us,avg_us,"
      "std_us,init_us,first_inference_us,warmup_avg_us,inference_avg_us,memory_init_mb,memory_overall_mb,"
      "peak_memory_mb,before_battery_temp_c,"))
      << lines[0];
  EXPECT_TRUE(absl::EndsWith(lines[1], ",,,,,,,,,,,,,,,,,")) << lines[1];
  EXPECT_TRUE(absl::StartsWith(lines[1], "j000001,j000001.0.0,host1/SER1,0,1,done,,50,1500,1000,900,1200,1000,12,"
                                         "2500,1500,1100,1000,3.5,12.25,20.5"))
      << lines[1];

  RunResult table = Cli({"results", "j000001"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  size_t per_device = table.output.find("Per device");
  size_t runs = table.output.find("Runs:");
  ASSERT_NE(per_device, std::string::npos) << table.output;
  ASSERT_NE(runs, std::string::npos) << table.output;
  // One avg_us aggregate row per device (median of repeats 1000 and 1001).
  EXPECT_EQ(CountLines(table.output.substr(per_device, runs - per_device), " avg_us "), 2) << table.output;
  EXPECT_EQ(CountLines(table.output.substr(per_device, runs - per_device), "1000.5"), 4) << table.output;
}

TEST_F(CliLabTest, FailedRunsEndTheRunWithExitFour) {
  StartCoordinator();
  StartAgent({.fail_serials = {"SER2"}});
  RunResult r = Cli({"run", model_, "--apk", apk_});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "app_crashed")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "fake crash")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "1 failed and 0 cancelled of 2 runs")) << r.output;
}

TEST_F(CliLabTest, UnreachableCoordinatorExitsThree) {
  std::string nowhere = absl::StrCat("127.0.0.1:", FreePort());
  RunResult r = Cli({"devices"}, {{"BENCHLAB_COORDINATOR", nowhere}});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "cannot reach the coordinator at " + nowhere)) << r.output;
  RunResult run = Cli({"run", model_, "--apk", apk_, "--coordinator", nowhere});
  EXPECT_EQ(run.exit_code, 3) << run.output;
}

TEST_F(CliLabTest, PlaintextToARemoteHostIsAUsageError) {
  RunResult r = Cli({"devices", "--coordinator", "192.0.2.10:7443"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "--tls-ca")) << r.output;
}

// Plaintext (and the bearer token in it) goes only to a target whose every address is
// loopback. Each refusal runs in a network namespace of its own (unshare -rn: no network
// but a down loopback), so even a CLI that wrongly dialled could reach nothing beyond
// this machine: it would fail to connect (exit 3) instead of refusing (exit 2).
TEST_F(CliLabTest, PlaintextToATargetThatIsNotAllLoopbackIsRefusedBeforeConnecting) {
  if (::benchlab::testing::Run({"unshare", "-rn", "true"}).exit_code != 0) GTEST_SKIP() << "no unprivileged network namespaces here";
  for (const char* target : {"ipv4:127.0.0.1:1,192.0.2.2:7443", "127.x.example:7443", "192.0.2.2:7443",
                             "[::ffff:192.0.2.2]:7443", "dns://192.0.2.53/localhost:7443", "xds:///lab"}) {
    RunResult r = ::benchlab::testing::Run({"unshare", "-rn", BinPath("benchlab"), "devices", "--coordinator", target, "--token", "secret"},
                      {}, absl::Seconds(30));
    EXPECT_EQ(r.exit_code, 2) << target << ": " << r.output;
    EXPECT_TRUE(absl::StrContains(r.output, "--tls-ca")) << target << ": " << r.output;
    EXPECT_TRUE(absl::StrContains(r.output, "not a loopback address")) << target << ": " << r.output;
  }
}

// localhost is a name, decided by what it resolves to (/etc/hosts: loopback).
TEST_F(CliLabTest, LocalhostResolvesToLoopbackAndIsAccepted) {
  StartCoordinator();
  StartAgent();
  std::string port = address_.substr(address_.rfind(':') + 1);
  RunResult r = Cli({"devices"}, {{"BENCHLAB_COORDINATOR", "localhost:" + port}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountLines(r.output, "Pixel 7"), 2) << r.output;
  RunResult list = Cli({"devices"}, {{"BENCHLAB_COORDINATOR", absl::StrCat("ipv4:127.0.0.1:", port, ",127.0.0.1:", port)}});
  EXPECT_EQ(list.exit_code, 0) << list.output;
}

// Escape sequences and NUL from a phone's properties, an agent's host name, error
// messages, raw log and logcat lines, and a job description: every table and line shows
// them escaped.
TEST_F(CliLabTest, TextFromPhonesAgentsAndJobsIsShownEscaped) {
  const std::string hostile = std::string("\x1b[2J\x1b]0;owned\x07|nul:") + std::string(1, '\0') + "|\xc2\x9b" "31m";
  StartCoordinator();
  CliFakeAgentOptions options;
  options.hostile_text = hostile;
  options.fail_serials = {"SER2"};
  StartAgent(options);
  auto clean = [](const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << what << " printed ESC raw:\n" << r.output;
    EXPECT_EQ(r.output.find('\x07'), std::string::npos) << what << " printed BEL raw:\n" << r.output;
    EXPECT_EQ(r.output.find('\0'), std::string::npos) << what << " printed NUL raw:\n" << r.output;
    EXPECT_EQ(r.output.find("\xc2\x9b"), std::string::npos) << what << " printed a C1 CSI raw:\n" << r.output;
  };
  // A description comes through argv, which ends at the NUL: its part before it.
  auto shown = [](const RunResult& r, const std::string& what) {
    EXPECT_TRUE(absl::StrContains(r.output, "\\x1b[2J\\x1b]0;owned\\x07|nul:"))
        << what << " does not show the text escaped:\n" << r.output;
  };
  auto shown_whole = [](const RunResult& r, const std::string& what) {
    EXPECT_TRUE(absl::StrContains(r.output, "\\x1b[2J\\x1b]0;owned\\x07|nul:\\x00|\\u009b31m"))
        << what << " does not show the text escaped:\n" << r.output;
  };
  RunResult run = Cli({"run", model_, "--apk", apk_, "--description", "desc " + hostile});
  EXPECT_EQ(run.exit_code, 4) << run.output;  // SER2 fails
  clean(run, "run");
  shown_whole(run, "run");
  RunResult jobs = Cli({"jobs", "--json"});
  json j = json::parse(jobs.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << jobs.output;
  ASSERT_EQ(j["jobs"].size(), 1u);
  const std::string job_id = j["jobs"][0]["job_id"];
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"devices"}, {"agents"}, {"jobs"}, {"job", job_id},
                                             {"results", job_id, "--raw-log"}, {"results", job_id, "--csv"}}) {
    RunResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.output;
    clean(r, args[0]);
    if (args.back() == "--csv") continue;  // ids, states and numbers only
    if (args[0] == "jobs" || args[0] == "job") {
      shown(r, args[0]);  // the description
    } else {
      shown_whole(r, args[0]);
    }
  }
  RunResult logs = Cli({"logs", "host1/SER1", "--last", "5"});
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  clean(logs, "logs");
  shown_whole(logs, "logs");
}

// A job description is bounded: a long one is refused with a message saying the limit,
// and nothing is submitted.
TEST_F(CliLabTest, OversizedDescriptionIsRefused) {
  StartCoordinator();
  StartAgent();
  RunResult r = Cli({"run", model_, "--apk", apk_, "--description", std::string(100000, 'd')});
  EXPECT_EQ(r.exit_code, 5) << r.output.substr(0, 2000);
  EXPECT_TRUE(absl::StrContains(r.output, "description is 100000 bytes; at most 4096")) << r.output.substr(0, 2000);
  EXPECT_EQ(agent_->assignments(), 0);
  RunResult jobs = Cli({"jobs"});
  EXPECT_EQ(jobs.exit_code, 0) << jobs.output;
  EXPECT_TRUE(absl::StrContains(jobs.output, "no jobs")) << jobs.output;
}

// Metrics that cannot be true (NaN, below zero) are not stored as a result: the run ends
// FAILED with a message naming the field, and the agent's event is acknowledged.
TEST_F(CliLabTest, ImpossibleMetricsEndTheRunFailed) {
  StartCoordinator();
  CliFakeAgentOptions options;
  options.serials = {"SER1"};
  options.impossible_metrics = true;
  StartAgent(options);
  RunResult run = Cli({"run", model_, "--apk", apk_, "--json"});
  EXPECT_EQ(run.exit_code, 4) << run.output;
  json j = json::parse(run.output.substr(0, run.output.find('\n')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.output;
  ASSERT_EQ(j["runs"].size(), 1u) << run.output;
  EXPECT_EQ(j["runs"][0]["state"], "RUN_STATE_FAILED") << run.output;
  EXPECT_TRUE(absl::StrContains(j["runs"][0]["error_message"].get<std::string>(), "cannot be true")) << run.output;
  EXPECT_FALSE(j["runs"][0].contains("metrics") && j["runs"][0]["metrics"].contains("avg_us")) << run.output;
  // The agent is still served: a later job on the same phone runs.
  RunResult again = Cli({"devices"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(CountLines(again.output, "host1/SER1"), 1) << again.output;
}

TEST_F(CliLabTest, BadTokenAndTooLowRoleAreRefusedWithExitFive) {
  StartCoordinator("t-read read bob\nt-submit submit alice\n");
  StartAgent();
  RunResult bad = Cli({"devices", "--token", "t-wrong"});
  EXPECT_EQ(bad.exit_code, 5) << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output, "refused the credentials: unknown bearer token")) << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output, "--token")) << bad.output;

  RunResult missing = Cli({"devices"});
  EXPECT_EQ(missing.exit_code, 5) << missing.output;

  RunResult good = Cli({"devices"}, {{"BENCHLAB_TOKEN", "t-read"}});
  EXPECT_EQ(good.exit_code, 0) << good.output;

  RunResult weak = Cli({"run", model_, "--apk", apk_, "--token", "t-read"});
  EXPECT_EQ(weak.exit_code, 5) << weak.output;
  EXPECT_TRUE(absl::StrContains(weak.output, "not allowed")) << weak.output;
  EXPECT_EQ(agent_->assignments(), 0);
}

// The CLI parses --flag with common/flags, the coordinator's own rules: a hostile value is a
// usage error before anything is uploaded (the coordinator refuses it too, for any client).
TEST_F(CliLabTest, HostileFlagIsRefusedAndNothingIsScheduled) {
  StartCoordinator();
  StartAgent();
  RunResult r = Cli({"run", model_, "--apk", apk_, "--flag", "--foo=$(reboot)"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "value may hold only letters, digits")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "submitted job")) << r.output;

  RunResult malformed = Cli({"run", model_, "--apk", apk_, "--flag", "num_threads"});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.output;
  EXPECT_TRUE(absl::StrContains(malformed.output, "--name=value")) << malformed.output;

  RunResult nowhere = Cli({"run", model_, "--apk", apk_, "--devices", "agent:host9,soc=Tensor G2"});
  EXPECT_EQ(nowhere.exit_code, 1) << nowhere.output;
  EXPECT_TRUE(absl::StrContains(nowhere.output, "matches no known device")) << nowhere.output;

  RunResult jobs = Cli({"jobs", "--json"});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.output;
  json j = json::parse(jobs.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << jobs.output;
  EXPECT_TRUE(j["jobs"].empty()) << jobs.output;
  EXPECT_EQ(agent_->assignments(), 0);
}

TEST_F(CliLabTest, CompareOfTwoJobsPrintsTheChangeAndTheVerdict) {
  StartCoordinator();
  StartAgent();
  ASSERT_FALSE(RunJson(6).is_discarded());  // j000001: avg_us ~1000
  agent_->set_avg_us(800);
  ASSERT_FALSE(RunJson(6).is_discarded());  // j000002: avg_us ~800
  RunResult r = Cli({"compare", "j000001", "j000002", "--metric", "avg_us"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountLines(r.output, "-20.0%"), 2) << r.output;  // both phones
  // 6 vs 6 repeats without overlap: p = 0.0022, Holm over 2 phones 0.0043 < 0.01.
  EXPECT_EQ(CountLines(r.output, "faster"), 2) << r.output;
  EXPECT_EQ(Cli({"compare", "j000001", "j000002", "--fail-on", "faster"}).exit_code, 6);
  EXPECT_EQ(Cli({"compare", "j000001", "j000002", "--fail-on", "slower"}).exit_code, 0);

  RunResult j = Cli({"compare", "j000001", "j000002", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.output;
  json doc = json::parse(j.output, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << j.output;
  ASSERT_EQ(doc["devices"].size(), 2u);
  ASSERT_EQ(doc["devices"][0]["metrics"].size(), 1u) << "the primary metric only: " << j.output;
  const auto& m = doc["devices"][0]["metrics"][0];
  EXPECT_EQ(m["metric"], "inference_avg_us");
  EXPECT_NEAR(m["change_pct"].get<double>(), -20.0, 0.01);
  EXPECT_NEAR(m["shift_pct"].get<double>(), -20.0, 0.05);
  EXPECT_EQ(m["verdict"], "faster");
  EXPECT_EQ(m["significant"], true) << "the old field still works";
  EXPECT_EQ(m["baseline"]["n"], 6);

  RunResult jobs = Cli({"jobs"});
  ASSERT_EQ(jobs.exit_code, 0) << jobs.output;
  EXPECT_LT(jobs.output.find("j000002"), jobs.output.find("j000001")) << jobs.output;  // newest first

  RunResult unknown = Cli({"compare", "j000001", "j999999"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
}

TEST_F(CliLabTest, LogsFollowShowsTheLinesTheAgentStreams) {
  StartCoordinator();
  StartAgent();
  SpawnOptions options;
  options.env["BENCHLAB_COORDINATOR"] = address_;
  options.log_path = dir_.path() + "/logs.out";
  auto follow = Subprocess::Spawn({BinPath("benchlab"), "logs", "host1/SER1", "--follow", "--tag", "FakeTag"}, options);
  ASSERT_TRUE(follow.ok()) << follow.status();
  // The coordinator asks the agent for the phone's logcat first.
  ASSERT_TRUE(agent_->WaitForLogSubscription("SER1", absl::Seconds(10)));
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline && CountLines((*follow)->Output(), "fake log line") < 3) {
    ASSERT_TRUE((*follow)->Running()) << (*follow)->Output();
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::string out = (*follow)->Output();
  EXPECT_GE(CountLines(out, "I FakeTag: fake log line"), 3) << out;
  EXPECT_EQ(CountLines(out, "OtherTag"), 0) << out;  // --tag filters on the coordinator
  EXPECT_TRUE(absl::StrContains(out, " 4242  4243 I ")) << out;

  // Without --follow: the last lines the coordinator buffered, then exit.
  RunResult last = Cli({"logs", "host1/SER1", "--last", "3", "--grep", "from SER1$"});
  EXPECT_EQ(last.exit_code, 0) << last.output;
  EXPECT_EQ(CountLines(last.output, "fake log line"), 3) << last.output;

  (*follow)->Signal(SIGTERM);
  EXPECT_TRUE((*follow)->Wait(absl::Seconds(10)).ok());

  RunResult unknown = Cli({"logs", "host1/NOPE"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  RunResult bad_re = Cli({"logs", "host1/SER1", "--grep", "("});
  EXPECT_EQ(bad_re.exit_code, 5) << bad_re.output;
}

TEST_F(CliLabTest, CancelMarksTheJobCancelled) {
  StartCoordinator();
  StartAgent({.hold_runs = true});
  RunResult submitted = Cli({"run", model_, "--apk", apk_, "--repeat", "2", "--detach", "--json"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  json s = json::parse(submitted.output, nullptr, false);
  ASSERT_FALSE(s.is_discarded()) << submitted.output;
  std::string job_id = s["job"]["job_id"];
  EXPECT_EQ(s["job"]["runs_total"], 4);

  RunResult cancel = Cli({"cancel", job_id});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_TRUE(absl::StrContains(cancel.output, "job " + job_id + " cancelled")) << cancel.output;
  EXPECT_TRUE(absl::StrContains(cancel.output, "4 cancelled")) << cancel.output;

  RunResult job = Cli({"job", job_id, "--json"});
  ASSERT_EQ(job.exit_code, 0) << job.output;
  json j = json::parse(job.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << job.output;
  EXPECT_EQ(j["job"]["cancelled"], true);
  ASSERT_EQ(j["runs"].size(), 4u);
  for (const auto& run : j["runs"]) EXPECT_EQ(run["state"], "RUN_STATE_CANCELLED");

  RunResult table = Cli({"job", job_id});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(CountLines(table.output, "cancelled"), 5) << table.output;  // summary + 4 runs
}

// Seen: runs queued on an offline phone waited forever, and --devices picked offline
// phones without a word.
TEST_F(CliLabTest, RunSkipsOfflinePhonesUnlessIncludedAndSaysHowLongTheirRunsWait) {
  StartCoordinator();
  StartAgent({.serials = {"SER1", "SER2", "SER3", "SER4"}, .offline_serials = {"SER3", "SER4"}});
  RunResult skipped = Cli({"run", model_, "--apk", apk_});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.output;
  EXPECT_TRUE(absl::StrContains(skipped.output, "submitted job j000001: 2 runs on 2 devices")) << skipped.output;
  EXPECT_FALSE(absl::StrContains(skipped.output, "offline")) << skipped.output;

  RunResult kept = Cli({"run", model_, "--apk", apk_, "--include-offline", "--detach"});
  ASSERT_EQ(kept.exit_code, 0) << kept.output;
  EXPECT_TRUE(absl::StrContains(kept.output, "2 of 4 phones are offline (host1/SER3, host1/SER4); their runs "
                                             "wait up to 30 min"))
      << kept.output;
  RunResult short_wait =
      Cli({"run", model_, "--apk", apk_, "--include-offline", "--queue-timeout", "1", "--devices", "SER3"});
  EXPECT_EQ(short_wait.exit_code, 4) << short_wait.output;
  EXPECT_TRUE(absl::StrContains(short_wait.output, "their runs wait up to 1 s")) << short_wait.output;
  EXPECT_TRUE(absl::StrContains(short_wait.output, "queue_timed_out")) << short_wait.output;

  RunResult none = Cli({"run", model_, "--apk", apk_, "--devices", "SER3,SER4"});
  EXPECT_EQ(none.exit_code, 1) << none.output;
  EXPECT_TRUE(absl::StrContains(none.output, "no online device")) << none.output;
}

// Seen: cancelling a finished job marked it cancelled.
TEST_F(CliLabTest, CancellingAFinishedJobSaysNothingToCancel) {
  StartCoordinator();
  StartAgent();
  RunResult r = Cli({"run", model_, "--apk", apk_});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  RunResult cancel = Cli({"cancel", "j000001"});
  EXPECT_EQ(cancel.exit_code, 1) << cancel.output;
  EXPECT_TRUE(absl::StrContains(cancel.output, "nothing to cancel")) << cancel.output;
  RunResult job = Cli({"job", "j000001", "--json"});
  json j = json::parse(job.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << job.output;
  EXPECT_EQ(j["job"]["cancelled"], false);
  EXPECT_EQ(j["job"]["runs_done"], 2);
}

TEST_F(CliLabTest, RunKeepsFollowingAcrossACoordinatorRestart) {
  StartCoordinator();
  StartAgent({.hold_runs = true});
  SpawnOptions options;
  options.env["BENCHLAB_COORDINATOR"] = address_;
  options.log_path = dir_.path() + "/run.out";
  auto run = Subprocess::Spawn({BinPath("benchlab"), "run", model_, "--apk", apk_, "--retries", "1"}, options);
  ASSERT_TRUE(run.ok()) << run.status();
  // Both runs are on the phones and `run` is following them.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline && CountLines((*run)->Output(), "  assigned") < 2) {
    ASSERT_TRUE((*run)->Running()) << (*run)->Output();
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(CountLines((*run)->Output(), "  assigned"), 2) << (*run)->Output();

  // The coordinator stops (its phones' host with it) and comes back on the same port.
  agent_.reset();
  coordinator_->Signal(SIGTERM);
  ASSERT_TRUE(coordinator_->Wait(absl::Seconds(10)).ok());
  listen_ = address_;
  address_.clear();
  StartCoordinator();
  StartAgent();  // finishes the retried runs at once

  absl::StatusOr<int> exit = (*run)->Wait(absl::Seconds(60));
  ASSERT_TRUE(exit.ok()) << (*run)->Output();
  std::string out = (*run)->Output();
  EXPECT_EQ(*exit, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "lost the coordinator")) << out;
  EXPECT_EQ(CountLines(out, "  done  attempt=2  avg_us=1000"), 2) << out;  // retried after device_lost
  EXPECT_TRUE(absl::StrContains(out, "2 done, 0 failed")) << out;
}

void Openssl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  SpawnOptions o;
  o.cwd = dir;
  RunResult r = Run(args, o, absl::Seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with the
// openssl CLI at test time (as coordinator_tls_test.cc does; no key is committed).
void MakeCerts(const std::string& dir) {
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
  auto req = [&](std::vector<std::string> tail) {
    std::vector<std::string> a = {"req"};
    a.insert(a.end(), ec.begin(), ec.end());
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
  };
  Openssl(dir, req({"-x509", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=benchlab-test-ca"}));
  ASSERT_TRUE(WriteFile(dir + "/server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"));
  for (const std::string name : {"server", "client"}) {
    Openssl(dir, req({"-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name}));
    std::vector<std::string> sign = {"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                                     "-CAcreateserial", "-out", name + ".pem", "-days", "1"};
    if (name == "server") sign.insert(sign.end(), {"-extfile", "server.ext"});
    Openssl(dir, sign);
  }
}

TEST_F(CliLabTest, TlsCoordinatorIsReachedWithItsCaAndAToken) {
  const std::string& d = dir_.path();
  MakeCerts(d);
  StartCoordinator("t-admin admin alice\n", {"--tls-cert", d + "/server.pem", "--tls-key", d + "/server.key",
                                             "--client-ca", d + "/ca.pem"});
  std::map<std::string, std::string> env = {{"BENCHLAB_TOKEN", "t-admin"}};
  RunResult tls = Cli({"devices", "--tls-ca", d + "/ca.pem"}, env);
  EXPECT_EQ(tls.exit_code, 0) << tls.output;
  EXPECT_TRUE(absl::StrContains(tls.output, "no devices")) << tls.output;

  RunResult mtls = Cli({"jobs", "--tls-ca", d + "/ca.pem", "--tls-cert", d + "/client.pem", "--tls-key",
                        d + "/client.key"}, env);
  EXPECT_EQ(mtls.exit_code, 0) << mtls.output;

  // The name checked against the certificate can differ from the address dialled.
  RunResult named = Cli({"devices", "--tls-ca", d + "/ca.pem", "--tls-server-name", "localhost"}, env);
  EXPECT_EQ(named.exit_code, 0) << named.output;
  RunResult misnamed = Cli({"devices", "--tls-ca", d + "/ca.pem", "--tls-server-name", "other.example"}, env);
  EXPECT_EQ(misnamed.exit_code, 3) << misnamed.output;

  // Plaintext to a TLS port never gets an answer it can read: unreachable.
  RunResult plain = Cli({"devices"}, env);
  EXPECT_EQ(plain.exit_code, 3) << plain.output;

  RunResult missing_ca = Cli({"devices", "--tls-ca", d + "/nope.pem"}, env);
  EXPECT_EQ(missing_ca.exit_code, 2) << missing_ca.output;
}

}  // namespace
}  // namespace benchlab::testing
