// Internal to agent/adb: request/reply primitives over an AdbSocket (send a framed
// request, read OKAY/FAIL, read protocol strings) and a buffered exact-size reader for
// the byte-stream services (sync, track-devices).
#ifndef BENCHLAB_AGENT_ADB_ADB_IO_H_
#define BENCHLAB_AGENT_ADB_ADB_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/adb/adb_socket.h"

namespace benchlab::adb {

// Writes hex4 + payload.
absl::Status SendRequest(AdbSocket* socket, absl::string_view payload, absl::Time deadline);

// Reads exactly n bytes with no read-ahead (so the socket can be handed on afterwards).
// Unavailable "... closed the connection" at EOF.
absl::StatusOr<std::string> ReadExactly(AdbSocket* socket, size_t n, absl::Time deadline);

// Reads OKAY (ok) or FAIL + message (mapped by FailToStatus with `what`).
absl::Status ReadStatus(AdbSocket* socket, absl::string_view what, absl::Time deadline);

// Reads hex4 length + that many bytes.
absl::StatusOr<std::string> ReadProtocolString(AdbSocket* socket, absl::Time deadline);

// Reads until EOF.
absl::StatusOr<std::string> ReadToEof(AdbSocket* socket, absl::Time deadline);

// Prefixes a status's message with context ("device X: push /a: "), keeping its code.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// Buffered reads of exact sizes from a stream that is not aligned with records.
// Not thread-safe: one reader.
class BufferedReader {
 public:
  explicit BufferedReader(AdbSocket* socket, size_t buffer_bytes = 256 * 1024)
      : socket_(socket), buf_(buffer_bytes, '\0') {}
  // Copies exactly n bytes into out. Unavailable at EOF ("ended in the middle of a record").
  absl::Status ReadExact(char* out, size_t n, absl::Time deadline);
  absl::StatusOr<std::string> ReadString(size_t n, absl::Time deadline);
  // Bytes buffered but not consumed.
  size_t buffered() const { return end_ - begin_; }

 private:
  AdbSocket* socket_;
  std::string buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace benchlab::adb

#endif  // BENCHLAB_AGENT_ADB_ADB_IO_H_
