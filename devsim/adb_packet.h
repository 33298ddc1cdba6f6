// adb's transport messages (the 24-byte header plus payload) as the device side sees them.
// Wire facts: AOSP adb protocol.txt and SYNC.TXT Little-endian throughout.
#ifndef BENCHLAB_DEVSIM_ADB_PACKET_H_
#define BENCHLAB_DEVSIM_ADB_PACKET_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace benchlab::devsim {

inline constexpr uint32_t kCmdCnxn = 0x4e584e43;
inline constexpr uint32_t kCmdAuth = 0x48545541;
inline constexpr uint32_t kCmdOpen = 0x4e45504f;
inline constexpr uint32_t kCmdOkay = 0x59414b4f;
inline constexpr uint32_t kCmdClse = 0x45534c43;
inline constexpr uint32_t kCmdWrte = 0x45545257;
inline constexpr uint32_t kCmdStls = 0x534c5453;

inline constexpr uint32_t kAdbVersion = 0x01000001;  // skip-checksum version
inline constexpr uint32_t kDeviceMaxPayload = 256 * 1024;
inline constexpr size_t kHeaderBytes = 24;

struct AdbPacket {
  uint32_t command = 0;
  uint32_t arg0 = 0;
  uint32_t arg1 = 0;
  std::string payload;
};

// The header fields of a packet whose payload has not been read yet.
struct AdbHeader {
  uint32_t command = 0;
  uint32_t arg0 = 0;
  uint32_t arg1 = 0;
  uint32_t data_length = 0;
};

// Serialises header + payload. data_check is the byte sum: peers since 2017 ignore it,
// older ones need it, so it is always filled in.
std::string EncodePacket(uint32_t command, uint32_t arg0, uint32_t arg1, absl::string_view payload);

// Parses 24 header bytes. False when the magic does not match the command (adb treats
// that as fatal and drops the link, as we do).
bool DecodeHeader(const char* bytes, AdbHeader* header);

// "CNXN", "WRTE", ... for logs.
std::string CommandName(uint32_t command);

// Little-endian helpers shared by the services.
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
uint32_t GetU32(const char* p);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_ADB_PACKET_H_
