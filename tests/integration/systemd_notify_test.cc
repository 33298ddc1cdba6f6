// The daemons speak systemd's notify protocol as their units expect (Type=notify,
// WatchdogSec): the test is the service manager. It binds the $NOTIFY_SOCKET datagram
// socket (SO_PASSCRED tells it which process sent what), starts the real coordinator and
// agent with $WATCHDOG_USEC set, and checks each says READY=1, then WATCHDOG=1 over and
// over while it runs, and STOPPING=1 on SIGTERM.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using testing::LabCluster;

// What each process sent to the socket, in order.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int on = 1;
    bound_ = bound_ && setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0;
  }
  ~NotifySocket() { close(fd_); }
  bool bound() const { return bound_; }

  // Reads datagrams until `done` holds or the timeout passes.
  bool ReadUntil(const std::function<bool()>& done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) continue;
      char data[4096];
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
      iovec iov{data, sizeof(data)};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      const ssize_t n = recvmsg(fd_, &msg, 0);
      if (n < 0) continue;
      pid_t pid = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
          ucred cred;
          memcpy(&cred, CMSG_DATA(c), sizeof(cred));
          pid = cred.pid;
        }
      }
      sent_[pid].emplace_back(data, n);
    }
    return true;
  }
  int Count(pid_t pid, const std::string& assignment) {
    int n = 0;
    for (const std::string& m : sent_[pid]) n += absl::StrContains(m, assignment) ? 1 : 0;
    return n;
  }
  std::string Dump(pid_t pid) {
    std::string out;
    for (const std::string& m : sent_[pid]) out += "[" + m + "] ";
    return out;
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::map<pid_t, std::vector<std::string>> sent_;
};

TEST(SystemdNotify, DaemonsSayReadyThenAliveWhileTheyWorkThenStopping) {
  testing::TempDir dir;
  NotifySocket sock(dir.path() + "/notify");
  ASSERT_TRUE(sock.bound());
  // The spawned daemons inherit these, as systemd sets them for a unit's main process.
  setenv("NOTIFY_SOCKET", (dir.path() + "/notify").c_str(), 1);
  setenv("WATCHDOG_USEC", "400000", 1);
  auto started = LabCluster::Start({.hosts = 1, .phones_per_host = 1});
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  ASSERT_TRUE(started.ok()) << started.status();
  LabCluster& lab = **started;
  const pid_t coordinator = lab.coordinator().pid(), agent = lab.agent(0).pid();

  // Pinged at a quarter of WatchdogSec: several within two seconds, each after READY=1.
  EXPECT_TRUE(sock.ReadUntil(
      [&] {
        return sock.Count(coordinator, "READY=1") == 1 && sock.Count(coordinator, "WATCHDOG=1") >= 3 &&
               sock.Count(agent, "READY=1") == 1 && sock.Count(agent, "WATCHDOG=1") >= 3;
      },
      absl::Seconds(20)))
      << "coordinator: " << sock.Dump(coordinator) << "\nagent: " << sock.Dump(agent);
  EXPECT_TRUE(absl::StartsWith(sock.Dump(coordinator), "[READY=1\nSTATUS=listening on ")) << sock.Dump(coordinator);

  lab.coordinator().Signal(SIGTERM);
  lab.agent(0).Signal(SIGTERM);
  EXPECT_TRUE(sock.ReadUntil(
      [&] { return sock.Count(coordinator, "STOPPING=1") == 1 && sock.Count(agent, "STOPPING=1") == 1; },
      absl::Seconds(20)))
      << "coordinator: " << sock.Dump(coordinator) << "\nagent: " << sock.Dump(agent);
  auto exit = lab.coordinator().Wait(absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
}

}  // namespace
}  // namespace benchlab
