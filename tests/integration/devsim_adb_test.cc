// benchlab-devsim driven by Debian's real adb (client and server on a private port):
// everything a lab engineer does by hand with a phone must work on a simulated one.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/adb_server.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using testing::AdbServer;
using testing::BinPath;
using testing::RunResult;
using testing::Subprocess;

constexpr char kStart[] =
    "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity --es args "
    "'--graph=/data/local/tmp/m.tflite --num_threads=4'";

// A devsim process with `count` phones, adopted by `adb`.
struct Lab {
  std::unique_ptr<AdbServer> adb;
  std::unique_ptr<Subprocess> devsim;
  int port = 0;
  int control_port = 0;
  std::string Serial(int i) const { return absl::StrCat("127.0.0.1:", port + i); }
};

std::unique_ptr<Lab> StartLab(const std::string& dir, int count, std::vector<std::string> extra = {}) {
  auto lab = std::make_unique<Lab>();
  auto adb = AdbServer::Start();
  EXPECT_TRUE(adb.ok()) << adb.status();
  if (!adb.ok()) return nullptr;
  lab->adb = std::move(*adb);
  lab->port = testing::FreePortRange(count);
  lab->control_port = testing::FreePort();
  std::vector<std::string> argv = {BinPath("benchlab-devsim"), "--port", std::to_string(lab->port),
                                   "--count", std::to_string(count), "--run-seconds", "1",
                                   "--control-port", std::to_string(lab->control_port)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  testing::SpawnOptions options;
  options.log_path = dir + "/devsim.log";
  auto devsim = Subprocess::Spawn(argv, options);
  EXPECT_TRUE(devsim.ok());
  lab->devsim = std::move(*devsim);
  EXPECT_TRUE(testing::WaitForPort(lab->control_port, absl::Seconds(10)));
  return lab;
}

// Sends one line to devsim's control port through a shell one-liner.
std::string Control(const Lab& lab, const std::string& line) {
  RunResult r = testing::Run({"python3", "-c",
                              absl::StrCat("import socket;s=socket.create_connection(('127.0.0.1',",
                                           lab.control_port, "));s.sendall(b'", line,
                                           "\\n');print(s.recv(4096).decode())")});
  return r.output;
}

std::string Sha256Of(const std::string& path) {
  return testing::Run({"sha256sum", path}).output.substr(0, 64);
}

// Polls `adb logcat -d` on a phone until `needle` shows up.
bool WaitForLog(const Lab& lab, int phone, const std::string& needle, absl::Duration timeout,
                std::string* log = nullptr) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string out;
  while (absl::Now() < deadline) {
    out = lab.adb->Adb({"-s", lab.Serial(phone), "logcat", "-d", "-v", "threadtime"}).output;
    if (absl::StrContains(out, needle)) {
      if (log != nullptr) *log = out;
      return true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  if (log != nullptr) *log = out;
  return false;
}

class DevsimAdbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    lab_ = StartLab(dir_->path(), 3).release();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(lab_->adb->Connect(lab_->port + i).ok());
    apk_ = dir_->path() + "/benchmark.apk";
    model_ = dir_->path() + "/m.tflite";
    ASSERT_EQ(testing::Run({BinPath("benchlab-devsim"), "--make-apk", apk_, "--make-model", model_,
                            "--model-mb", "2"}).exit_code, 0);
  }
  static void TearDownTestSuite() {
    delete lab_;
    delete dir_;
  }
  // Installs the APK and pushes the model to phone i.
  static void Prepare(int i) {
    ASSERT_TRUE(absl::StrContains(Adb(i, {"install", "-r", "-d", "-g", apk_}).output, "Success"));
    ASSERT_EQ(Adb(i, {"push", model_, "/data/local/tmp/m.tflite"}).exit_code, 0);
  }
  static RunResult Adb(int i, std::vector<std::string> args) {
    args.insert(args.begin(), {"-s", lab_->Serial(i)});
    return lab_->adb->Adb(args);
  }
  static testing::TempDir* dir_;
  static Lab* lab_;
  static std::string apk_, model_;
};
testing::TempDir* DevsimAdbTest::dir_ = nullptr;
Lab* DevsimAdbTest::lab_ = nullptr;
std::string DevsimAdbTest::apk_, DevsimAdbTest::model_;

