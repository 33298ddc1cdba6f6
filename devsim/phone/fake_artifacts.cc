// Builds the fake APK (a real zip with stored entries, so `unzip -l` lists it) and the
// fake model bytes.
#include "devsim/phone/fake_artifacts.h"

#include <array>
#include <random>

#include "absl/strings/str_cat.h"

namespace benchlab::devsim {
namespace {

uint32_t Crc32(absl::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char ch : data) crc = table[(crc ^ ch) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

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
};

std::string BuildZip(const std::vector<ZipEntry>& entries) {
  std::string out, central;
  const uint16_t kDosTime = 0x5000, kDosDate = 0x5979;  // 2024-11-25 10:00
  for (const ZipEntry& e : entries) {
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = Crc32(e.data);
    const uint32_t size = static_cast<uint32_t>(e.data.size());
    out += "PK\x03\x04";
    Put16(&out, 10);  // version needed
    Put16(&out, 0);   // flags
    Put16(&out, 0);   // stored
    Put16(&out, kDosTime);
    Put16(&out, kDosDate);
    Put32(&out, crc);
    Put32(&out, size);
    Put32(&out, size);
    Put16(&out, static_cast<uint16_t>(e.name.size()));
    Put16(&out, 0);
    out += e.name;
    out += e.data;

    central += "PK\x01\x02";
    Put16(&central, 20);  // made by
    Put16(&central, 10);
    Put16(&central, 0);
    Put16(&central, 0);
    Put16(&central, kDosTime);
    Put16(&central, kDosDate);
    Put32(&central, crc);
    Put32(&central, size);
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

std::string MakeFakeApk(int64_t size_bytes, absl::string_view package) {
  if (size_bytes <= 0) size_bytes = 8192;
  std::vector<ZipEntry> entries;
  entries.push_back(
      {"AndroidManifest.xml",
       absl::StrCat("<!-- benchlab-devsim fake APK -->\npackage: ", package,
                    "\nversionCode: 1\nversionName: devsim\nminSdk: 23\ntargetSdk: 31\n"
                    "activity: .BenchmarkModelActivity\n")});
  entries.push_back({"classes.dex", "dex\n035\0fake"});
  const std::string lib = "lib/arm64-v8a/libtensorflowlite_benchmark.so";
  std::string probe = BuildZip(entries);
  // Each entry costs 30 + 46 bytes of headers plus its name twice.
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

std::string ApkPackageName(absl::string_view apk) {
  constexpr absl::string_view kMarker = "package: ";
  size_t pos = apk.find(kMarker);
  if (pos == absl::string_view::npos) return "";
  pos += kMarker.size();
  size_t end = pos;
  while (end < apk.size() && (std::isalnum(static_cast<unsigned char>(apk[end])) ||
                              apk[end] == '.' || apk[end] == '_')) {
    ++end;
  }
  return std::string(apk.substr(pos, end - pos));
}

}  // namespace benchlab::devsim
