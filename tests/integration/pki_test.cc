// `benchlab-coordinator pki` through the real chain: the certificates it makes let a TLS
// coordinator, two agents (each on its own adb server with a devsim phone) and the CLI
// work together, with the agents' ids taken from their certificates; files have tight
// modes; a server certificate without the name the client dials is refused with a clear
// message; re-running init never replaces a CA.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/devsim_lab.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using testing::BinPath;
using testing::RunResult;
using testing::Subprocess;

int Mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return st.st_mode & 07777;
}

RunResult Pki(std::vector<std::string> args) {
  args.insert(args.begin(), {BinPath("benchlab-coordinator"), "pki"});
  return testing::Run(args);
}

class PkiTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  // A coordinator serving with the certificates of `pki` (folder under the temp dir).
  void StartCoordinator(const std::string& pki) {
    ASSERT_TRUE(testing::WriteFile(Path("tokens"), "t-read read dashboard\n"));
    port_ = testing::FreePort();
    testing::SpawnOptions spawn;
    spawn.log_path = Path("coordinator.log");
    auto c = Subprocess::Spawn({BinPath("benchlab-coordinator"), "--listen", Address(), "--data-dir",
                                Path("data"), "--tls-cert", Path(pki + "/server.pem"), "--tls-key",
                                Path(pki + "/server.key"), "--client-ca", Path(pki + "/ca.pem"),
                                "--tokens-file", Path("tokens")},
                               spawn);
    ASSERT_TRUE(c.ok()) << c.status();
    coordinator_ = std::move(*c);
    ASSERT_TRUE(testing::WaitForPort(port_, absl::Seconds(20))) << coordinator_->Output();
  }
  std::string Address() const { return absl::StrCat("127.0.0.1:", port_); }

  RunResult Devices(const std::string& pki, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinPath("benchlab"), "devices", "--coordinator", Address(), "--tls-ca",
                                     Path(pki + "/ca.pem"), "--token", "t-read", "--rpc-timeout", "5"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::Run(argv, {}, absl::Seconds(60));
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> coordinator_;
};

TEST_F(PkiTest, CertificatesFromTheCommandMakeATlsLabWithTwoAgents) {
  RunResult init = Pki({"init", "--dir", Path("pki"), "--name", "localhost", "--name", "127.0.0.1"});
  ASSERT_EQ(init.exit_code, 0) << init.output;
  EXPECT_TRUE(absl::StrContains(init.output, "localhost, 127.0.0.1")) << init.output;
  for (const char* agent : {"host-a", "host-b"}) {
    RunResult issued = Pki({"issue-agent", agent, "--dir", Path("pki")});
    ASSERT_EQ(issued.exit_code, 0) << issued.output;
  }
  RunResult client = Pki({"issue-client", "alice", "--dir", Path("pki")});
  ASSERT_EQ(client.exit_code, 0) << client.output;

  // Keys 0600, certificates 0644, the folder 0755 (the daemon's user reaches server.key).
  EXPECT_EQ(Mode(Path("pki")), 0755);
  for (const char* key : {"ca.key", "server.key", "agent-host-a.key", "agent-host-b.key", "client-alice.key"}) {
    EXPECT_EQ(Mode(Path(std::string("pki/") + key)), 0600) << key;
  }
  for (const char* cert : {"ca.pem", "server.pem", "agent-host-a.pem", "client-alice.pem"}) {
    EXPECT_EQ(Mode(Path(std::string("pki/") + cert)), 0644) << cert;
  }
  // openssl agrees: the chain verifies, for the purposes each certificate is for.
  for (auto [cert, purpose] : {std::pair{"server.pem", "sslserver"}, std::pair{"agent-host-a.pem", "sslclient"},
                               std::pair{"client-alice.pem", "sslclient"}}) {
    RunResult v = testing::Run({"openssl", "verify", "-purpose", purpose, "-CAfile", Path("pki/ca.pem"),
                                Path(std::string("pki/") + cert)});
    EXPECT_EQ(v.exit_code, 0) << cert << ": " << v.output;
  }
  RunResult subject = testing::Run({"openssl", "x509", "-in", Path("pki/agent-host-b.pem"), "-noout", "-subject"});
  EXPECT_TRUE(absl::StrContains(subject.output, "CN = host-b")) << subject.output;

  StartCoordinator("pki");
  std::vector<std::unique_ptr<testing::DevsimLab>> hosts;
  std::vector<std::unique_ptr<Subprocess>> agents;
  for (const char* agent : {"host-a", "host-b"}) {
    auto host = testing::DevsimLab::Start({.phones = 1});
    ASSERT_TRUE(host.ok()) << host.status();
    testing::SpawnOptions spawn;
    spawn.log_path = Path(std::string(agent) + ".log");
    auto a = Subprocess::Spawn(
        {BinPath("benchlab-agent"), "--coordinator", Address(), "--adb-port", std::to_string((*host)->adb_port()),
         "--state-dir", Path(std::string("state-") + agent), "--tls-ca", Path("pki/ca.pem"), "--tls-cert",
         Path(absl::StrCat("pki/agent-", agent, ".pem")), "--tls-key", Path(absl::StrCat("pki/agent-", agent, ".key"))},
        spawn);
    ASSERT_TRUE(a.ok()) << a.status();
    agents.push_back(std::move(*a));
    hosts.push_back(std::move(*host));
  }
  // Each phone appears under the CN of its agent's certificate.
  const std::string a = "host-a/" + hosts[0]->Serial(0), b = "host-b/" + hosts[1]->Serial(0);
  RunResult devices;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    devices = Devices("pki");
    if (absl::StrContains(devices.output, a) && absl::StrContains(devices.output, b)) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(absl::StrContains(devices.output, a) && absl::StrContains(devices.output, b))
      << devices.output << testing::ReadFile(Path("host-a.log")) << coordinator_->Output();
  // A person's client certificate is accepted beside the token.
  RunResult with_cert = Devices("pki", {"--tls-cert", Path("pki/client-alice.pem"), "--tls-key",
                                        Path("pki/client-alice.key")});
  EXPECT_EQ(with_cert.exit_code, 0) << with_cert.output;
}

