// agent/adb against the REAL Debian adb server (private port) and simulated phones
// (benchlab-devsim adopted with `adb connect`): one phone with every feature (shell_v2,
// cmd, abb_exec, stat_v2) and one legacy phone with none (v1 shell, STAT, push + pm).
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "common/shell_quote.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "openssl/sha.h"
#include "tests/support/adb_server.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::adb {
namespace {

using ::testing::HasSubstr;
namespace bt = benchlab::testing;

absl::Time In(absl::Duration d) { return absl::Now() + d; }

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool HaveDevsim() { return access(bt::BinPath("benchlab-devsim").c_str(), X_OK) == 0; }

// A benchlab-devsim process with one phone on its own port.
struct SimPhone {
  int port = 0;
  std::string serial;
  std::unique_ptr<bt::Subprocess> process;
};

absl::StatusOr<SimPhone> StartPhone(const bt::TempDir& dir, const std::vector<std::string>& extra) {
  SimPhone phone;
  phone.port = bt::FreePort();
  phone.serial = absl::StrCat("127.0.0.1:", phone.port);
  std::vector<std::string> argv = {bt::BinPath("benchlab-devsim"), "--port", std::to_string(phone.port),
                                   "--count", "1", "--run-seconds", "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  bt::SpawnOptions options;
  options.log_path = absl::StrCat(dir.path(), "/devsim-", phone.port, ".log");
  absl::StatusOr<std::unique_ptr<bt::Subprocess>> p = bt::Subprocess::Spawn(argv, options);
  if (!p.ok()) return p.status();
  phone.process = std::move(*p);
  if (!bt::WaitForPort(phone.port, absl::Seconds(10))) {
    return absl::UnavailableError(absl::StrCat("devsim did not listen: ", phone.process->Output()));
  }
  return phone;
}

class AdbClientIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<bt::AdbServer>> server = bt::AdbServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    TcpConnectorOptions options;
    options.port = server_->port();
    options.start_server = false;  // the fixture's server, never the shared 5037
    client_ = std::make_unique<AdbClient>(MakeTcpAdbConnector(options));
  }

  // Starts the modern and the legacy phone and adopts them; skips without devsim.
  void StartPhones() {
    if (!HaveDevsim()) GTEST_SKIP() << "benchlab-devsim is not built yet";
    absl::StatusOr<SimPhone> modern = StartPhone(dir_, {});
    ASSERT_TRUE(modern.ok()) << modern.status();
    modern_ = std::move(*modern);
    absl::StatusOr<SimPhone> legacy = StartPhone(dir_, {"--features", "none"});
    ASSERT_TRUE(legacy.ok()) << legacy.status();
    legacy_ = std::move(*legacy);
    absl::StatusOr<std::string> msg = client_->ConnectDevice(modern_.serial, In(absl::Seconds(15)));
    ASSERT_TRUE(msg.ok()) << msg.status();
    ASSERT_TRUE(client_->ConnectDevice(legacy_.serial, In(absl::Seconds(15))).ok());
    ASSERT_TRUE(server_->WaitForState(modern_.serial, "device", absl::Seconds(15)).ok());
    ASSERT_TRUE(server_->WaitForState(legacy_.serial, "device", absl::Seconds(15)).ok());
  }

  bt::TempDir dir_;
  std::unique_ptr<bt::AdbServer> server_;
  std::unique_ptr<AdbClient> client_;
  SimPhone modern_;
  SimPhone legacy_;
};

TEST_F(AdbClientIntegration, VersionIs41AndNoDevicesAtFirst) {
  absl::StatusOr<int> v = client_->ServerVersion(In(absl::Seconds(5)));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 41);
  absl::StatusOr<std::vector<AdbDevice>> devices = client_->Devices(In(absl::Seconds(5)));
  ASSERT_TRUE(devices.ok()) << devices.status();
  EXPECT_TRUE(devices->empty());
}

