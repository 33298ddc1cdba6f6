// One logical stream of an adb connection (OPEN ... CLSE), seen by the service on the
// device side as a blocking, flow-controlled byte pipe.
//
// Flow control (adb-protocol.md §3.3): at most one unacknowledged WRTE per direction.
// Write() waits for the host's OKAY before sending the next chunk; incoming WRTEs are
// acknowledged once the service has room, so a slow service pushes back on the host.
//
// Threading: the connection's reader thread calls the On*() methods; one service thread
// calls Write/Read. Everything is guarded by mu_.
#ifndef BENCHLAB_DEVSIM_ADB_STREAM_H_
#define BENCHLAB_DEVSIM_ADB_STREAM_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace benchlab::devsim {

class AdbStream {
 public:
  // `send` writes one whole packet to the link (thread-safe); `max_payload` bounds WRTEs.
  using SendFn = std::function<bool(uint32_t command, uint32_t arg0, uint32_t arg1,
                                    absl::string_view payload)>;
  AdbStream(uint32_t local_id, uint32_t remote_id, size_t max_payload, SendFn send);

  uint32_t local_id() const { return local_id_; }
  uint32_t remote_id() const { return remote_id_; }

  // Service side. Write blocks for flow control; false once the stream is closed.
  bool Write(absl::string_view data);
  // Up to max_bytes; blocks until data arrives. Empty means the host closed the stream.
  std::string Read(size_t max_bytes);
  // Exactly n bytes, or false if the stream closed first.
  bool ReadExact(size_t n, std::string* out);
  bool closed();
  // Sends CLSE (once) and marks the stream closed.
  void Close();

  // Connection side (reader thread).
  void OnWrite(absl::string_view data);
  void OnOkay();
  void OnClose();

 private:
  // Sends the OKAY owed for received data once the inbox has room again.
  void MaybeAckLocked(bool* send_ack) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint32_t local_id_;
  const uint32_t remote_id_;
  const size_t max_payload_;
  SendFn send_;

  absl::Mutex mu_;
  std::string inbox_ ABSL_GUARDED_BY(mu_);
  size_t inbox_pos_ ABSL_GUARDED_BY(mu_) = 0;
  bool owe_okay_ ABSL_GUARDED_BY(mu_) = false;
  bool awaiting_okay_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool clse_sent_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_ADB_STREAM_H_
