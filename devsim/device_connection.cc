// The device side of adb's transport protocol for one link.
#include "devsim/device_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "devsim/adb_packet.h"
#include "devsim/services.h"
#include "spdlog/spdlog.h"

namespace benchlab::devsim {
namespace {
constexpr uint32_t kAuthToken = 1;
constexpr uint32_t kAuthSignature = 2;
constexpr absl::Duration kSlowLinkDelay = absl::Milliseconds(50);
}  // namespace

DeviceConnection::DeviceConnection(int fd, Phone* phone, std::string banner,
                                   std::function<void()> pull_cable)
    : fd_(fd), phone_(phone), banner_(std::move(banner)), pull_cable_(std::move(pull_cable)) {}

DeviceConnection::~DeviceConnection() { close(fd_); }

void DeviceConnection::Drop() { shutdown(fd_, SHUT_RDWR); }

bool DeviceConnection::Send(uint32_t command, uint32_t arg0, uint32_t arg1, absl::string_view payload) {
  const std::string packet = EncodePacket(command, arg0, arg1, payload);
  absl::MutexLock lock(&write_mu_);
  if (phone_->fault() == Fault::kSlowLink) absl::SleepFor(kSlowLinkDelay);
  size_t sent = 0;
  while (sent < packet.size()) {
    ssize_t n = send(fd_, packet.data() + sent, packet.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool DeviceConnection::ReadFull(char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd_, buf + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

bool DeviceConnection::Handshake() {
  // Only CNXN and AUTH may come before the link is online (§3.2); anything else waits.
  std::mt19937 rng(std::random_device{}());
  char raw[kHeaderBytes];
  std::string payload;
  while (ReadFull(raw, kHeaderBytes)) {
    AdbHeader h;
    if (!DecodeHeader(raw, &h) || h.data_length > 1024 * 1024) return false;
    payload.resize(h.data_length);
    if (h.data_length > 0 && !ReadFull(payload.data(), h.data_length)) return false;
    if (h.command == kCmdCnxn) {
      max_payload_ = std::min<size_t>(kDeviceMaxPayload, std::max<uint32_t>(h.arg1, 4096));
      if (phone_->fault() != Fault::kUnauthorized) {
        return Send(kCmdCnxn, kAdbVersion, kDeviceMaxPayload, banner_);
      }
    } else if (h.command != kCmdAuth || h.arg0 != kAuthSignature) {
      continue;  // a public key (the "Allow USB debugging?" prompt nobody answers)
    }
    // Unauthorized phone: a fresh token for the CNXN and for every signature; no key is
    // ever accepted, so the server lists the phone as `unauthorized`.
    std::string token(20, '\0');
    for (char& c : token) c = static_cast<char>(rng());
    if (!Send(kCmdAuth, kAuthToken, 0, token)) return false;
  }
  return false;
}

void DeviceConnection::Serve() {
  if (Handshake()) {
    spdlog::debug("event=online model={}", phone_->profile().model);
    char raw[kHeaderBytes];
    std::string payload;
    while (ReadFull(raw, kHeaderBytes)) {
      AdbHeader h;
      if (!DecodeHeader(raw, &h) || h.data_length > max_payload_ + 4096) break;  // fatal, as in adb
      payload.resize(h.data_length);
      if (h.data_length > 0 && !ReadFull(payload.data(), h.data_length)) break;
      if (h.command == kCmdOpen) {
        while (!payload.empty() && payload.back() == '\0') payload.pop_back();
        Open(h.arg0, payload);
        continue;
      }
      std::shared_ptr<AdbStream> stream;
      {
        absl::MutexLock lock(&mu_);
        auto it = streams_.find(h.arg1);  // arg1 is our (the receiver's) id
        if (it != streams_.end()) stream = it->second;
      }
      if (stream == nullptr) continue;  // unknown or already closed stream: ignore
      if (h.command == kCmdWrte) {
        stream->OnWrite(payload);
      } else if (h.command == kCmdOkay) {
        stream->OnOkay();  // a 4-byte delayed-ack payload is tolerated and ignored
      } else if (h.command == kCmdClse) {
        stream->OnClose();
      }
    }
  }
  // The link is gone: wake every service so it stops, then wait for them to finish.
  shutdown(fd_, SHUT_RDWR);
  absl::MutexLock lock(&mu_);
  for (auto& [id, stream] : streams_) stream->OnClose();
  mu_.Await(absl::Condition(
      +[](int* live) { return *live == 0; }, &live_services_));
}

void DeviceConnection::Open(uint32_t remote_id, std::string service) {
  if (remote_id == 0 || !IsKnownService(service)) {
    spdlog::debug("event=refuse_service service={}", service);
    Send(kCmdClse, 0, remote_id, "");
    return;
  }
  std::shared_ptr<AdbStream> stream;
  {
    absl::MutexLock lock(&mu_);
    const uint32_t local_id = next_local_id_++;
    stream = std::make_shared<AdbStream>(
        local_id, remote_id, max_payload_,
        [this](uint32_t c, uint32_t a0, uint32_t a1, absl::string_view p) { return Send(c, a0, a1, p); });
    streams_[local_id] = stream;
    ++live_services_;
  }
  Send(kCmdOkay, stream->local_id(), remote_id, "");
  std::thread([this, stream, service = std::move(service)] {
    ServiceContext ctx{phone_, pull_cable_};
    RunService(service, *stream, ctx);
    stream->Close();
    absl::MutexLock lock(&mu_);
    streams_.erase(stream->local_id());
    --live_services_;
  }).detach();
}

}  // namespace benchlab::devsim