TEST_F(AdbClientIntegration, UnknownSerialIsNotFound) {
  absl::Status s = client_->Shell("127.0.0.1:1", "true", In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(s.message(), HasSubstr("no such device"));
  EXPECT_EQ(client_->GetState("nosuch", In(absl::Seconds(5))).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AdbClientIntegration, ConnectToNothingFailsDespiteOkay) {
  absl::StatusOr<std::string> msg =
      client_->ConnectDevice(absl::StrCat("127.0.0.1:", bt::FreePort()), In(absl::Seconds(15)));
  EXPECT_EQ(msg.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(msg.status().message(), HasSubstr("failed to connect"));
}

TEST_F(AdbClientIntegration, DeadServerIsUnavailable) {
  server_.reset();  // adb kill-server on its port
  absl::Status s = client_->ServerVersion(In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("no adb server"));
}

TEST(AdbClientStartsServer, StartsTheServerWhenNoneAnswers) {
  bt::TempDir home;
  // The started server reads keys from $HOME/.android: keep them out of the real HOME.
  const char* old_home = getenv("HOME");
  std::string saved = old_home ? old_home : "";
  setenv("HOME", home.path().c_str(), 1);
  TcpConnectorOptions options;
  options.port = bt::FreePort();
  AdbClient client(MakeTcpAdbConnector(options));
  absl::StatusOr<int> v = client.ServerVersion(In(absl::Seconds(30)));
  bt::SpawnOptions kill_env;
  kill_env.env = {{"ANDROID_ADB_SERVER_PORT", std::to_string(options.port)}, {"HOME", home.path()}};
  bt::RunResult killed = bt::Run({"adb", "kill-server"}, kill_env, absl::Seconds(10));
  setenv("HOME", saved.c_str(), 1);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 41);
  EXPECT_EQ(killed.exit_code, 0) << killed.output;
}

TEST_F(AdbClientIntegration, DevicesListModelsAndFeaturesDifferPerPhone) {
  StartPhones();
  if (IsSkipped() || HasFatalFailure()) return;
  absl::StatusOr<std::vector<AdbDevice>> devices = client_->Devices(In(absl::Seconds(5)));
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 2u);
  for (const AdbDevice& d : *devices) {
    EXPECT_EQ(d.state, "device") << d.serial;
    EXPECT_FALSE(d.model.empty()) << d.serial;
    EXPECT_GT(d.transport_id, 0) << d.serial;
  }
  absl::StatusOr<AdbFeatures> modern = client_->Features(modern_.serial, In(absl::Seconds(5)));
  ASSERT_TRUE(modern.ok()) << modern.status();
  EXPECT_TRUE(modern->Has("shell_v2"));
  absl::StatusOr<AdbFeatures> legacy = client_->Features(legacy_.serial, In(absl::Seconds(5)));
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_FALSE(legacy->Has("shell_v2"));
  EXPECT_EQ(*client_->GetState(modern_.serial, In(absl::Seconds(5))), "device");
}

TEST_F(AdbClientIntegration, ShellOutputAndExitCodesOnV2AndLegacyPhones) {
  StartPhones();
  if (IsSkipped() || HasFatalFailure()) return;
  for (const SimPhone* phone : {&modern_, &legacy_}) {
    absl::StatusOr<ShellResult> r =
        client_->Shell(phone->serial, absl::StrCat("echo ", ShellQuote("it's here")), In(absl::Seconds(10)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->stdout_data, "it's here\n") << phone->serial;
    EXPECT_EQ(r->exit_code, 0);
    absl::StatusOr<ShellResult> failed = client_->Shell(phone->serial, "ls /nonexistent", In(absl::Seconds(10)));
    ASSERT_TRUE(failed.ok()) << failed.status();
    EXPECT_NE(failed->exit_code, 0) << phone->serial;
  }
  absl::StatusOr<ShellResult> v2 = client_->Shell(modern_.serial, "exit 3", In(absl::Seconds(10)));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->exit_code, 3);
  EXPECT_TRUE(v2->shell_v2);
  absl::StatusOr<ShellResult> err = client_->Shell(modern_.serial, "echo oops >&2", In(absl::Seconds(10)));
  ASSERT_TRUE(err.ok()) << err.status();
  EXPECT_EQ(err->stderr_data, "oops\n");
  absl::StatusOr<ShellResult> v1 = client_->Shell(legacy_.serial, "false", In(absl::Seconds(10)));
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->exit_code, 1);
  EXPECT_FALSE(v1->shell_v2);
}

