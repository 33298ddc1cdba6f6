// The built benchlab-coordinator refusing to start: every configuration mistake ends the
// process with exit 2 and one line on what to fix (never a crash), and a second
// coordinator on a port or a data dir that one already holds is refused.
#include <gtest/gtest.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace benchlab::coordinator {
namespace {

using ::benchlab::testing::BinPath;
using ::benchlab::testing::RunResult;
using ::benchlab::testing::Subprocess;
using ::benchlab::testing::TempDir;
using ::benchlab::testing::WriteFile;

std::vector<std::string> Coordinator(std::vector<std::string> args) {
  args.insert(args.begin(), BinPath("benchlab-coordinator"));
  return args;
}

// Runs argv with only its stderr captured (stdout, where a started coordinator logs, is
// dropped): the refusal must be one line there.
RunResult RunForStderr(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"sh", "-c", "exec \"$0\" \"$@\" 2>&1 >/dev/null"});
  return ::benchlab::testing::Run(argv, {}, absl::Seconds(20));
}

// Exit 2, exactly one line of output, and that line contains `hint`.
void ExpectRefused(const RunResult& r, absl::string_view hint) {
  EXPECT_EQ(r.exit_code, 2) << r.output;
  std::string out(absl::StripTrailingAsciiWhitespace(r.output));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 0) << "want one line, got:\n" << r.output;
  EXPECT_TRUE(absl::StrContains(out, hint)) << "want '" << hint << "' in: " << out;
}

class CoordinatorStartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(::benchlab::testing::MakeTestCerts(dir_.path(), {"host7"}).ok());
    ASSERT_TRUE(WriteFile(dir_.path() + "/tokens", "t-admin admin alice\n"));
  }
  // A TLS start on a free loopback port with `override` applied to the flags.
  RunResult StartTls(const std::map<std::string, std::string>& overrides) {
    std::map<std::string, std::string> flags = {
        {"--listen", "127.0.0.1:0"},
        {"--data-dir", dir_.path() + "/data"},
        {"--tls-cert", dir_.path() + "/server.pem"},
        {"--tls-key", dir_.path() + "/server.key"},
        {"--client-ca", dir_.path() + "/ca.pem"},
        {"--tokens-file", dir_.path() + "/tokens"},
    };
    for (const auto& [k, v] : overrides) flags[k] = v;
    std::vector<std::string> args;
    for (const auto& [k, v] : flags) {
      args.push_back(k);
      args.push_back(v);
    }
    return RunForStderr(Coordinator(args));
  }
  std::string P(const std::string& name) { return dir_.path() + "/" + name; }
  TempDir dir_;
};

TEST_F(CoordinatorStartTest, MissingTlsFileIsExit2WithOneLine) {
  ExpectRefused(StartTls({{"--tls-cert", P("nope.pem")}}), "--tls-cert");
  ExpectRefused(StartTls({{"--client-ca", P("nope.pem")}}), "--client-ca");
}

TEST_F(CoordinatorStartTest, TlsFileThatIsNotACertificateIsExit2WithOneLine) {
  ASSERT_TRUE(WriteFile(P("garbage.pem"), "not a certificate\n"));
  ExpectRefused(StartTls({{"--tls-cert", P("garbage.pem")}}), "--tls-cert");
  ExpectRefused(StartTls({{"--tls-key", P("garbage.pem")}}), "--tls-key");
  ExpectRefused(StartTls({{"--client-ca", P("garbage.pem")}}), "--client-ca");
  // A key where the certificate belongs.
  ExpectRefused(StartTls({{"--tls-cert", P("server.key")}}), "--tls-cert");
}

TEST_F(CoordinatorStartTest, KeyThatDoesNotMatchTheCertificateIsExit2WithOneLine) {
  ExpectRefused(StartTls({{"--tls-key", P("host7.key")}}), "does not match");
}

TEST_F(CoordinatorStartTest, MissingTokensFileIsExit2WithOneLine) {
  ExpectRefused(StartTls({{"--tokens-file", P("no-tokens")}}), "tokens");
}

