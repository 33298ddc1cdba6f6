// An in-process fake adb server for agent/adb unit tests: every Connect() is a socketpair
// whose far end is served by a thread running the test's script. The default script
// answers host:version, host-features, features and tport like adb 29; tests override
// host requests and device services.
#ifndef BENCHLAB_TESTS_UNIT_ADB_FAKE_SERVER_H_
#define BENCHLAB_TESTS_UNIT_ADB_FAKE_SERVER_H_

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "agent/adb/adb_socket.h"

namespace benchlab::adb::testing {

// The server side of one connection. Blocking I/O; used by one server thread.
class FakeConn {
 public:
  explicit FakeConn(int fd) : fd_(fd) {}
  ~FakeConn() { ::close(fd_); }

  // Next hex4-framed request; nullopt at EOF.
  std::optional<std::string> ReadRequest() {
    std::optional<std::string> hex = Read(4);
    if (!hex) return std::nullopt;
    return Read(std::stoi(*hex, nullptr, 16));
  }
  // Exactly n bytes; nullopt at EOF.
  std::optional<std::string> Read(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return out;
  }
  // Everything until the client closes.
  std::string ReadAll() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
      if (r <= 0) return out;
      out.append(buf, static_cast<size_t>(r));
    }
  }
  bool Write(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t w = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
    }
    return true;
  }
  // Writes in pieces of `piece` bytes with a pause, so the client's reads split records.
  bool WriteSplit(const std::string& bytes, size_t piece) {
    for (size_t off = 0; off < bytes.size(); off += piece) {
      if (!Write(bytes.substr(off, piece))) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  static std::string Proto(const std::string& s) { return absl::StrFormat("%04x", s.size()) + s; }
  bool Okay() { return Write("OKAY"); }
  bool OkayProto(const std::string& s) { return Write("OKAY" + Proto(s)); }
  bool Fail(const std::string& reason) { return Write("FAIL" + Proto(reason)); }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
};

// A fake phone behind the fake server.
struct FakeDevice {
  std::string serial = "127.0.0.1:40001";
  uint64_t transport_id = 1;
  std::string features = "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,abb_exec";
};

class FakeAdbServer {
 public:
  // Return true when the request was handled (the conn is then closed).
  using HostHandler = std::function<bool(FakeConn&, const std::string& request)>;
  // Called after a successful tport/transport with the device service request.
  using ServiceHandler = std::function<void(FakeConn&, const std::string& service)>;

  FakeAdbServer() = default;
  ~FakeAdbServer() {
    std::vector<std::thread> threads;
    {
      absl::MutexLock lock(&mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  std::vector<FakeDevice> devices = {FakeDevice{}};
  std::string host_features = "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,abb_exec,abb,push_sync";
  bool tport_supported = true;
  HostHandler host_handler;        // tried first
  ServiceHandler service_handler;  // device services
  std::atomic<bool> refuse{false};  // Connect() fails like a dead server

  int Count(const std::string& request_prefix) {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const std::string& r : requests_) n += absl::StartsWith(r, request_prefix) ? 1 : 0;
    return n;
  }
  std::vector<std::string> Requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

  // A connector for AdbClient; the server must outlive it.
  std::unique_ptr<AdbConnector> Connector() { return std::make_unique<Conn>(this); }

 private:
  class Conn : public AdbConnector {
   public:
    explicit Conn(FakeAdbServer* s) : s_(s) {}
    absl::StatusOr<std::unique_ptr<AdbSocket>> Connect(absl::Time) override { return s_->Accept(); }
    std::string Describe() const override { return "fake"; }
    FakeAdbServer* s_;
  };

  absl::StatusOr<std::unique_ptr<AdbSocket>> Accept() {
    if (refuse.load()) return absl::UnavailableError("no adb server on fake (connection refused)");
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      return absl::InternalError("socketpair");
    }
    absl::MutexLock lock(&mu_);
    threads_.emplace_back([this, fd = fds[1]] { Serve(fd); });
    return MakeFdAdbSocket(fds[0]);
  }

  void Record(const std::string& r) {
    absl::MutexLock lock(&mu_);
    requests_.push_back(r);
  }

  const FakeDevice* Find(const std::string& serial) {
    for (const FakeDevice& d : devices) {
      if (d.serial == serial) return &d;
    }
    return nullptr;
  }

  void Serve(int fd) {
    FakeConn c(fd);
    std::optional<std::string> req = c.ReadRequest();
    if (!req) return;
    Record(*req);
    if (host_handler && host_handler(c, *req)) return;
    if (*req == "host:version") {
      c.OkayProto("0029");
      return;
    }
    if (*req == "host:host-features") {
      c.OkayProto(host_features);
      return;
    }
    if (absl::StartsWith(*req, "host-serial:") && absl::EndsWith(*req, ":features")) {
      std::string serial = req->substr(12, req->size() - 12 - 9);
      const FakeDevice* d = Find(serial);
      if (d == nullptr) {
        c.Fail("device '" + serial + "' not found");
      } else {
        c.OkayProto(d->features);
      }
      return;
    }
    std::string serial;
    bool tport = false;
    if (absl::StartsWith(*req, "host:tport:serial:")) {
      serial = req->substr(18);
      tport = true;
      if (!tport_supported) {
        c.Fail("unknown host service");
        return;
      }
    } else if (absl::StartsWith(*req, "host:transport:")) {
      serial = req->substr(15);
    } else {
      c.Fail("unknown host service");
      return;
    }
    const FakeDevice* d = Find(serial);
    if (d == nullptr) {
      c.Fail("device '" + serial + "' not found");
      return;
    }
    c.Okay();
    if (tport) {
      std::string id(8, '\0');
      for (int i = 0; i < 8; ++i) id[i] = static_cast<char>(d->transport_id >> (8 * i));
      c.Write(id);
    }
    std::optional<std::string> service = c.ReadRequest();
    if (!service) return;
    Record(*service);
    if (service_handler) {
      service_handler(c, *service);
    } else {
      c.Fail("closed");
    }
  }

  absl::Mutex mu_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
};

// Shell-v2 packet bytes.
inline std::string V2Packet(uint8_t id, const std::string& payload) {
  std::string p(1, static_cast<char>(id));
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>(n >> (8 * i)));
  return p + payload;
}

// Sync record bytes: id + u32 + payload.
inline std::string SyncRecord(const std::string& id, const std::string& payload) {
  std::string p = id;
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>(n >> (8 * i)));
  return p + payload;
}

inline std::string SyncU32(const std::string& id, uint32_t v) {
  std::string p = id;
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>(v >> (8 * i)));
  return p;
}

}  // namespace benchlab::adb::testing

#endif  // BENCHLAB_TESTS_UNIT_ADB_FAKE_SERVER_H_