TEST_F(AdbClientIntegration, Push20MbVerifiedBySha256ThenStatAndPull) {
  StartPhones();
  if (IsSkipped() || HasFatalFailure()) return;
  std::string data(20 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  const std::string local = dir_.path() + "/model.bin";
  ASSERT_TRUE(bt::WriteFile(local, data));
  for (const SimPhone* phone : {&modern_, &legacy_}) {
    absl::Status s = client_->Push(phone->serial, local, "/data/local/tmp/", In(absl::Seconds(60)));
    ASSERT_TRUE(s.ok()) << s;
    absl::StatusOr<ShellResult> sum =
        client_->Shell(phone->serial, "sha256sum /data/local/tmp/model.bin", In(absl::Seconds(30)));
    ASSERT_TRUE(sum.ok()) << sum.status();
    EXPECT_TRUE(absl::StartsWith(sum->stdout_data, Sha256Hex(data))) << sum->stdout_data;
    absl::StatusOr<RemoteStat> st = client_->Stat(phone->serial, "/data/local/tmp/model.bin", In(absl::Seconds(10)));
    ASSERT_TRUE(st.ok()) << st.status();
    EXPECT_TRUE(st->exists);
    EXPECT_EQ(st->size_bytes, data.size());
    EXPECT_FALSE(st->is_dir());
    EXPECT_FALSE(client_->Stat(phone->serial, "/data/local/tmp/none", In(absl::Seconds(10)))->exists);
    const std::string back = dir_.path() + "/back.bin";
    ASSERT_TRUE(client_->Pull(phone->serial, "/data/local/tmp/model.bin", back, In(absl::Seconds(60))).ok());
    EXPECT_EQ(Sha256Hex(bt::ReadFile(back)), Sha256Hex(data));
    EXPECT_EQ(client_->PullBytes(phone->serial, "/data/local/tmp/none", In(absl::Seconds(10))).status().code(),
              absl::StatusCode::kNotFound);
  }
}

TEST_F(AdbClientIntegration, InstallOnStreamedAndLegacyPaths) {
  StartPhones();
  if (IsSkipped() || HasFatalFailure()) return;
  const std::string path = dir_.path() + "/test.apk";
  bt::RunResult made = bt::Run({bt::BinPath("benchlab-devsim"), "--make-apk", path,
                                "--apk-package", "org.benchlab.testapp", "--apk-bytes", "51000"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::string bad_path = dir_.path() + "/bad.apk";
  ASSERT_TRUE(bt::WriteFile(bad_path, "not a zip"));
  for (const SimPhone* phone : {&modern_, &legacy_}) {
    absl::Status s = client_->Install(phone->serial, path, In(absl::Seconds(30)));
    ASSERT_TRUE(s.ok()) << phone->serial << ": " << s;
    absl::StatusOr<ShellResult> listed = client_->Shell(phone->serial, "pm list packages", In(absl::Seconds(10)));
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_THAT(listed->stdout_data, HasSubstr("package:org.benchlab.testapp"));
    absl::Status bad = client_->Install(phone->serial, bad_path, In(absl::Seconds(30)));
    EXPECT_EQ(bad.code(), absl::StatusCode::kFailedPrecondition) << bad;
    EXPECT_THAT(bad.message(), HasSubstr("install failed: Failure ["));
  }
}

TEST_F(AdbClientIntegration, LogcatStreamsLinesFromAPhoneTime) {
  StartPhones();
  if (IsSkipped() || HasFatalFailure()) return;
  for (const SimPhone* phone : {&modern_, &legacy_}) {
    absl::StatusOr<ShellResult> now = client_->Shell(phone->serial, "date +%s.%3N", In(absl::Seconds(10)));
    ASSERT_TRUE(now.ok()) << now.status();
    LogcatOptions options;
    options.since = std::string(absl::StripAsciiWhitespace(now->stdout_data));
    AdbCancel cancel;
    std::vector<LogcatLine> entries;
    std::vector<std::string> raw;
    // The phone's background processes log every 0.5-1 s.
    absl::Status s = client_->LogcatEntries(
        phone->serial, options,
        [&](const LogcatLine& e) {
          raw.emplace_back(e.message);
          if (e.layout == LogcatLayout::kThreadtime) entries.push_back(e);
          if (entries.size() >= 2) cancel.Cancel();
        },
        &cancel, In(absl::Seconds(20)));
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
    ASSERT_GE(entries.size(), 2u) << phone->serial;
    EXPECT_GT(entries[0].pid, 0);
    for (const std::string& m : raw) EXPECT_FALSE(absl::EndsWith(m, "\r"));
  }
}

TEST_F(AdbClientIntegration, UnauthorizedPhoneSaysAcceptThePrompt) {
  if (!HaveDevsim()) GTEST_SKIP() << "benchlab-devsim is not built yet";
  absl::StatusOr<SimPhone> phone = StartPhone(dir_, {"--fault", "0=unauthorized"});
  ASSERT_TRUE(phone.ok()) << phone.status();
  // The server may report "failed to authenticate": the state is what counts.
  (void)client_->ConnectDevice(phone->serial, In(absl::Seconds(15)));
  ASSERT_TRUE(server_->WaitForState(phone->serial, "unauthorized", absl::Seconds(15)).ok());
  absl::StatusOr<std::vector<AdbDevice>> devices = client_->Devices(In(absl::Seconds(5)));
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].state, "unauthorized");
  absl::Status s = client_->Shell(phone->serial, "true", In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("accept the RSA prompt on the phone"));
}

TEST_F(AdbClientIntegration, OfflinePhoneIsUnavailableNotAnError) {
  if (!HaveDevsim()) GTEST_SKIP() << "benchlab-devsim is not built yet";
  absl::StatusOr<SimPhone> phone = StartPhone(dir_, {});
  ASSERT_TRUE(phone.ok()) << phone.status();
  ASSERT_TRUE(client_->ConnectDevice(phone->serial, In(absl::Seconds(15))).ok());
  ASSERT_TRUE(server_->WaitForState(phone->serial, "device", absl::Seconds(15)).ok());
  phone->process.reset();  // SIGKILL: the server keeps it listed as offline
  ASSERT_TRUE(server_->WaitForState(phone->serial, "offline", absl::Seconds(15)).ok());
  absl::StatusOr<std::vector<AdbDevice>> devices = client_->Devices(In(absl::Seconds(5)));
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].state, "offline");
  absl::Status s = client_->Shell(phone->serial, "true", In(absl::Seconds(5))).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("offline"));
}

