// Starts devsim on free ports and has the private adb server adopt its phones.
#include "tests/support/devsim_lab.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"

namespace benchlab::testing {

absl::StatusOr<std::unique_ptr<DevsimLab>> DevsimLab::Start(const DevsimLabOptions& options) {
  std::unique_ptr<DevsimLab> lab(new DevsimLab());
  auto adb = AdbServer::Start();
  if (!adb.ok()) return adb.status();
  lab->adb_ = std::move(*adb);
  lab->phones_ = options.phones;
  lab->port_ = FreePortRange(options.phones);
  lab->control_port_ = FreePort();
  std::vector<std::string> argv = {
      BinPath("benchlab-devsim"), "--port", std::to_string(lab->port_), "--count",
      std::to_string(options.phones), "--run-seconds", absl::StrCat(options.run_seconds),
      "--control-port", std::to_string(lab->control_port_)};
  argv.insert(argv.end(), options.extra.begin(), options.extra.end());
  SpawnOptions spawn;
  spawn.log_path = options.log_path;
  auto devsim = Subprocess::Spawn(argv, spawn);
  if (!devsim.ok()) return devsim.status();
  lab->devsim_ = std::move(*devsim);
  if (!WaitForPort(lab->control_port_, absl::Seconds(10))) {
    return absl::UnavailableError("benchlab-devsim did not open its control port");
  }
  if (options.connect) {
    for (int i = 0; i < options.phones; ++i) {
      if (absl::Status s = lab->adb_->Connect(lab->port_ + i); !s.ok()) return s;
    }
  }
  return lab;
}

std::string DevsimLab::Serial(int i) const { return absl::StrCat("127.0.0.1:", port_ + i); }

std::vector<std::string> DevsimLab::Serials() const {
  std::vector<std::string> out;
  for (int i = 0; i < phones_; ++i) out.push_back(Serial(i));
  return out;
}

absl::StatusOr<std::string> DevsimLab::Control(const std::string& line) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(control_port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return absl::UnavailableError("devsim control port refused the connection");
  }
  std::string msg = line + "\n";
  if (::write(fd, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) {
    ::close(fd);
    return absl::UnavailableError("write to devsim control port failed");
  }
  std::string answer;
  char buf[4096];
  // One answer line per request.
  while (answer.find('\n') == std::string::npos) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::string(absl::StripTrailingAsciiWhitespace(answer));
}

absl::Status DevsimLab::Reconnect(int i) { return adb_->Connect(port_ + i); }

}  // namespace benchlab::testing
