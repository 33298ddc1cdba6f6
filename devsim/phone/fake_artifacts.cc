// Builds the fake APK (a real zip: a deflated binary-XML AndroidManifest.xml as aapt
// writes it, stored entries for the rest, so `unzip -l` and `aapt dump xmltree` read it)
// and the fake model bytes.
#include "devsim/phone/fake_artifacts.h"

#include <zlib.h>

#include <array>
#include <random>

#include <functional>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "devsim/phone/binary_xml.h"
#include "devsim/phone/zip_reader.h"

namespace benchlab::devsim {
namespace {

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v & 0xFF));
  s->push_back(static_cast<char>(v >> 8));
}
void Put32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

struct ZipEntry {
  std::string name;
  std::string data;
  bool deflate = false;  // as aapt stores AndroidManifest.xml
};

// Raw deflate (no zlib header), as zip method 8 holds it.
std::string Deflate(absl::string_view in) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string BuildZip(const std::vector<ZipEntry>& entries) {
  std::string out, central;
  const uint16_t kDosTime = 0x5000, kDosDate = 0x5979;  // 2024-11-25 10:00
  for (const ZipEntry& e : entries) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = ZipCrc32(e.data);
    const std::string stored = e.deflate ? Deflate(e.data) : e.data;
    const uint32_t size = static_cast<uint32_t>(e.data.size());
    const uint32_t csize = static_cast<uint32_t>(stored.size());
    const uint16_t method = e.deflate ? 8 : 0;
    const uint16_t needed = e.deflate ? 20 : 10;
    out += "PK\x03\x04";
    Put16(&out, needed);
    Put16(&out, 0);  // flags
    Put16(&out, method);
    Put16(&out, kDosTime);
    Put16(&out, kDosDate);
    Put32(&out, crc);
    Put32(&out, csize);
    Put32(&out, size);
    Put16(&out, static_cast<uint16_t>(e.name.size()));
    Put16(&out, 0);
    out += e.name;
    out += stored;

    central += "PK\x01\x02";
    Put16(&central, 20);  // made by
    Put16(&central, needed);
    Put16(&central, 0);
    Put16(&central, method);
    Put16(&central, kDosTime);
    Put16(&central, kDosDate);
    Put32(&central, crc);
    Put32(&central, csize);
    Put32(&central, size);
    Put16(&central, static_cast<uint16_t>(e.name.size()));
    Put16(&central, 0);  // extra
    Put16(&central, 0);  // comment
    Put16(&central, 0);  // disk
    Put16(&central, 0);  // internal attrs
    Put32(&central, 0);  // external attrs
    Put32(&central, offset);
    central += e.name;
  }
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  out += "PK\x05\x06";
  Put16(&out, 0);
  Put16(&out, 0);
  Put16(&out, static_cast<uint16_t>(entries.size()));
  Put16(&out, static_cast<uint16_t>(entries.size()));
  Put32(&out, static_cast<uint32_t>(central.size()));
  Put32(&out, cd_offset);
  Put16(&out, 0);
  return out;
}

// The benchmark APK's manifest as aapt compiles it (android.R.attr ids from the SDK's
// public.xml): package, versions, uses-sdk and the activity the agent starts.
BinaryXmlElement BenchmarkManifest(absl::string_view package, int min_sdk, int64_t version_code,
                                   absl::string_view version_name, bool debuggable) {
  using Attr = BinaryXmlAttribute;
  auto android_int = [](const char* name, uint32_t id, uint32_t v) {
    return Attr{true, name, id, Attr::Type::kIntDec, "", v};
  };
  auto android_str = [](const char* name, uint32_t id, std::string v) {
    return Attr{true, name, id, Attr::Type::kString, std::move(v), 0};
  };
  BinaryXmlElement activity{"activity",
                            {android_str("name", 0x01010003, ".BenchmarkModelActivity"),
                             Attr{true, "exported", 0x01010010, Attr::Type::kBool, "", 1}},
                            {}};
  std::vector<Attr> app_attrs;
  if (debuggable) app_attrs.push_back(Attr{true, "debuggable", 0x0101000f, Attr::Type::kBool, "", 1});
  BinaryXmlElement application{"application", std::move(app_attrs), {activity}};
  BinaryXmlElement uses_sdk{"uses-sdk",
                            {android_int("minSdkVersion", 0x0101020c, static_cast<uint32_t>(min_sdk)),
                             android_int("targetSdkVersion", 0x01010270, 31)},
                            {}};
  return BinaryXmlElement{"manifest",
                          {android_int("versionCode", 0x0101021b, static_cast<uint32_t>(version_code)),
                           android_str("versionName", 0x0101021c, std::string(version_name)),
                           Attr{false, "package", 0, Attr::Type::kString, std::string(package), 0}},
                          {uses_sdk, application}};
}

