// A lab host in a box for tests: a private adb server plus one benchlab-devsim process
// with N phones, each adopted by `adb connect` and online. Control() talks to devsim's
// control port (fault, unplug, plug, temp, list).
#ifndef BENCHLAB_TESTS_SUPPORT_DEVSIM_LAB_H_
#define BENCHLAB_TESTS_SUPPORT_DEVSIM_LAB_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/adb_server.h"
#include "tests/support/subprocess.h"

namespace benchlab::testing {

struct DevsimLabOptions {
  int phones = 2;
  double run_seconds = 1;            // devsim --run-seconds
  std::vector<std::string> extra;    // more devsim flags ("--fault", "0=hang")
  std::string log_path;              // devsim's output; empty: /dev/null
  bool connect = true;               // adb connect each phone and wait for "device"
};

class DevsimLab {
 public:
  static absl::StatusOr<std::unique_ptr<DevsimLab>> Start(const DevsimLabOptions& options);

  AdbServer& adb() { return *adb_; }
  int adb_port() const { return adb_->port(); }
  int first_port() const { return port_; }
  int control_port() const { return control_port_; }
  std::string Serial(int i) const;
  std::vector<std::string> Serials() const;
  // One control line ("unplug 0"); returns devsim's answer ("ok ...").
  absl::StatusOr<std::string> Control(const std::string& line);
  // `adb connect` phone i again (after a plug) and wait until it is online.
  absl::Status Reconnect(int i);

 private:
  DevsimLab() = default;
  std::unique_ptr<AdbServer> adb_;
  std::unique_ptr<Subprocess> devsim_;
  int phones_ = 0;
  int port_ = 0;
  int control_port_ = 0;
};

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_DEVSIM_LAB_H_
