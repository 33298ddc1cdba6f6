// The lab as a person uses it: the built `benchlab` CLI against real processes.
// LabCliE2eTest: a loopback lab (run across hosts, logs --follow, compare, refusals).
// LabConditionsE2eTest: each run's conditions (before/after) in results/job/devices.
// SecureLabE2eTest: a coordinator with TLS, an agent with a client certificate, bearer
// tokens with roles, and an artifact size limit; every refusal is proven.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/support/devsim_lab.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;
using testing::Subprocess;

// Waits until `path` (a process's log) contains `needle`.
bool WaitForText(const std::string& path, const std::string& needle, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (absl::StrContains(testing::ReadFile(path), needle)) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

class LabCliE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = LabCluster::Start({.hosts = 2, .phones_per_host = 1});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
  }
  RunResult Run(std::vector<std::string> args) {
    return lab_->Cli(args);
  }
  std::unique_ptr<LabCluster> lab_;
};

TEST_F(LabCliE2eTest, RunAcrossHostsFollowsProgressAndPrintsTheAggregates) {
  RunResult r = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--repeat", "2",
                     "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "4 done, 0 failed")) << r.output;
  for (int h = 0; h < 2; ++h) {
    EXPECT_TRUE(absl::StrContains(r.output, lab_->DeviceId(h, 0))) << r.output;
  }
  EXPECT_TRUE(absl::StrContains(r.output, "running")) << "live progress: " << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "avg_us")) << r.output;
}

TEST_F(LabCliE2eTest, LogsFollowShowsARunsLinesLive) {
  const std::string log = lab_->dir() + "/logs-follow.out";
  testing::SpawnOptions spawn;
  spawn.env["BENCHLAB_COORDINATOR"] = lab_->address();
  spawn.log_path = log;
  auto follow = Subprocess::Spawn({testing::BinPath("benchlab"), "logs", lab_->DeviceId(0, 0),
                                   "--follow", "--tag", "tflite"},
                                  spawn);
  ASSERT_TRUE(follow.ok());
  absl::SleepFor(absl::Milliseconds(500));  // the subscription reaches the agent
  RunResult r = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--devices",
                     lab_->DeviceId(0, 0), "--detach"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(WaitForText(log, "Inference timings in us", absl::Seconds(30)))
      << testing::ReadFile(log);
  EXPECT_TRUE((*follow)->Running()) << "--follow keeps following";
  (*follow)->Signal(SIGINT);
}

TEST_F(LabCliE2eTest, LogsShowsWhatThePhoneLoggedBeforeAnyoneStreamedIt) {
  // Nobody subscribes while this run happens: the coordinator has none of its lines.
  RunResult run = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--devices",
                       lab_->DeviceId(1, 0)});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const absl::Time start = absl::Now();
  RunResult logs = Run({"logs", lab_->DeviceId(1, 0), "--tag", "tflite", "--last", "3"});
  ASSERT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "ends by itself without --follow";
  EXPECT_TRUE(absl::StrContains(logs.output, "Memory footprint delta")) << logs.output;
  EXPECT_FALSE(absl::StrContains(logs.output, "Num threads")) << "only the newest 3: " << logs.output;
  std::vector<std::string> lines = absl::StrSplit(logs.output, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 3u) << logs.output;
}

TEST_F(LabCliE2eTest, CompareTwoJobsShowsTheChangePerDevice) {
  RunResult a = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--repeat", "3",
                     "--threads", "1", "--json"});
  ASSERT_EQ(a.exit_code, 0) << a.output;
  RunResult b = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--repeat", "3",
                     "--threads", "4", "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.output;
  RunResult jobs = Run({"jobs"});
  ASSERT_EQ(jobs.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(jobs.output, "j000001")) << jobs.output;
  RunResult cmp = Run({"compare", "j000001", "j000002"});
  ASSERT_EQ(cmp.exit_code, 0) << cmp.output;
  EXPECT_TRUE(absl::StrContains(cmp.output, lab_->DeviceId(0, 0))) << cmp.output;
  EXPECT_TRUE(absl::StrContains(cmp.output, "avg_us")) << cmp.output;
  EXPECT_TRUE(absl::StrContains(cmp.output, "%")) << cmp.output;
}

