// Encoding and decoding of adb transport message headers.
#include "devsim/adb_packet.h"

#include <cstring>

namespace benchlab::devsim {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

std::string EncodePacket(uint32_t command, uint32_t arg0, uint32_t arg1, absl::string_view payload) {
  uint32_t sum = 0;
  for (unsigned char c : payload) sum += c;
  std::string out;
  out.reserve(kHeaderBytes + payload.size());
  PutU32(&out, command);
  PutU32(&out, arg0);
  PutU32(&out, arg1);
  PutU32(&out, static_cast<uint32_t>(payload.size()));
  PutU32(&out, sum);
  PutU32(&out, command ^ 0xffffffffu);
  out.append(payload.data(), payload.size());
  return out;
}

bool DecodeHeader(const char* bytes, AdbHeader* header) {
  header->command = GetU32(bytes);
  header->arg0 = GetU32(bytes + 4);
  header->arg1 = GetU32(bytes + 8);
  header->data_length = GetU32(bytes + 12);
  const uint32_t magic = GetU32(bytes + 20);
  return magic == (header->command ^ 0xffffffffu);
}

std::string CommandName(uint32_t command) {
  std::string name(4, ' ');
  std::memcpy(name.data(), &command, 4);
  return name;
}

}  // namespace benchlab::devsim
