// Pure codecs of the adb host protocol, with no I/O: request framing, FAIL-reason
// mapping, devices-l parsing, and the shell-v2 and sync record parsers. Kept apart from
// the client so unit tests (and fuzzers) can drive them with arbitrary chunkings.
#ifndef BENCHLAB_AGENT_ADB_ADB_PROTOCOL_H_
#define BENCHLAB_AGENT_ADB_ADB_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/adb/adb_client.h"

namespace benchlab::adb {

// "000Chost:version" for "host:version". InvalidArgument when longer than 65535 bytes.
absl::StatusOr<std::string> FrameRequest(absl::string_view payload);

// Parses the hex4 length prefix ("0029" -> 41); -1 when not 4 hex digits.
int ParseHex4(absl::string_view hex4);

// Turns a server FAIL reason into a Status a person can act on. `what` names the device
// or request ("device 127.0.0.1:40001").
absl::Status FailToStatus(absl::string_view what, absl::string_view reason);

// Parses one devices-l line (from the right: transport_id is last). False when malformed.
bool ParseDevicesLine(absl::string_view line, AdbDevice* out);
// Parses a whole host:devices-l payload (several lines, maybe empty); skips bad lines.
std::vector<AdbDevice> ParseDevicesList(absl::string_view payload);

// Shell protocol v2 packet reassembly. Not thread-safe; one reader feeds it.
class ShellV2Parser {
 public:
  enum Id : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2, kExit = 3, kCloseStdin = 4 };
  // Feeds any chunk; calls on_packet(uint8_t id, absl::string_view payload) for every
  // complete packet. Large stdout/stderr packets are delivered in pieces as they arrive
  // (same id), so memory stays bounded.
  template <typename OnPacket>
  void Feed(absl::string_view bytes, OnPacket&& on_packet);
  // True when the stream ended in the middle of a packet.
  bool mid_packet() const { return header_.size() != 0 || remaining_ != 0; }

 private:
  std::string header_;  // partial 5-byte header
  uint8_t id_ = 0;
  uint32_t remaining_ = 0;
  std::string exit_payload_;
};

template <typename OnPacket>
void ShellV2Parser::Feed(absl::string_view bytes, OnPacket&& on_packet) {
  while (!bytes.empty()) {
    if (remaining_ == 0 && header_.size() < 5) {
      size_t take = std::min<size_t>(5 - header_.size(), bytes.size());
      header_.append(bytes.data(), take);
      bytes.remove_prefix(take);
      if (header_.size() < 5) return;
      id_ = static_cast<uint8_t>(header_[0]);
      remaining_ = static_cast<uint32_t>(static_cast<uint8_t>(header_[1])) |
                   static_cast<uint32_t>(static_cast<uint8_t>(header_[2])) << 8 |
                   static_cast<uint32_t>(static_cast<uint8_t>(header_[3])) << 16 |
                   static_cast<uint32_t>(static_cast<uint8_t>(header_[4])) << 24;
      header_.clear();
      if (remaining_ == 0) {
        on_packet(id_, absl::string_view());
        continue;
      }
    }
    size_t take = std::min<size_t>(remaining_, bytes.size());
    remaining_ -= static_cast<uint32_t>(take);
    if (id_ == kExit) {
      exit_payload_.append(bytes.data(), take);
      if (remaining_ == 0) {
        std::string p = std::move(exit_payload_);
        exit_payload_.clear();
        on_packet(id_, absl::string_view(p));
      }
    } else {
      on_packet(id_, bytes.substr(0, take));
    }
    bytes.remove_prefix(take);
  }
}

// Little-endian helpers for sync records.
void PutU32(std::string* out, uint32_t v);
uint32_t GetU32(const char* p);
uint64_t GetU64(const char* p);
// "SEND" + u32 len + payload.
void AppendSyncRequest(std::string* out, absl::string_view id, absl::string_view payload);

}  // namespace benchlab::adb

#endif  // BENCHLAB_AGENT_ADB_ADB_PROTOCOL_H_