// Short runs (a few timed iterations) so the phones barely heat: back-to-back jobs then
// differ only by devsim's run-to-run noise, and a hot phone is the only slowdown.
std::vector<std::string> QuietRun(LabCluster& lab, int repeats) {
  return {"run", lab.model_path(), "--apk", lab.apk_path(), "--repeat", absl::StrCat(repeats),
          "--flag", "--num_runs=5", "--flag", "--min_secs=0.01", "--flag", "--warmup_runs=1",
          "--flag", "--warmup_min_secs=0.01", "--json"};
}

TEST_F(LabCliE2eTest, CompareVerdictsAnAPairAndFailsOnAHotPhone) {
  // A/A: the same model, APK and flags twice. Never `slower` (or `faster`), so
  // --fail-on slower passes; each phone is `same` or `inconclusive`.
  for (int job = 0; job < 2; ++job) {
    RunResult r = Run(QuietRun(*lab_, 6));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  RunResult aa = Run({"compare", "j000001", "j000002", "--fail-on", "slower"});
  EXPECT_EQ(aa.exit_code, 0) << aa.output;
  for (int h = 0; h < 2; ++h) EXPECT_TRUE(absl::StrContains(aa.output, lab_->DeviceId(h, 0))) << aa.output;
  EXPECT_FALSE(absl::StrContains(aa.output, "slower") || absl::StrContains(aa.output, "faster")) << aa.output;
  EXPECT_TRUE(absl::StrContains(aa.output, "inference_avg_us")) << aa.output;
  EXPECT_FALSE(absl::StrContains(aa.output, " avg_us")) << "avg_us duplicates it: " << aa.output;
  EXPECT_FALSE(absl::StrContains(aa.output, "warning:")) << "same spec: " << aa.output;
  RunResult aa_json = Run({"compare", "j000001", "j000002", "--json"});
  ASSERT_EQ(aa_json.exit_code, 0) << aa_json.output;
  EXPECT_FALSE(absl::StrContains(aa_json.output, "\"verdict\":\"slower\"")) << aa_json.output;
  EXPECT_FALSE(absl::StrContains(aa_json.output, "\"verdict\":\"faster\"")) << aa_json.output;
  EXPECT_TRUE(absl::StrContains(aa_json.output, "\"verdict\":\"same\"") ||
              absl::StrContains(aa_json.output, "\"verdict\":\"inconclusive\""))
      << aa_json.output;

  // The candidate on hot phones: 45 °C throttles devsim's CPU (3 % per °C above 35),
  // cooling back with a 60 s time constant, so every run of the job is >= 15 % slower.
  for (int h = 0; h < 2; ++h) ASSERT_TRUE(lab_->host(h).Control("temp 0 45").ok());
  RunResult hot = Run(QuietRun(*lab_, 6));
  ASSERT_EQ(hot.exit_code, 0) << hot.output;
  RunResult cmp = Run({"compare", "j000001", "j000003", "--fail-on", "slower"});
  EXPECT_EQ(cmp.exit_code, 6) << cmp.output;
  EXPECT_TRUE(absl::StrContains(cmp.output, "slower")) << cmp.output;
  EXPECT_TRUE(absl::StrContains(cmp.output, "--fail-on slower")) << cmp.output;
  EXPECT_TRUE(absl::StrContains(cmp.output, "started its runs at another temperature")) << cmp.output;
  RunResult json = Run({"compare", "j000001", "j000003", "--json", "--fail-on", "slower"});
  EXPECT_EQ(json.exit_code, 6) << json.output;
  EXPECT_TRUE(absl::StrContains(json.output, "\"verdict\":\"slower\"")) << json.output;
  // Without --fail-on the same comparison exits 0; an unknown metric is refused.
  EXPECT_EQ(Run({"compare", "j000001", "j000003"}).exit_code, 0);
  RunResult unknown = Run({"compare", "j000001", "j000003", "--metric", "latency"});
  EXPECT_EQ(unknown.exit_code, 5) << unknown.output;
  EXPECT_TRUE(absl::StrContains(unknown.output, "unknown metric")) << unknown.output;
  EXPECT_TRUE(absl::StrContains(unknown.output, "inference_avg_us")) << unknown.output;
}

// One host, one phone whose agent reads the idle phone's conditions every second.
class LabConditionsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = LabCluster::Start(
        {.hosts = 1, .phones_per_host = 1, .agent_extra = {"--conditions-interval", "1"}});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
  }
  RunResult Run(std::vector<std::string> args) { return lab_->Cli(args); }
  std::unique_ptr<LabCluster> lab_;
};