std::string SeededBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

}  // namespace

std::string MakeFakeApk(int64_t size_bytes, absl::string_view package, int min_sdk,
                        int64_t version_code, absl::string_view version_name, bool debuggable) {
  if (size_bytes <= 0) size_bytes = 8192;
  std::vector<ZipEntry> entries;
  entries.push_back({"AndroidManifest.xml", WriteBinaryXml(BenchmarkManifest(package, min_sdk, version_code, version_name, debuggable), false), true});
  entries.push_back({"classes.dex", "dex\n035\0fake"});
  const std::string lib = "lib/arm64-v8a/libtensorflowlite_benchmark.so";
  std::string probe = BuildZip(entries);
  // Each stored entry costs 30 + 46 bytes of headers plus its name twice.
  const int64_t overhead = static_cast<int64_t>(probe.size()) + 76 + 2 * lib.size();
  const int64_t pad = std::max<int64_t>(16, size_bytes - overhead);
  entries.push_back({lib, SeededBytes(static_cast<size_t>(pad), 0xA9C)});
  return BuildZip(entries);
}

std::string MakeFakeModel(int64_t size_bytes, uint64_t seed) {
  if (size_bytes < 16) size_bytes = 16;
  std::string s = SeededBytes(static_cast<size_t>(size_bytes), seed ^ 0x7F1173);
  // A flatbuffer starts with the root table offset, then the file identifier.
  s[0] = 0x1c;
  s[1] = s[2] = s[3] = 0;
  s.replace(4, 4, "TFL3");
  return s;
}

absl::StatusOr<std::string> ApkPackageName(absl::string_view apk) {
  auto manifest = ReadZipEntry(apk, "AndroidManifest.xml");
  if (!manifest.ok()) return manifest.status();
  return BinaryManifestPackage(*manifest);
}

namespace {
// After the 64-byte ELF header: "benchlab-devsim-binary flavor=<name>\n".
constexpr absl::string_view kBinaryMarker = "benchlab-devsim-binary flavor=";
constexpr size_t kElfHeaderBytes = 64;
}  // namespace

std::string MakeFakeBinary(absl::string_view flavor, int64_t size_bytes) {
  // ELF64, little-endian, version 1, ET_DYN for AArch64 (e_machine 183): what an Android
  // arm64 executable starts with.
  std::string out("\x7f" "ELF\x02\x01\x01\x00", 8);
  out.resize(16, '\0');
  out += std::string("\x03\x00\xb7\x00\x01\x00\x00\x00", 8);
  out.resize(kElfHeaderBytes, '\0');
  out += absl::StrCat(kBinaryMarker, flavor, "\n");
  const size_t target = size_bytes > 0 ? static_cast<size_t>(size_bytes) : 16384;
  uint64_t x = 0x9e3779b97f4a7c15ULL ^ std::hash<std::string_view>()(std::string_view(flavor.data(), flavor.size()));
  while (out.size() < target) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out.push_back(static_cast<char>(x & 0xff));
  }
  return out;
}

std::string FakeBinaryFlavor(absl::string_view bytes) {
  if (bytes.size() < kElfHeaderBytes + kBinaryMarker.size() || !absl::StartsWith(bytes, "\x7f" "ELF")) return "";
  absl::string_view rest = bytes.substr(kElfHeaderBytes);
  if (!absl::ConsumePrefix(&rest, kBinaryMarker)) return "";
  const size_t nl = rest.find('\n');
  if (nl == absl::string_view::npos || nl > 32) return "";
  return std::string(rest.substr(0, nl));
}

}  // namespace benchlab::devsim
