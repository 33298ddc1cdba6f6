// Device care and the audit log through the real chain: the built coordinator (SQLite
// data dir, a tokens file) and CLI, a real agent with Debian's adb and a devsim phone.
// One lab for the whole story, in order: roles refused, drain (a queued run waits),
// maintenance with a note that survives a SIGKILL of the coordinator, undrain (the run
// then finishes), forget refused while connected and done once the agent is gone, and the
// audit log listing all of it, refused credentials included, escaped in the table.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/support/lab_cluster.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

// Polls `benchlab ARGS` until its output contains `needle` (no stream to wait on).
RunResult CliUntil(const LabCluster& lab, const std::vector<std::string>& args, const std::string& needle,
                   absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  RunResult r;
  while (absl::Now() < deadline) {
    r = lab.Cli(args);
    if (absl::StrContains(r.output, needle)) return r;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return r;
}

TEST(DeviceCare, DrainMaintenanceForgetAndTheAuditLogThroughTheCli) {
  testing::TempDir keys;
  const std::string tokens = keys.path() + "/tokens";
  ASSERT_TRUE(testing::WriteFile(tokens, "t-admin admin alice\nt-submit submit carol\nt-read read bob\n"));
  const int http_port = testing::FreePort();
  auto started = LabCluster::Start({.hosts = 1,
                                    .phones_per_host = 1,
                                    .run_seconds = 0.2,
                                    .coordinator_extra = {"--tokens-file", tokens, "--http-listen",
                                                          absl::StrCat("127.0.0.1:", http_port)},
                                    .token = "t-admin"});
  ASSERT_TRUE(started.ok()) << started.status();
  LabCluster& lab = **started;
  const std::string phone = lab.DeviceId(0, 0);

  // Only admins take care of phones; the refusals are audited.
  RunResult r = lab.Cli({"device", "drain", phone, "--token", "t-read"});
  EXPECT_EQ(r.exit_code, 5) << r.output;
  r = lab.Cli({"device", "drain", phone, "--token", "no-such-token"});
  EXPECT_EQ(r.exit_code, 5) << r.output;

  // The dashboard audits a refused credential as the gRPC API does; a page opened before
  // logging in (no credential at all) is a visit, not a refusal.
  ASSERT_TRUE(testing::WaitForPort(http_port, absl::Seconds(10)));
  std::string http = testing::HttpGet(http_port, "/api/v1/devices", {"Authorization: Bearer forged"});
  EXPECT_TRUE(absl::StartsWith(http, "HTTP/1.1 401")) << http;
  http = testing::HttpGet(http_port, "/jobs");
  EXPECT_TRUE(absl::StartsWith(http, "HTTP/1.1 302")) << http;

  r = lab.Cli({"device", "drain", phone});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "drained by alice")) << r.output;

  // A job naming the drained phone queues and waits.
  r = lab.Cli({"run", lab.model_path(), "--apk", lab.apk_path(), "--devices", phone, "--detach", "--token",
               "t-submit"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = lab.Cli({"devices", "--state", "drained", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto devices = nlohmann::json::parse(r.output);
  ASSERT_EQ(devices["devices"].size(), 1u) << r.output;
  EXPECT_EQ(devices["devices"][0]["queue_length"], 1) << r.output;
  EXPECT_EQ(devices["devices"][0]["current_run_id"], "") << "nothing started on it";

  // Maintenance with a note carrying an escape sequence; it survives a SIGKILL.
  r = lab.Cli({"device", "maintenance", phone, "--note", "battery swollen \x1b[2J"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  lab.KillCoordinator();
  ASSERT_TRUE(lab.StartCoordinator().ok());
  r = CliUntil(lab, {"devices"}, "maintenance by alice");
  EXPECT_TRUE(absl::StrContains(r.output, "battery swollen \\x1b[2J")) << "escaped: " << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "\x1b")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "maintenance")) << r.output;

  // Back in service: the queued run starts and finishes.
  r = lab.Cli({"device", "maintenance", phone, "--clear"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = CliUntil(lab, {"jobs", "--json"}, "\"runs_done\":1", absl::Seconds(60));
  EXPECT_TRUE(absl::StrContains(r.output, "\"runs_done\":1")) << r.output;

  // Forget: refused while the agent reports the phone, done once the agent is gone.
  r = lab.Cli({"device", "forget", phone});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "is connected")) << r.output;
  lab.KillAgent(0);
  r = CliUntil(lab, {"device", "forget", phone}, "forgotten");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = lab.Cli({"devices", "--json"});
  EXPECT_FALSE(absl::StrContains(r.output, phone)) << r.output;

  // The audit log: every action and both refusals, readable by admins only.
  r = lab.Cli({"audit", "--since", "1h", "--token", "t-read"});
  EXPECT_EQ(r.exit_code, 5) << r.output;
  r = lab.Cli({"audit", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto audit = nlohmann::json::parse(r.output);
  std::vector<std::string> seen;
  for (const auto& e : audit["entries"]) seen.push_back(absl::StrCat(e["action"].get<std::string>(), ":",
                                                                     e["actor"].get<std::string>()));
  for (const char* want : {"refused:bob", "refused:none", "drain:alice", "submit:carol", "maintenance:alice",
                           "maintenance_clear:alice", "forget:alice", "refused:bob"}) {
    EXPECT_NE(std::find(seen.begin(), seen.end(), want), seen.end()) << want << " in " << r.output;
  }
  EXPECT_EQ(seen.front(), "refused:bob") << "oldest first";
  int dashboard_refusals = 0;
  for (const auto& e : audit["entries"]) {
    const std::string method = e["method"].get<std::string>();
    if (!absl::StartsWith(method, "GET ")) continue;
    ++dashboard_refusals;
    EXPECT_EQ(method, "GET /api/v1/devices") << r.output;
    EXPECT_EQ(e["action"], "refused") << r.output;
    EXPECT_TRUE(absl::StartsWith(e["peer"].get<std::string>(), "http:127.0.0.1:")) << r.output;
  }
  EXPECT_EQ(dashboard_refusals, 1) << "the forged bearer only, not the page visit: " << r.output;
  r = lab.Cli({"audit", "--since", "1h"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "lacks the role")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "\\x1b[2J")) << "the note, escaped: " << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "\x1b")) << r.output;
}

}  // namespace
}  // namespace benchlab
