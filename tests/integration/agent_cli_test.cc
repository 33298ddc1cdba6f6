// The host engineer's commands, run as the built `benchlab-agent` binary against Debian's
// adb server and devsim phones: devices (and hot-plug), bench (JSON, repeats, median),
// and refusals.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/devsim_lab.h"
#include "common/shell_quote.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using testing::DevsimLab;
using testing::RunResult;

class AgentCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = DevsimLab::Start({.phones = 2, .extra = {}, .log_path = dir_.path() + "/devsim.log"});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
    apk_ = dir_.path() + "/benchmark.apk";
    model_ = dir_.path() + "/model.tflite";
    ASSERT_EQ(testing::Run({testing::BinPath("benchlab-devsim"), "--make-apk", apk_,
                            "--make-model", model_})
                  .exit_code,
              0);
  }

  // stdout and stderr together, as a person sees them.
  RunResult Agent(std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::BinPath("benchlab-agent"), "--adb-port",
                                     std::to_string(lab_->adb_port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::Run(argv, {}, absl::Seconds(120));
  }
  // stdout alone (JSON), as a script reads it.
  RunResult AgentStdout(std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::BinPath("benchlab-agent"), "--adb-port",
                                     std::to_string(lab_->adb_port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::Run({"sh", "-c", ShellJoin(argv) + " 2>/dev/null"}, {}, absl::Seconds(120));
  }

  nlohmann::json Devices() {
    RunResult r = AgentStdout({"devices", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

  testing::TempDir dir_;
  std::unique_ptr<DevsimLab> lab_;
  std::string apk_;
  std::string model_;
};

TEST_F(AgentCliTest, DevicesListsEachPhoneWithItsProperties) {
  nlohmann::json list = Devices();
  ASSERT_TRUE(list.is_array()) << list;
  ASSERT_EQ(list.size(), 2u);
  for (const auto& d : list) {
    EXPECT_EQ(d["adb_state"], "device");
    EXPECT_FALSE(d["model"].get<std::string>().empty());
    EXPECT_FALSE(d["soc"].get<std::string>().empty());
    EXPECT_FALSE(d["android_version"].get<std::string>().empty());
    EXPECT_EQ(d["abi"], "arm64-v8a");
    EXPECT_GE(d["battery_level_pct"].get<int>(), 0);
    EXPECT_TRUE(d["has_battery_temp"].get<bool>());
  }
  RunResult table = Agent({"devices"});
  EXPECT_TRUE(absl::StrContains(table.output, "BATTERY")) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, lab_->Serial(1))) << table.output;
}

TEST_F(AgentCliTest, HotPlugShowsInDevices) {
  ASSERT_TRUE(lab_->Control("unplug 1").ok());
  auto state_of = [&](const std::string& serial) -> std::string {
    for (const auto& d : Devices()) {
      if (d["serial"] == serial) return d["adb_state"];
    }
    return "absent";
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (state_of(lab_->Serial(1)) == "device" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_NE(state_of(lab_->Serial(1)), "device");
  ASSERT_TRUE(lab_->Control("plug 1").ok());
  ASSERT_TRUE(lab_->Reconnect(1).ok());
  EXPECT_EQ(state_of(lab_->Serial(1)), "device");
}

TEST_F(AgentCliTest, BenchPrintsEveryRepeatAndTheMedianAsJson) {
  RunResult r = AgentStdout({"bench", "--serial", lab_->Serial(0), "--model", model_, "--apk",
                             apk_, "--threads", "2", "--repeat", "2", "--flag",
                             "--use_xnnpack=true", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json doc = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.output;
  ASSERT_EQ(doc["runs"].size(), 2u);
  EXPECT_EQ(doc["runs"][0]["state"], "done");
  EXPECT_FALSE(doc["runs"][0]["timings"]["install_skipped"].get<bool>());
  EXPECT_TRUE(doc["runs"][1]["timings"]["install_skipped"].get<bool>());
  EXPECT_TRUE(doc["runs"][1]["timings"]["push_skipped"].get<bool>());
  for (const char* field : {"count", "avg_us", "min_us", "init_us", "inference_avg_us",
                            "memory_overall_mb"}) {
    EXPECT_TRUE(doc["runs"][1]["metrics"].contains(field)) << field;
    EXPECT_TRUE(doc["median"].contains(field)) << field;
  }
  EXPECT_EQ(doc["args"], nlohmann::json({"--num_threads=2", "--use_xnnpack=true"}));
}

TEST_F(AgentCliTest, BenchReportsTheErrorClassAndFailsTheExitCode) {
  ASSERT_TRUE(lab_->Control("fault 0 graph-missing").ok());
  RunResult r = Agent({"bench", "--serial", lab_->Serial(0), "--model", model_, "--apk", apk_});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "model_missing")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "Could not open")) << r.output;
}

TEST_F(AgentCliTest, HostileFlagsAreRefusedWithAClearError) {
  for (std::string hostile : {"--x=$(reboot)", "--x=`reboot`", "--x=1;reboot", "--x='1'",
                              "--x=1\nreboot", "reboot"}) {
    RunResult r = Agent({"bench", "--serial", lab_->Serial(0), "--model", model_, "--apk", apk_,
                         "--flag", hostile});
    EXPECT_EQ(r.exit_code, 2) << hostile << ": " << r.output;
    EXPECT_TRUE(absl::StrContains(r.output, "refused")) << r.output;
  }
}

TEST_F(AgentCliTest, NoAdbServerIsAClearError) {
  // Nothing listens on the port and no `adb` binary is on PATH to start a server.
  testing::SpawnOptions no_adb;
  no_adb.env["PATH"] = "/nonexistent";
  RunResult r = testing::Run({testing::BinPath("benchlab-agent"), "--adb-port",
                              std::to_string(testing::FreePort()), "devices"},
                             no_adb);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "adb")) << r.output;
}

TEST_F(AgentCliTest, ADaemonWithAnUnusableLinkFailsBeforeStartingAnything) {
  const int adb_port = testing::FreePort();  // no adb server there: none may be started
  const std::string state = dir_.path() + "/state";
  auto daemon = [&](std::vector<std::string> link) {
    std::vector<std::string> argv = {testing::BinPath("benchlab-agent"), "--adb-port",
                                     std::to_string(adb_port), "--state-dir", state, "--name", "h1"};
    argv.insert(argv.end(), link.begin(), link.end());
    return testing::Run(argv, {}, absl::Seconds(30));
  };
  RunResult remote = daemon({"--coordinator", "10.1.2.3:7443", "--insecure"});
  EXPECT_EQ(remote.exit_code, 4) << remote.output;
  EXPECT_TRUE(absl::StrContains(remote.output, "loopback")) << remote.output;
  RunResult no_ca = daemon({"--coordinator", "lab.example:7443", "--tls-ca", dir_.path() + "/missing-ca.pem",
                            "--tls-cert", dir_.path() + "/c.pem", "--tls-key", dir_.path() + "/k.pem"});
  EXPECT_EQ(no_ca.exit_code, 4) << no_ca.output;
  EXPECT_TRUE(absl::StrContains(no_ca.output, "missing-ca.pem")) << no_ca.output;
  EXPECT_FALSE(testing::WaitForPort(adb_port, absl::Milliseconds(300))) << "an adb server was started";
}

}  // namespace
}  // namespace benchlab
