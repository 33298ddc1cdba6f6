// The seam between benchlab's adb client and the adb server: one connection (AdbSocket)
// and the factory that opens them (AdbConnector). Production uses TCP to 127.0.0.1:5037;
// unit tests swap in an in-process fake server over socketpairs.
#ifndef BENCHLAB_AGENT_ADB_ADB_SOCKET_H_
#define BENCHLAB_AGENT_ADB_ADB_SOCKET_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace benchlab::adb {

// One byte-stream connection to the adb server. Threads: one thread reads and writes;
// Shutdown() may be called from any other thread at any time (that is how streams are
// cancelled).
class AdbSocket {
 public:
  virtual ~AdbSocket() = default;

  // Writes every byte of `data`. DeadlineExceeded when `deadline` passes first,
  // Unavailable when the peer is gone, Cancelled after Shutdown().
  virtual absl::Status WriteAll(absl::string_view data, absl::Time deadline) = 0;

  // Reads between 1 and `max_bytes` bytes into `buf`, blocking until some arrive.
  // Returns 0 at EOF (the server closed the connection). DeadlineExceeded when
  // `deadline` passes first; Cancelled after Shutdown().
  virtual absl::StatusOr<size_t> ReadSome(char* buf, size_t max_bytes, absl::Time deadline) = 0;

  // True when a read would not block now (data or EOF pending). Never blocks.
  virtual bool Readable() = 0;

  // Wakes any blocked read or write (they return Cancelled) and makes later calls fail.
  // Thread-safe, idempotent; the socket still has to be destroyed by its owner.
  virtual void Shutdown() = 0;
};

// Opens connections to the adb server. Thread-safe: several threads may connect at once.
class AdbConnector {
 public:
  virtual ~AdbConnector() = default;
  // A new connection, or Unavailable with a message a person can act on
  // ("no adb server on 127.0.0.1:5037 and `adb start-server` failed: ...").
  virtual absl::StatusOr<std::unique_ptr<AdbSocket>> Connect(absl::Time deadline) = 0;
  // "127.0.0.1:5037", for messages.
  virtual std::string Describe() const = 0;
};

// Wraps a connected stream socket fd (TCP or AF_UNIX socketpair); takes ownership.
std::unique_ptr<AdbSocket> MakeFdAdbSocket(int fd);

struct TcpConnectorOptions {
  // 0 means $ANDROID_ADB_SERVER_PORT when set, else 5037.
  int port = 0;
  // When nothing answers on the port, run `<adb_path> start-server` (with
  // ANDROID_ADB_SERVER_PORT set to the port) once per Connect, then retry.
  bool start_server = true;
  std::string adb_path = "adb";
};

// The server port the options resolve to (port, else $ANDROID_ADB_SERVER_PORT, else 5037).
int ResolveAdbServerPort(const TcpConnectorOptions& options);

// Connects to 127.0.0.1:<port> (loopback only), starting the server when asked to.
std::unique_ptr<AdbConnector> MakeTcpAdbConnector(const TcpConnectorOptions& options = {});

}  // namespace benchlab::adb

#endif  // BENCHLAB_AGENT_ADB_ADB_SOCKET_H_
