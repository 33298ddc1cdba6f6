// Starting and stopping a private adb server.
#include "tests/support/adb_server.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/ports.h"

namespace benchlab::testing {

absl::StatusOr<std::unique_ptr<AdbServer>> AdbServer::Start() {
  std::unique_ptr<AdbServer> server(new AdbServer());
  if (server->home_.path().empty()) return absl::InternalError("no temp dir for adb HOME");
  server->port_ = FreePort();
  if (server->port_ < 0) return absl::UnavailableError("no free port for the adb server");
  RunResult r = server->Adb({"start-server"}, absl::Seconds(30));
  if (r.exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("adb start-server on port ", server->port_,
                                               " failed (is Debian's adb installed?): ", r.output));
  }
  return server;
}

AdbServer::~AdbServer() {
  if (port_ > 0) (void)Adb({"kill-server"}, absl::Seconds(10));
}

std::map<std::string, std::string> AdbServer::Env() const {
  return {{"ANDROID_ADB_SERVER_PORT", std::to_string(port_)}, {"HOME", home_.path()}};
}

RunResult AdbServer::Adb(const std::vector<std::string>& args, absl::Duration timeout) const {
  std::vector<std::string> argv = {"adb"};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions options;
  options.env = Env();
  return Run(argv, options, timeout);
}

absl::Status AdbServer::Connect(int device_port, absl::Duration timeout) const {
  const std::string serial = absl::StrCat("127.0.0.1:", device_port);
  RunResult r = Adb({"connect", serial}, absl::Seconds(15));
  if (r.output.find("connected to") == std::string::npos) {
    return absl::UnavailableError(absl::StrCat("adb connect ", serial, ": ", r.output));
  }
  return WaitForState(serial, "device", timeout);
}

absl::Status AdbServer::WaitForState(const std::string& serial, const std::string& state,
                                     absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    // `adb devices` rather than `get-state`: get-state prints an error, not the state,
    // for an offline device.
    RunResult r = Adb({"devices"}, absl::Seconds(5));
    last = "(not listed)";
    for (absl::string_view line : absl::StrSplit(r.output, '\n')) {
      std::vector<absl::string_view> cols = absl::StrSplit(line, '\t');
      if (cols.size() == 2 && cols[0] == serial) last = std::string(absl::StripAsciiWhitespace(cols[1]));
    }
    if (last == state) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(serial, " did not reach state '", state, "'; last answer: ", last));
}

}  // namespace benchlab::testing
