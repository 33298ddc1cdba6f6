// A private instance of Debian's real adb server for one test: its own port and its own
// HOME (so keys and state never touch the developer's), killed at the end.
#ifndef BENCHLAB_TESTS_SUPPORT_ADB_SERVER_H_
#define BENCHLAB_TESTS_SUPPORT_ADB_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::testing {

class AdbServer {
 public:
  // Starts `adb start-server` on a free port.
  static absl::StatusOr<std::unique_ptr<AdbServer>> Start();
  ~AdbServer();  // adb kill-server on the same port

  int port() const { return port_; }
  // Environment a child (adb CLI, our agent) needs to reach this server.
  std::map<std::string, std::string> Env() const;
  // Runs the real adb CLI against this server: Adb({"devices", "-l"}).
  RunResult Adb(const std::vector<std::string>& args, absl::Duration timeout = absl::Seconds(60)) const;
  // `adb connect 127.0.0.1:PORT`, then waits until the device's state is `device`
  // (adb connect exits 0 even when it fails, so the state is what counts).
  absl::Status Connect(int device_port, absl::Duration timeout = absl::Seconds(15)) const;
  // Waits until `adb get-state` for the serial prints `state` (e.g. "device", "offline").
  absl::Status WaitForState(const std::string& serial, const std::string& state,
                            absl::Duration timeout) const;

 private:
  AdbServer() = default;
  TempDir home_;
  int port_ = 0;
};

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_ADB_SERVER_H_
