// The production AdbSocket (any stream fd, polled for deadlines) and the TCP connector
// that reaches the local adb server, starting it with `adb start-server` when needed.
#include "agent/adb/adb_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace benchlab::adb {
namespace {

// Milliseconds to wait in poll() before `deadline`; -1 means forever.
int PollTimeoutMs(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(left + absl::Milliseconds(1) - absl::Nanoseconds(1));
  return ms > 1 << 30 ? 1 << 30 : static_cast<int>(ms);
}

// Threads: one owner thread does I/O; Shutdown() from any thread (atomic flag + shutdown(2),
// which wakes a poll() blocked on the fd).
class FdAdbSocket final : public AdbSocket {
 public:
  explicit FdAdbSocket(int fd) : fd_(fd) {
    int flags = fcntl(fd_, F_GETFL, 0);
    if (flags >= 0) (void)fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  }
  ~FdAdbSocket() override { ::close(fd_); }

  absl::Status WriteAll(absl::string_view data, absl::Time deadline) override {
    while (!data.empty()) {
      if (shut_.load()) return absl::CancelledError("adb stream cancelled");
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        absl::Status s = Wait(POLLOUT, deadline);
        if (!s.ok()) return s;
        continue;
      }
      if (shut_.load()) return absl::CancelledError("adb stream cancelled");
      return absl::UnavailableError(
          absl::StrCat("adb server connection lost while writing: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> ReadSome(char* buf, size_t max_bytes, absl::Time deadline) override {
    for (;;) {
      if (shut_.load()) return absl::CancelledError("adb stream cancelled");
      ssize_t n = ::recv(fd_, buf, max_bytes, 0);
      if (n >= 0) {
        if (n == 0 && shut_.load()) return absl::CancelledError("adb stream cancelled");
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        absl::Status s = Wait(POLLIN, deadline);
        if (!s.ok()) return s;
        continue;
      }
      if (errno == ECONNRESET) return 0;  // the server dropped us: same as EOF for callers
      return absl::UnavailableError(
          absl::StrCat("adb server connection lost while reading: ", std::strerror(errno)));
    }
  }

  bool Readable() override {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  void Shutdown() override {
    shut_.store(true);
    ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  absl::Status Wait(short events, absl::Time deadline) {
    for (;;) {
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, PollTimeoutMs(deadline));
      if (r > 0) return absl::OkStatus();
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        if (absl::Now() < deadline) continue;
        return absl::DeadlineExceededError("timeout waiting for the adb server");
      }
      return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
    }
  }

  const int fd_;
  std::atomic<bool> shut_{false};
};

// Thread-safe: connections are independent; start_mu_ serialises server starts.
class TcpAdbConnector final : public AdbConnector {
 public:
  explicit TcpAdbConnector(TcpConnectorOptions options)
      : options_(std::move(options)), port_(ResolveAdbServerPort(options_)) {}

  std::string Describe() const override { return absl::StrCat("127.0.0.1:", port_); }

  absl::StatusOr<std::unique_ptr<AdbSocket>> Connect(absl::Time deadline) override {
    int err = 0;
    absl::StatusOr<std::unique_ptr<AdbSocket>> s = TryConnect(deadline, &err);
    if (s.ok() || err != ECONNREFUSED || !options_.start_server) {
      if (!s.ok() && err == ECONNREFUSED) {
        return absl::UnavailableError(absl::StrCat("no adb server on ", Describe(),
                                                   " (connection refused); start it with "
                                                   "`adb start-server`"));
      }
      return s;
    }
    absl::Status started = StartServer(deadline);
    if (!started.ok()) return started;
    s = TryConnect(deadline, &err);
    if (!s.ok() && err == ECONNREFUSED) {
      return absl::UnavailableError(absl::StrCat(
          "no adb server on ", Describe(), " even after `adb start-server` succeeded"));
    }
    return s;
  }

 private:
  absl::StatusOr<std::unique_ptr<AdbSocket>> TryConnect(absl::Time deadline, int* err) {
    *err = 0;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
    int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    if (r < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int pr;
      do {
        pr = ::poll(&p, 1, PollTimeoutMs(deadline));
      } while (pr < 0 && errno == EINTR);
      if (pr == 0) {
        ::close(fd);
        return absl::DeadlineExceededError(
            absl::StrCat("timeout connecting to the adb server on ", Describe()));
      }
      socklen_t len = sizeof(int);
      int so_error = 0;
      (void)::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      r = so_error == 0 ? 0 : -1;
      errno = so_error;
    }
    if (r < 0) {
      *err = errno;
      std::string msg = std::strerror(errno);
      ::close(fd);
      return absl::UnavailableError(
          absl::StrCat("cannot reach the adb server on ", Describe(), ": ", msg));
    }
    return MakeFdAdbSocket(fd);
  }

  absl::Status StartServer(absl::Time deadline) {
    absl::MutexLock lock(&start_mu_);
    spdlog::info("event=adb_start_server port={} adb={}", port_, options_.adb_path);
    std::vector<std::string> env_strings;
    const std::string port_var = "ANDROID_ADB_SERVER_PORT=";
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, port_var.c_str(), port_var.size()) != 0) env_strings.push_back(*e);
    }
    env_strings.push_back(absl::StrCat(port_var, port_));
    std::vector<char*> envp;
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string arg0 = options_.adb_path, arg1 = "start-server";
    char* argv[] = {arg0.data(), arg1.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // The server it forks inherits these: never hold the caller's pipes open.
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, arg0.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      return absl::UnavailableError(absl::StrCat("no adb server on ", Describe(),
                                                 " and could not start it: running `",
                                                 options_.adb_path, "` failed: ",
                                                 std::strerror(rc), " (is adb installed?)"));
    }
    // `adb start-server` returns once the server listens (it waits for the fork's reply).
    const absl::Time give_up = std::min(deadline, absl::Now() + absl::Seconds(30));
    for (;;) {
      int status = 0;
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(
            "no adb server on ", Describe(), " and could not start it: `adb start-server` "
            "exited with status ", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
      }
      if (absl::Now() >= give_up) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return absl::DeadlineExceededError(absl::StrCat(
            "no adb server on ", Describe(), ": timeout while `adb start-server` ran"));
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  const TcpConnectorOptions options_;
  const int port_;
  absl::Mutex start_mu_;
};

}  // namespace

std::unique_ptr<AdbSocket> MakeFdAdbSocket(int fd) { return std::make_unique<FdAdbSocket>(fd); }

int ResolveAdbServerPort(const TcpConnectorOptions& options) {
  if (options.port > 0) return options.port;
  const char* env = std::getenv("ANDROID_ADB_SERVER_PORT");
  int port = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &port) && port > 0 && port < 65536) return port;
  return 5037;
}

std::unique_ptr<AdbConnector> MakeTcpAdbConnector(const TcpConnectorOptions& options) {
  return std::make_unique<TcpAdbConnector>(options);
}

}  // namespace benchlab::adb
