// Flow-controlled byte pipe over adb's OPEN/WRTE/OKAY/CLSE messages.
#include "devsim/adb_stream.h"

#include <algorithm>

#include "devsim/adb_packet.h"

namespace benchlab::devsim {
namespace {
// Data accepted before the service reads it; past this the host waits for our OKAY.
constexpr size_t kInboxLimitBytes = 2 * 1024 * 1024;
}  // namespace

AdbStream::AdbStream(uint32_t local_id, uint32_t remote_id, size_t max_payload, SendFn send)
    : local_id_(local_id), remote_id_(remote_id), max_payload_(max_payload), send_(std::move(send)) {}

bool AdbStream::Write(absl::string_view data) {
  while (!data.empty()) {
    const size_t n = std::min(data.size(), max_payload_);
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](AdbStream* s) ABSL_NO_THREAD_SAFETY_ANALYSIS { return !s->awaiting_okay_ || s->closed_; },
          this));
      if (closed_) return false;
      awaiting_okay_ = true;
    }
    if (!send_(kCmdWrte, local_id_, remote_id_, data.substr(0, n))) {
      OnClose();
      return false;
    }
    data.remove_prefix(n);
  }
  return true;
}

std::string AdbStream::Read(size_t max_bytes) {
  std::string out;
  bool send_ack = false;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](AdbStream* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return s->inbox_pos_ < s->inbox_.size() || s->closed_;
        },
        this));
    const size_t n = std::min(max_bytes, inbox_.size() - inbox_pos_);
    out.assign(inbox_, inbox_pos_, n);
    inbox_pos_ += n;
    if (inbox_pos_ == inbox_.size()) {
      inbox_.clear();
      inbox_pos_ = 0;
    }
    MaybeAckLocked(&send_ack);
  }
  if (send_ack) send_(kCmdOkay, local_id_, remote_id_, "");
  return out;
}

bool AdbStream::ReadExact(size_t n, std::string* out) {
  out->clear();
  while (out->size() < n) {
    std::string part = Read(n - out->size());
    if (part.empty()) return false;
    out->append(part);
  }
  return true;
}

bool AdbStream::closed() {
  absl::MutexLock lock(&mu_);
  return closed_;
}

void AdbStream::Close() {
  bool send_clse = false;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    if (!clse_sent_) send_clse = clse_sent_ = true;
  }
  if (send_clse) send_(kCmdClse, local_id_, remote_id_, "");
}

void AdbStream::MaybeAckLocked(bool* send_ack) {
  if (owe_okay_ && !closed_ && inbox_.size() - inbox_pos_ < kInboxLimitBytes) {
    owe_okay_ = false;
    *send_ack = true;
  }
}

void AdbStream::OnWrite(absl::string_view data) {
  bool send_ack = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;  // a late WRTE (e.g. close-stdin after our CLSE): ignore
    if (inbox_pos_ > 0 && inbox_pos_ == inbox_.size()) {
      inbox_.clear();
      inbox_pos_ = 0;
    }
    inbox_.append(data.data(), data.size());
    owe_okay_ = true;
    MaybeAckLocked(&send_ack);
  }
  if (send_ack) send_(kCmdOkay, local_id_, remote_id_, "");
}

void AdbStream::OnOkay() {
  absl::MutexLock lock(&mu_);
  awaiting_okay_ = false;
}

void AdbStream::OnClose() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

}  // namespace benchlab::devsim