TEST_F(DevsimAdbTest, DevicesListsEachPhoneWithItsModel) {
  RunResult r = lab_->adb->Adb({"devices", "-l"});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(absl::StrContains(r.output, lab_->Serial(i) + " ")) << r.output;
  }
  EXPECT_TRUE(absl::StrContains(r.output, "model:")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "offline")) << r.output;
}

TEST_F(DevsimAdbTest, ShellReturnsOutputAndExitCodes) {
  RunResult hi = Adb(0, {"shell", "echo", "hi"});
  EXPECT_EQ(hi.exit_code, 0);
  EXPECT_EQ(hi.output, "hi\n");
  EXPECT_EQ(Adb(0, {"shell", "exit 3"}).exit_code, 3);
  RunResult missing = Adb(0, {"shell", "no_such_command"});
  EXPECT_EQ(missing.exit_code, 127);
  RunResult model = Adb(0, {"shell", "getprop", "ro.product.model"});
  EXPECT_FALSE(model.output.empty());
}

TEST_F(DevsimAdbTest, PushOf20MbReadsBackWithTheSameSha256) {
  const std::string local = dir_->path() + "/random.bin";
  ASSERT_EQ(testing::Run({"sh", "-c", "head -c 20000000 /dev/urandom > " + local}).exit_code, 0);
  ASSERT_EQ(Adb(1, {"push", local, "/data/local/tmp/random.bin"}).exit_code, 0);
  const std::string want = Sha256Of(local);
  EXPECT_TRUE(absl::StartsWith(Adb(1, {"shell", "sha256sum", "/data/local/tmp/random.bin"}).output, want));
  const std::string back = dir_->path() + "/back.bin";
  ASSERT_EQ(Adb(1, {"pull", "/data/local/tmp/random.bin", back}).exit_code, 0);
  EXPECT_EQ(Sha256Of(back), want);
}

TEST_F(DevsimAdbTest, BenchmarkWritesTheResultLinesToLogcat) {
  Prepare(2);
  // Follow mode first, so the lines must arrive live.
  testing::SpawnOptions options = {.env = lab_->adb->Env(), .log_path = dir_->path() + "/follow.log"};
  auto follow = Subprocess::Spawn({"adb", "-s", lab_->Serial(2), "logcat", "-v", "threadtime", "-s", "tflite"},
                                  options);
  ASSERT_TRUE(follow.ok());
  absl::SleepFor(absl::Milliseconds(300));
  RunResult start = Adb(2, {"shell", kStart});
  EXPECT_TRUE(absl::StrContains(start.output, "Starting: Intent")) << start.output;

  std::string log;
  ASSERT_TRUE(WaitForLog(*lab_, 2, "Memory footprint delta", absl::Seconds(10), &log)) << log;
  RunResult tagged = Adb(2, {"logcat", "-d", "-v", "threadtime", "-s", "tflite"});
  EXPECT_TRUE(absl::StrContains(tagged.output, " I tflite  : count=")) << tagged.output;
  EXPECT_TRUE(absl::StrContains(tagged.output, "Inference timings in us: Init: ")) << tagged.output;
  EXPECT_TRUE(absl::StrContains(tagged.output, "Memory footprint delta from the start of the tool (MB): init="));

  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!absl::StrContains((*follow)->Output(), "Memory footprint delta") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(absl::StrContains((*follow)->Output(), "Inference timings in us")) << (*follow)->Output();
  EXPECT_TRUE((*follow)->Running()) << "logcat in follow mode must not end by itself";
}

// An app fault set through the phone's own shell, then a benchmark start.
struct AppFaultCase {
  const char* fault;
  const char* expected_line;
};