TEST_F(PkiTest, ServerCertificateWithoutTheDialledNameIsRefusedClearly) {
  RunResult init = Pki({"init", "--dir", Path("pki"), "--name", "lab.example"});
  ASSERT_EQ(init.exit_code, 0) << init.output;
  StartCoordinator("pki");
  RunResult devices = Devices("pki");
  EXPECT_EQ(devices.exit_code, 3) << devices.output;  // unreachable, as the CLI's exit codes say
  const std::string out = absl::AsciiStrToLower(devices.output);
  EXPECT_TRUE(absl::StrContains(out, "certificate")) << devices.output;
  EXPECT_TRUE(absl::StrContains(out, "--name 127.0.0.1")) << devices.output;
  // The same certificate works when the client dials the name it carries.
  RunResult renamed = Devices("pki", {"--tls-server-name", "lab.example"});
  EXPECT_EQ(renamed.exit_code, 0) << renamed.output;
}

TEST_F(PkiTest, NeverReplacesACaAndRefusesBadNames) {
  ASSERT_EQ(Pki({"init", "--dir", Path("pki"), "--name", "localhost"}).exit_code, 0);
  const std::string ca = testing::ReadFile(Path("pki/ca.pem"));
  RunResult again = Pki({"init", "--dir", Path("pki"), "--name", "localhost"});
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "already has a CA")) << again.output;
  EXPECT_EQ(testing::ReadFile(Path("pki/ca.pem")), ca);

  ASSERT_EQ(Pki({"issue-agent", "host-a", "--dir", Path("pki")}).exit_code, 0);
  RunResult twice = Pki({"issue-agent", "host-a", "--dir", Path("pki")});
  EXPECT_EQ(twice.exit_code, 1) << twice.output;
  EXPECT_TRUE(absl::StrContains(twice.output, "exists")) << twice.output;

  RunResult slash = Pki({"issue-agent", "../evil", "--dir", Path("pki")});
  EXPECT_EQ(slash.exit_code, 1) << slash.output;
  EXPECT_TRUE(absl::StrContains(slash.output, "agent name")) << slash.output;
  RunResult bad_san = Pki({"init", "--dir", Path("other"), "--name", "two words"});
  EXPECT_EQ(bad_san.exit_code, 1) << bad_san.output;
  EXPECT_TRUE(absl::StrContains(bad_san.output, "'two words'")) << bad_san.output;
  RunResult no_ca = Pki({"issue-client", "bob", "--dir", Path("empty")});
  EXPECT_EQ(no_ca.exit_code, 1) << no_ca.output;
  EXPECT_TRUE(absl::StrContains(no_ca.output, "pki init")) << no_ca.output;
}

}  // namespace
}  // namespace benchlab