TEST_F(LabConditionsE2eTest, EachRunsConditionsBeforeAndAfterAreInResultsJobAndDevices) {
  // A warm phone: the recorded temperature must be the phone's.
  ASSERT_TRUE(lab_->host(0).Control("temp 0 40.5").ok());
  RunResult run = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--repeat", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.output;

  RunResult json = Run({"results", "j000001", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  nlohmann::json results = nlohmann::json::parse(json.output, nullptr, false);
  ASSERT_FALSE(results.is_discarded()) << json.output;
  ASSERT_EQ(results["runs"].size(), 2u) << json.output;
  for (const auto& r : results["runs"]) {
    for (const char* side : {"before", "after"}) {
      const auto& c = r["conditions"][side];
      ASSERT_TRUE(c.is_object()) << side << " in " << r.dump();
      ASSERT_TRUE(c.contains("battery_temp_c")) << side << ": " << c.dump();
      EXPECT_GT(c["battery_temp_c"].get<double>(), 35.0) << c.dump();
      EXPECT_TRUE(c.contains("battery_level_pct")) << c.dump();
      ASSERT_TRUE(c["thermal_status"].is_string()) << c.dump();
      EXPECT_NE(c["thermal_status"].get<std::string>(), "THERMAL_STATUS_UNSPECIFIED") << c.dump();
      ASSERT_FALSE(c["cpu_clusters"].empty()) << c.dump();
      for (const auto& cluster : c["cpu_clusters"]) {
        ASSERT_TRUE(cluster.contains("cpu_freq_khz")) << cluster.dump();
        EXPECT_GT(cluster["cpu_freq_khz"].get<int>(), 0) << cluster.dump();
      }
      EXPECT_FALSE(c["build_fingerprint"].get<std::string>().empty()) << c.dump();
      EXPECT_GT(c["read_unix_ms"].get<std::string>().size(), 10u) << c.dump();
    }
  }
  EXPECT_NEAR(results["runs"][0]["conditions"]["before"]["battery_temp_c"].get<double>(), 40.5, 1.5)
      << results["runs"][0].dump();

  RunResult csv = Run({"results", "j000001", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_TRUE(absl::StrContains(csv.output, "before_battery_temp_c,before_battery_level_pct")) << csv.output;
  EXPECT_TRUE(absl::StrContains(csv.output, ",40.")) << csv.output;

  RunResult job = Run({"job", "j000001"});
  ASSERT_EQ(job.exit_code, 0) << job.output;
  EXPECT_TRUE(absl::StrContains(job.output, "Conditions (before->after)")) << job.output;
  EXPECT_TRUE(absl::StrContains(job.output, "BIG_CPU_MHZ")) << job.output;

  // The idle phone cooled, then heated: the agent reports each change of the idle
  // phone's conditions within its interval and `devices` shows the thermal status.
  auto thermal_column = [&]() -> std::string {
    RunResult devices = Run({"devices"});
    for (absl::string_view line : absl::StrSplit(devices.output, '\n')) {
      std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
      // DEVICE STATE MODEL SOC ANDROID BATTERY TEMP THERMAL QUEUE
      if (cells.size() == 9 && cells[0] == lab_->DeviceId(0, 0)) return cells[7];
    }
    return "(no row) " + devices.output;
  };
  auto wait_for_thermal = [&](const std::vector<std::string>& words) {
    std::string shown;
    for (absl::Time deadline = absl::Now() + absl::Seconds(20); absl::Now() < deadline;
         absl::SleepFor(absl::Milliseconds(300))) {
      shown = thermal_column();
      for (const std::string& w : words) {
        if (shown == w) return shown;
      }
    }
    return shown;
  };
  ASSERT_TRUE(lab_->host(0).Control("soc-temp 0 25").ok());
  EXPECT_EQ(wait_for_thermal({"none"}), "none");
  ASSERT_TRUE(lab_->host(0).Control("soc-temp 0 80").ok());
  const std::string hot = wait_for_thermal({"moderate", "severe", "critical", "emergency", "shutdown"});
  EXPECT_TRUE(hot == "moderate" || hot == "severe" || hot == "critical" || hot == "emergency" || hot == "shutdown")
      << hot;
}

TEST_F(LabCliE2eTest, HostileFlagsAreRefusedWithAClearError) {
  for (std::string hostile : {"--x=$(reboot)", "--x=`id`", "--x=1;reboot", "--x='1'"}) {
    RunResult r = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--flag", hostile});
    EXPECT_NE(r.exit_code, 0) << hostile;
    EXPECT_TRUE(absl::StrContains(r.output, "only letters, digits") ||
                absl::StrContains(r.output, "may hold only"))
        << hostile << ": " << r.output;
  }
  RunResult jobs = Run({"jobs", "--json"});
  EXPECT_FALSE(absl::StrContains(jobs.output, "job_id")) << "nothing was submitted: " << jobs.output;
}

TEST_F(LabCliE2eTest, CancelStopsAHungRunOnThePhone) {
  ASSERT_TRUE(lab_->host(0).Control("fault 0 hang").ok());
  RunResult submit = Run({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--devices",
                          lab_->DeviceId(0, 0), "--timeout", "120", "--detach"});
  ASSERT_EQ(submit.exit_code, 0) << submit.output;
  // The hung benchmark is running on the phone.
  const std::string serial = lab_->host(0).Serial(0);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool running = false;
  while (!running && absl::Now() < deadline) {
    running = lab_->host(0).adb().Adb({"-s", serial, "shell", "pidof org.tensorflow.lite.benchmark"})
                  .exit_code == 0;
    if (!running) absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(running);
  RunResult cancel = Run({"cancel", "j000001"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  // The agent stops the app promptly, and the run ends cancelled.
  bool stopped = false;
  const absl::Time stop_deadline = absl::Now() + absl::Seconds(15);
  while (!stopped && absl::Now() < stop_deadline) {
    stopped = lab_->host(0).adb().Adb({"-s", serial, "shell", "pidof org.tensorflow.lite.benchmark"})
                  .exit_code != 0;
    if (!stopped) absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(stopped) << "the app was force-stopped";
  RunResult job = Run({"job", "j000001"});
  EXPECT_TRUE(absl::StrContains(job.output, "cancelled")) << job.output;
}

class SecureLabE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::MakeTestCerts(dir_.path(), {"host-secure"}).ok());
    ASSERT_TRUE(testing::WriteFile(dir_.path() + "/tokens",
                                   "t-submit submit ci\nt-read read dashboard\n"));
    port_ = testing::FreePort();
    testing::SpawnOptions spawn;
    spawn.log_path = dir_.path() + "/coordinator.log";
    auto c = Subprocess::Spawn(
        {testing::BinPath("benchlab-coordinator"), "--listen", Address(), "--data-dir",
         dir_.path() + "/data", "--tls-cert", Path("server.pem"), "--tls-key", Path("server.key"),
         "--client-ca", Path("ca.pem"), "--tokens-file", Path("tokens"), "--max-artifact-mb", "8"},
        spawn);
    ASSERT_TRUE(c.ok());
    coordinator_ = std::move(*c);
    ASSERT_TRUE(testing::WaitForPort(port_, absl::Seconds(10)));
    auto host = testing::DevsimLab::Start({.phones = 1, .extra = {}, .log_path = Path("devsim.log")});
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = std::move(*host);
    ASSERT_EQ(testing::Run({testing::BinPath("benchlab-devsim"), "--make-apk", Path("b.apk"),
                            "--make-model", Path("m.tflite"), "--model-mb", "2"})
                  .exit_code,
              0);
  }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string Address() const { return absl::StrCat("127.0.0.1:", port_); }

  absl::StatusOr<std::unique_ptr<Subprocess>> StartAgent(bool with_cert, const std::string& log) {
    std::vector<std::string> argv = {testing::BinPath("benchlab-agent"), "--coordinator", Address(),
                                     "--tls-ca", Path("ca.pem"), "--adb-port",
                                     std::to_string(host_->adb_port()), "--state-dir",
                                     Path("agent-state-" + log)};
    if (with_cert) {
      argv.insert(argv.end(), {"--tls-cert", Path("host-secure.pem"), "--tls-key",
                               Path("host-secure.key")});
    }
    testing::SpawnOptions spawn;
    spawn.log_path = Path(log);
    return Subprocess::Spawn(argv, spawn);
  }

  RunResult Cli(const std::string& token, std::vector<std::string> args) {
    // Connection options belong to each lab command: `benchlab COMMAND ... --tls-ca ...`.
    std::vector<std::string> argv = {testing::BinPath("benchlab")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--coordinator", Address(), "--tls-ca", Path("ca.pem")});
    if (!token.empty()) argv.insert(argv.end(), {"--token", token});
    return testing::Run(argv, {}, absl::Seconds(120));
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> coordinator_;
  std::unique_ptr<testing::DevsimLab> host_;
};

// The documented Python client (tests/e2e/python/lab_client.py) against this TLS
// coordinator with a token; a wrong token is refused as the CLI's is.
TEST_F(SecureLabE2eTest, PythonClientOverTlsWithAToken) {
  auto agent = StartAgent(true, "agent.log");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitForText(Path("agent.log"), "event=connected", absl::Seconds(20)))
      << testing::ReadFile(Path("agent.log"));
  const std::vector<std::string> client = {
      "/usr/bin/python3", std::string(BENCHLAB_SOURCE_DIR) + "/tests/e2e/python/lab_client.py", "--coordinator",
      Address(), "--stubs", std::string(BENCHLAB_BIN_DIR) + "/../python"};
  auto submit = [&](const std::string& token) {
    std::vector<std::string> argv = client;
    argv.insert(argv.end(), {"submit", "--model", Path("m.tflite"), "--apk", Path("b.apk")});
    testing::SpawnOptions env;
    env.env = {{"BENCHLAB_TLS_CA", Path("ca.pem")}, {"BENCHLAB_TOKEN", token}};
    return testing::Run(argv, env, absl::Seconds(120));
  };
  RunResult r = submit("t-submit");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json doc = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.output;
  EXPECT_EQ(doc["runs_done"], 1) << r.output;
  r = submit("t-wrong");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "UNAUTHENTICATED")) << r.output;
}

TEST_F(SecureLabE2eTest, AgentWithCertificateRunsAJobAndEveryRefusalIsClear) {
  auto agent = StartAgent(true, "agent.log");
  ASSERT_TRUE(agent.ok());
  const std::string device = "host-secure/" + host_->Serial(0);
  ASSERT_TRUE(WaitForText(Path("agent.log"), "event=connected", absl::Seconds(20)))
      << testing::ReadFile(Path("agent.log"));

  // The identity is the certificate's CN, and the job runs over mTLS end to end.
  RunResult devices = Cli("t-read", {"devices"});
  ASSERT_EQ(devices.exit_code, 0) << devices.output;
  EXPECT_TRUE(absl::StrContains(devices.output, device)) << devices.output;
  // The same with every connection setting from the environment (no flag repeated).
  testing::SpawnOptions env;
  env.env = {{"BENCHLAB_COORDINATOR", Address()}, {"BENCHLAB_TLS_CA", Path("ca.pem")}, {"BENCHLAB_TOKEN", "t-read"}};
  RunResult from_env = testing::Run({testing::BinPath("benchlab"), "devices"}, env, absl::Seconds(60));
  ASSERT_EQ(from_env.exit_code, 0) << from_env.output;
  EXPECT_TRUE(absl::StrContains(from_env.output, device)) << from_env.output;
  // Or from a config file (--config), with a command-line option before the command.
  ASSERT_TRUE(testing::WriteFile(Path("cli.toml"), absl::StrCat("coordinator = \"", Address(), "\"\ntls-ca = \"",
                                                                Path("ca.pem"), "\"\ntoken = \"t-read\"\n")));
  RunResult from_file = testing::Run({testing::BinPath("benchlab"), "--config", Path("cli.toml"), "devices"}, {},
                                     absl::Seconds(60));
  ASSERT_EQ(from_file.exit_code, 0) << from_file.output;
  EXPECT_TRUE(absl::StrContains(from_file.output, device)) << from_file.output;
  // Connection options before the command work as well as after it.
  RunResult before = testing::Run({testing::BinPath("benchlab"), "--coordinator", Address(), "--tls-ca",
                                   Path("ca.pem"), "--token", "t-read", "devices", "--json"},
                                  {}, absl::Seconds(60));
  ASSERT_EQ(before.exit_code, 0) << before.output;
  EXPECT_TRUE(absl::StrContains(before.output, device)) << before.output;
  RunResult run = Cli("t-submit", {"run", Path("m.tflite"), "--apk", Path("b.apk")});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "1 done")) << run.output;

  // A wrong token, no token, and a token whose role is too low.
  RunResult bad = Cli("t-wrong", {"devices"});
  EXPECT_EQ(bad.exit_code, 5) << bad.output;
  EXPECT_TRUE(absl::StrContains(absl::AsciiStrToLower(bad.output), "token")) << bad.output;
  RunResult none = Cli("", {"devices"});
  EXPECT_EQ(none.exit_code, 5) << none.output;
  RunResult low = Cli("t-read", {"run", Path("m.tflite"), "--apk", Path("b.apk")});
  EXPECT_EQ(low.exit_code, 5) << low.output;
  EXPECT_TRUE(absl::StrContains(low.output, "submit")) << low.output;

  // An upload beyond the coordinator's artifact limit (8 MB).
  testing::Run({testing::BinPath("benchlab-devsim"), "--make-model", Path("big.tflite"),
                "--model-mb", "12"});
  RunResult big = Cli("t-submit", {"run", Path("big.tflite"), "--apk", Path("b.apk")});
  EXPECT_NE(big.exit_code, 0) << big.output;
  EXPECT_TRUE(absl::StrContains(big.output, "limit") || absl::StrContains(big.output, "large"))
      << big.output;

  // Plaintext to the TLS port gets nowhere.
  RunResult plain = testing::Run({testing::BinPath("benchlab"), "devices", "--coordinator",
                                  Address(), "--token", "t-read", "--rpc-timeout", "3"});
  EXPECT_NE(plain.exit_code, 0) << plain.output;
}

TEST_F(SecureLabE2eTest, AgentWithoutClientCertificateIsRefused) {
  auto agent = StartAgent(false, "nocert.log");
  ASSERT_TRUE(agent.ok());
  // Either the agent refuses to dial without a certificate, or the coordinator refuses
  // the handshake; in both cases no phone of it appears and its log says why.
  const absl::Time deadline = absl::Now() + absl::Seconds(8);
  while ((*agent)->Running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(100));
  RunResult devices = Cli("t-read", {"devices"});
  EXPECT_FALSE(absl::StrContains(devices.output, host_->Serial(0))) << devices.output;
  std::string log = testing::ReadFile(Path("nocert.log"));
  EXPECT_TRUE(absl::StrContains(absl::AsciiStrToLower(log), "certificate")) << log;
}

}  // namespace
}  // namespace benchlab
