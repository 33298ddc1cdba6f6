// End of central directory -> central directory entry -> local header -> data, then
// zlib's raw inflate for method 8. Zip64 is not needed for APKs devsim sees.
#include "devsim/phone/zip_reader.h"

#include <zlib.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace benchlab::devsim {
namespace {

uint16_t U16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) | (static_cast<uint8_t>(b[at + 1]) << 8));
}
uint32_t U32(absl::string_view b, size_t at) {
  return U16(b, at) | (static_cast<uint32_t>(U16(b, at + 2)) << 16);
}

absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("zip: ", why));
}

absl::StatusOr<std::string> Inflate(absl::string_view in, size_t expected) {
  std::string out(expected, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return absl::InternalError("zlib: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const size_t produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != expected) {
    return Bad(absl::StrCat("deflated data is corrupt (zlib ", rc, ", ", produced, " of ",
                            expected, " bytes)"));
  }
  return out;
}

}  // namespace

uint32_t ZipCrc32(absl::string_view data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

absl::StatusOr<std::string> ReadZipEntry(absl::string_view zip, absl::string_view name) {
  // The end record is the last 22 bytes unless a comment (up to 64 KiB) follows it.
  constexpr size_t kEocd = 22;
  if (zip.size() < kEocd) return Bad("too short for an end of central directory");
  size_t eocd = std::string_view::npos;
  const size_t lowest = zip.size() > kEocd + 0xFFFF ? zip.size() - kEocd - 0xFFFF : 0;
  for (size_t at = zip.size() - kEocd + 1; at-- > lowest;) {
    if (zip.compare(at, 4, "PK\x05\x06") == 0 && at + kEocd + U16(zip, at + 20) == zip.size()) {
      eocd = at;
      break;
    }
  }
  if (eocd == std::string_view::npos) return Bad("no end of central directory record");
  const uint16_t count = U16(zip, eocd + 10);
  const uint32_t cd_size = U32(zip, eocd + 12), cd_offset = U32(zip, eocd + 16);
  if (static_cast<uint64_t>(cd_offset) + cd_size > eocd) return Bad("central directory past its end record");
  size_t at = cd_offset;
  for (uint16_t i = 0; i < count; ++i) {
    if (at + 46 > eocd || zip.compare(at, 4, "PK\x01\x02") != 0) {
      return Bad(absl::StrCat("central directory entry ", i, " is damaged"));
    }
    const uint16_t method = U16(zip, at + 10);
    const uint32_t crc = U32(zip, at + 16);
    const uint32_t csize = U32(zip, at + 20), usize = U32(zip, at + 24);
    const uint16_t nlen = U16(zip, at + 28), elen = U16(zip, at + 30), clen = U16(zip, at + 32);
    const uint32_t local = U32(zip, at + 42);
    if (at + 46 + nlen > eocd) return Bad("entry name past the central directory");
    if (zip.substr(at + 46, nlen) != name) {
      at += 46 + nlen + elen + clen;
      continue;
    }
    if (static_cast<uint64_t>(local) + 30 > zip.size() || zip.compare(local, 4, "PK\x03\x04") != 0) {
      return Bad(absl::StrCat(name, ": local header missing"));
    }
    const size_t data = local + 30 + U16(zip, local + 26) + U16(zip, local + 28);
    if (data + csize > zip.size()) return Bad(absl::StrCat(name, ": data past the end"));
    absl::string_view raw = zip.substr(data, csize);
    std::string bytes;
    if (method == 0) {
      if (csize != usize) return Bad(absl::StrCat(name, ": stored with two sizes"));
      bytes = std::string(raw);
    } else if (method == 8) {
      auto inflated = Inflate(raw, usize);
      if (!inflated.ok()) return inflated.status();
      bytes = std::move(*inflated);
    } else {
      return Bad(absl::StrCat(name, ": compression method ", method, " (only 0 and 8 exist in APKs)"));
    }
    if (ZipCrc32(bytes) != crc) return Bad(absl::StrCat(name, ": CRC-32 mismatch"));
    return bytes;
  }
  return absl::NotFoundError(absl::StrCat("zip has no entry ", name));
}

}  // namespace benchlab::devsim