TEST_F(AdbClientIntegration, TrackDevicesReattachesAfterServerRestart) {
  absl::Mutex mu;
  int snapshots = 0;
  AdbCancel cancel;
  std::thread tracker([&] {
    absl::Status s = client_->TrackDevices(
        [&](const std::vector<AdbDevice>&) {
          absl::MutexLock lock(&mu);
          ++snapshots;
        },
        &cancel);
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  });
  auto at_least = [&](int n) {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return snapshots >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
  };
  EXPECT_TRUE(at_least(1));
  bt::SpawnOptions env;
  env.env = server_->Env();
  EXPECT_EQ(bt::Run({"adb", "kill-server"}, env, absl::Seconds(10)).exit_code, 0);
  bt::RunResult started = bt::Run({"adb", "start-server"}, env, absl::Seconds(30));
  EXPECT_EQ(started.exit_code, 0) << started.output;
  EXPECT_TRUE(at_least(2)) << "no snapshot from the restarted server";
  cancel.Cancel();
  tracker.join();
}

TEST_F(AdbClientIntegration, TrackDevicesSeesAPhoneConnectAndDisconnect) {
  if (!HaveDevsim()) GTEST_SKIP() << "benchlab-devsim is not built yet";
  absl::StatusOr<SimPhone> phone = StartPhone(dir_, {});
  ASSERT_TRUE(phone.ok()) << phone.status();
  absl::Mutex mu;
  std::vector<std::vector<AdbDevice>> snapshots;
  AdbCancel cancel;
  std::thread tracker([&] {
    absl::Status s = client_->TrackDevices(
        [&](const std::vector<AdbDevice>& devices) {
          absl::MutexLock lock(&mu);
          snapshots.push_back(devices);
        },
        &cancel);
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  });
  auto wait_for = [&](auto pred) {
    absl::MutexLock lock(&mu);
    return mu.AwaitWithTimeout(absl::Condition(&pred), absl::Seconds(20));
  };
  auto has_state = [&](const std::string& state) {
    return [&, state] {
      for (const auto& snap : snapshots)
        for (const AdbDevice& d : snap)
          if (d.serial == phone->serial && d.state == state) return true;
      return false;
    };
  };
  EXPECT_TRUE(wait_for([&] { return !snapshots.empty(); }));
  ASSERT_TRUE(client_->ConnectDevice(phone->serial, In(absl::Seconds(15))).ok());
  EXPECT_TRUE(wait_for(has_state("device")));
  ASSERT_TRUE(client_->DisconnectDevice(phone->serial, In(absl::Seconds(5))).ok());
  EXPECT_TRUE(wait_for([&] { return !snapshots.empty() && snapshots.back().empty(); }));
  cancel.Cancel();
  tracker.join();
}

}  // namespace
}  // namespace benchlab::adb
