// libFuzzer: devsim's adb transport codec. Any 24 header bytes either fail DecodeHeader or
// decode to fields that EncodePacket writes back to the same header (magic and payload
// length included), and CommandName names any command without crashing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "devsim/adb_packet.h"

using benchlab::devsim::AdbHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < benchlab::devsim::kHeaderBytes) return 0;
  const char* bytes = reinterpret_cast<const char*>(data);
  AdbHeader h;
  (void)benchlab::devsim::CommandName(benchlab::devsim::GetU32(bytes));
  if (!benchlab::devsim::DecodeHeader(bytes, &h)) return 0;
  // The payload is whatever follows, cut to the length the header claims.
  std::string payload(bytes + benchlab::devsim::kHeaderBytes,
                      std::min<size_t>(size - benchlab::devsim::kHeaderBytes, h.data_length));
  std::string encoded = benchlab::devsim::EncodePacket(h.command, h.arg0, h.arg1, payload);
  AdbHeader again;
  if (!benchlab::devsim::DecodeHeader(encoded.data(), &again)) std::abort();
  if (again.command != h.command || again.arg0 != h.arg0 || again.arg1 != h.arg1 ||
      again.data_length != payload.size() ||
      encoded.size() != benchlab::devsim::kHeaderBytes + payload.size()) {
    std::abort();
  }
  return 0;
}