TEST_F(CoordinatorStartTest, UnknownRoleIsExit2WithOneLine) {
  ASSERT_TRUE(WriteFile(P("bad-tokens"), "t-1 admin alice\nt-2 superuser bob\n"));
  ExpectRefused(StartTls({{"--tokens-file", P("bad-tokens")}}), "bad-tokens:2: role must be read, submit or admin");
}

TEST_F(CoordinatorStartTest, PlaintextBeyondLoopbackIsExit2WithOneLine) {
  ExpectRefused(RunForStderr(Coordinator({"--listen", "0.0.0.0:0", "--data-dir", P("d"), "--insecure"})), "loopback");
  ExpectRefused(RunForStderr(Coordinator({"--listen", "127.0.0.1:0", "--data-dir", P("d")})), "--insecure");
}

// A name is not an address: "127.x.example" is decided by what it resolves to. The child
// runs in a network namespace of its own (only a down loopback), so the lookup cannot
// leave the machine and the name resolves to nothing.
TEST_F(CoordinatorStartTest, NameThatLooksLikeLoopbackIsNotTrustedForPlaintext) {
  if (::benchlab::testing::Run({"unshare", "-rn", "true"}).exit_code != 0) {
    GTEST_SKIP() << "no unprivileged network namespaces here";
  }
  auto r = RunForStderr({"unshare", "-rn", BinPath("benchlab-coordinator"), "--listen", "127.x.example:0",
                         "--data-dir", P("d"), "--insecure"});
  ExpectRefused(r, "127.x.example");
  EXPECT_TRUE(absl::StrContains(r.output, "loopback")) << r.output;
}

// Starts an --insecure coordinator and returns it with the port it printed.
std::unique_ptr<Subprocess> StartInsecure(const std::string& listen, const std::string& data_dir,
                                          const std::string& log, int* port) {
  auto p = Subprocess::Spawn(Coordinator({"--listen", listen, "--data-dir", data_dir, "--insecure"}),
                             {.log_path = log});
  if (!p.ok()) return nullptr;
  absl::Time end = absl::Now() + absl::Seconds(20);
  while (absl::Now() < end) {
    std::string out = (*p)->Output();
    size_t at = out.find("listening on port ");
    if (at != std::string::npos) {
      std::string rest = out.substr(at + 18);
      if (absl::SimpleAtoi(rest.substr(0, rest.find('\n')), port) && *port > 0) return std::move(*p);
    }
    if (!(*p)->Running()) return nullptr;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return nullptr;
}

TEST_F(CoordinatorStartTest, SecondCoordinatorOnTheSamePortIsRefused) {
  int port = 0;
  auto first = StartInsecure("127.0.0.1:0", P("data1"), P("first.log"), &port);
  ASSERT_NE(first, nullptr);
  auto r = RunForStderr(
      Coordinator({"--listen", absl::StrCat("127.0.0.1:", port), "--data-dir", P("data2"), "--insecure"}));
  ExpectRefused(r, absl::StrCat("127.0.0.1:", port));
  EXPECT_TRUE(first->Running());
}

TEST_F(CoordinatorStartTest, SecondCoordinatorOnTheSameDataDirIsRefused) {
  int port = 0;
  auto first = StartInsecure("127.0.0.1:0", P("data"), P("first.log"), &port);
  ASSERT_NE(first, nullptr);
  auto r = RunForStderr(Coordinator({"--listen", "127.0.0.1:0", "--data-dir", P("data"), "--insecure"}));
  ExpectRefused(r, P("data"));
  EXPECT_TRUE(first->Running());
  // Once the first has stopped, the data dir is free again.
  first->Signal(SIGTERM);
  ASSERT_TRUE(first->Wait(absl::Seconds(10)).ok());
  int port2 = 0;
  EXPECT_NE(StartInsecure("127.0.0.1:0", P("data"), P("second.log"), &port2), nullptr);
}

}  // namespace
}  // namespace benchlab::coordinator