class DevsimAppFaultTest : public DevsimAdbTest, public ::testing::WithParamInterface<AppFaultCase> {};

TEST_P(DevsimAppFaultTest, FaultShowsInLogcat) {
  Prepare(0);
  ASSERT_EQ(Adb(0, {"shell", "devsimctl", "fault", GetParam().fault}).exit_code, 0);
  Adb(0, {"shell", kStart});
  std::string log;
  EXPECT_TRUE(WaitForLog(*lab_, 0, GetParam().expected_line, absl::Seconds(8), &log)) << log;
  ASSERT_EQ(Adb(0, {"shell", "devsimctl", "fault", "none"}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, DevsimAppFaultTest,
    ::testing::Values(AppFaultCase{"graph-missing", "E tflite  : Could not open '/data/local/tmp/m.tflite'."},
                      AppFaultCase{"invalid-flag", "Failed to parse flag"},
                      AppFaultCase{"crash", "has died"},
                      AppFaultCase{"bad-model", "The model is not a valid Flatbuffer buffer"}),
    [](const ::testing::TestParamInfo<AppFaultCase>& info) {
      std::string name = info.param.fault;
      for (char& c : name) c = c == '-' ? '_' : c;
      return name;
    });

TEST_F(DevsimAdbTest, HangStartsTheAppButNeverPrintsAResult) {
  Prepare(1);
  ASSERT_EQ(Adb(1, {"shell", "devsimctl fault hang"}).exit_code, 0);
  Adb(1, {"logcat", "-c"});
  Adb(1, {"shell", kStart});
  std::string log;
  EXPECT_TRUE(WaitForLog(*lab_, 1, "Running TensorFlow Lite benchmark with args", absl::Seconds(5), &log));
  absl::SleepFor(absl::Seconds(2));  // twice the run time
  WaitForLog(*lab_, 1, "", absl::Seconds(1), &log);
  EXPECT_FALSE(absl::StrContains(log, "Inference timings")) << log;
  // The hung app is still alive.
  EXPECT_FALSE(Adb(1, {"shell", "pidof org.tensorflow.lite.benchmark"}).output.empty());
  ASSERT_EQ(Adb(1, {"shell", "devsimctl fault none"}).exit_code, 0);
}

TEST(DevsimLegacyTest, LegacyPhoneUsesV1ShellAndPushPlusPmInstall) {
  testing::TempDir dir;
  auto lab = StartLab(dir.path(), 1, {"--features=none"});
  ASSERT_TRUE(lab->adb->Connect(lab->port).ok());
  const std::string apk = dir.path() + "/b.apk";
  ASSERT_EQ(testing::Run({BinPath("benchlab-devsim"), "--make-apk", apk}).exit_code, 0);
  RunResult install = lab->adb->Adb({"-s", lab->Serial(0), "install", "-r", "-d", "-g", apk});
  EXPECT_TRUE(absl::StrContains(install.output, "Push Install")) << install.output;
  EXPECT_TRUE(absl::StrContains(install.output, "Success")) << install.output;
  RunResult echo = lab->adb->Adb({"-s", lab->Serial(0), "shell", "echo", "legacy"});
  EXPECT_EQ(echo.output, "legacy\n");
  // v1 shell has no exit status: adb reports 0 whatever the command returned.
  EXPECT_EQ(lab->adb->Adb({"-s", lab->Serial(0), "shell", "exit 3"}).exit_code, 0);
}

TEST(DevsimStreamedInstallTest, ModernPhoneStreamsTheApk) {
  testing::TempDir dir;
  auto lab = StartLab(dir.path(), 1);
  ASSERT_TRUE(lab->adb->Connect(lab->port).ok());
  const std::string apk = dir.path() + "/b.apk";
  ASSERT_EQ(testing::Run({BinPath("benchlab-devsim"), "--make-apk", apk}).exit_code, 0);
  RunResult install = lab->adb->Adb({"-s", lab->Serial(0), "install", "-r", "-d", "-g", apk});
  EXPECT_TRUE(absl::StrContains(install.output, "Streamed Install")) << install.output;
  EXPECT_TRUE(absl::StrContains(install.output, "Success")) << install.output;
  RunResult path = lab->adb->Adb({"-s", lab->Serial(0), "shell", "pm", "path", "org.tensorflow.lite.benchmark"});
  EXPECT_TRUE(absl::StartsWith(path.output, "package:/data/app/")) << path.output;
}

TEST(DevsimLinkFaultTest, DisconnectMidPushFailsThePushUntilThePhoneIsPluggedBackIn) {
  testing::TempDir dir;
  auto lab = StartLab(dir.path(), 1, {"--fault", "0=disconnect"});
  ASSERT_TRUE(lab->adb->Connect(lab->port).ok());
  const std::string local = dir.path() + "/big.bin";
  ASSERT_EQ(testing::Run({"sh", "-c", "head -c 5000000 /dev/urandom > " + local}).exit_code, 0);
  RunResult push = lab->adb->Adb({"-s", lab->Serial(0), "push", local, "/data/local/tmp/big.bin"});
  EXPECT_NE(push.exit_code, 0) << push.output;
  EXPECT_TRUE(lab->adb->WaitForState(lab->Serial(0), "offline", absl::Seconds(10)).ok());
  // Plugged back in, the adb server's reconnect (every ~10 s) adopts it again.
  EXPECT_TRUE(absl::StrContains(Control(*lab, "plug 0"), "ok"));
  EXPECT_TRUE(lab->adb->WaitForState(lab->Serial(0), "device", absl::Seconds(30)).ok());
  EXPECT_EQ(lab->adb->Adb({"-s", lab->Serial(0), "shell", "echo", "back"}).output, "back\n");
}

TEST(DevsimLinkFaultTest, DisconnectMidRunTakesThePhoneOffline) {
  testing::TempDir dir;
  auto lab = StartLab(dir.path(), 2);
  ASSERT_TRUE(lab->adb->Connect(lab->port).ok());
  ASSERT_TRUE(lab->adb->Connect(lab->port + 1).ok());
  lab->adb->Adb({"-s", lab->Serial(0), "shell", "devsimctl fault disconnect"});
  EXPECT_TRUE(lab->adb->WaitForState(lab->Serial(0), "offline", absl::Seconds(10)).ok());
  // The other phone of the same process keeps working.
  EXPECT_EQ(lab->adb->Adb({"-s", lab->Serial(1), "shell", "echo", "alive"}).output, "alive\n");
  EXPECT_TRUE(absl::StrContains(Control(*lab, "list"), "unplugged"));
}

TEST(DevsimLinkFaultTest, UnauthorizedPhoneIsListedAsUnauthorized) {
  testing::TempDir dir;
  auto lab = StartLab(dir.path(), 1, {"--fault", "0=unauthorized"});
  lab->adb->Adb({"connect", lab->Serial(0)}, absl::Seconds(15));
  EXPECT_TRUE(lab->adb->WaitForState(lab->Serial(0), "unauthorized", absl::Seconds(10)).ok());
  RunResult shell = lab->adb->Adb({"-s", lab->Serial(0), "shell", "echo", "hi"});
  EXPECT_NE(shell.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(shell.output, "unauthorized")) << shell.output;
}

TEST(DevsimLinkFaultTest, SlowLinkStillWorksButSlowly) {
  testing::TempDir dir;
  auto lab = StartLab(dir.path(), 1, {"--fault", "0=slow-link"});
  ASSERT_TRUE(lab->adb->Connect(lab->port, absl::Seconds(20)).ok());
  const absl::Time start = absl::Now();
  RunResult echo = lab->adb->Adb({"-s", lab->Serial(0), "shell", "echo", "slow"});
  EXPECT_EQ(echo.output, "slow\n");
  // OKAY, stdout, exit and CLSE each wait 50 ms on the link.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
}

}  // namespace
}  // namespace benchlab
