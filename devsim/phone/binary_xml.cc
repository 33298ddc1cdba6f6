// AXML writer and the manifest `package` reader. Layouts are those of the platform's
// ResourceTypes.h (ResChunk_header, ResStringPool_header, ResXMLTree_node/attrExt/
// attribute, Res_value), all little-endian.
#include "devsim/phone/binary_xml.h"

#include <algorithm>
#include <array>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace benchlab::devsim {
namespace {

constexpr uint16_t kResStringPoolType = 0x0001;
constexpr uint16_t kResXmlType = 0x0003;
constexpr uint16_t kResXmlStartNamespaceType = 0x0100;
constexpr uint16_t kResXmlEndNamespaceType = 0x0101;
constexpr uint16_t kResXmlStartElementType = 0x0102;
constexpr uint16_t kResXmlEndElementType = 0x0103;
constexpr uint16_t kResXmlResourceMapType = 0x0180;
constexpr uint32_t kUtf8Flag = 1u << 8;
constexpr uint32_t kNoIndex = 0xFFFFFFFFu;
constexpr uint8_t kTypeString = 0x03, kTypeIntDec = 0x10, kTypeBool = 0x12;

void Put8(std::string* s, uint8_t v) { s->push_back(static_cast<char>(v)); }
void Put16(std::string* s, uint16_t v) {
  Put8(s, v & 0xFF);
  Put8(s, v >> 8);
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, v & 0xFFFF);
  Put16(s, v >> 16);
}

// ASCII/UTF-8 to UTF-16 code units (BMP only: manifests hold names and versions).
std::u16string ToUtf16(absl::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    int extra = c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (extra) cp = c & (extra == 2 ? 0x0F : 0x1F);
    for (int k = 1; k <= extra && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    out.push_back(static_cast<char16_t>(cp));
    i += 1 + static_cast<size_t>(extra);
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The pool's length prefixes: one unit, or two with the high bit set on the first.
void PutLength8(std::string* s, size_t n) {
  if (n > 0x7F) Put8(s, static_cast<uint8_t>(0x80 | (n >> 8)));
  Put8(s, static_cast<uint8_t>(n & 0xFF));
}
void PutLength16(std::string* s, size_t n) {
  if (n > 0x7FFF) Put16(s, static_cast<uint16_t>(0x8000 | (n >> 16)));
  Put16(s, static_cast<uint16_t>(n & 0xFFFF));
}

class Writer {
 public:
  explicit Writer(bool utf8) : utf8_(utf8) {}

  std::string Write(const BinaryXmlElement& root) {
    // Attribute names with an android id first: the resource map pairs index i with ids[i].
    CollectAttributeIds(root);
    const uint32_t prefix = Intern("android"), uri = Intern(std::string(kAndroidNamespace));
    std::string body;
    Node(&body, kResXmlStartNamespaceType, [&](std::string* s) {
      Put32(s, prefix);
      Put32(s, uri);
    });
    Element(root, uri, &body);
    Node(&body, kResXmlEndNamespaceType, [&](std::string* s) {
      Put32(s, prefix);
      Put32(s, uri);
    });
    std::string map;
    Put16(&map, kResXmlResourceMapType);
    Put16(&map, 8);
    Put32(&map, static_cast<uint32_t>(8 + 4 * id_order_.size()));
    for (uint32_t id : id_order_) Put32(&map, id);

    std::string chunks = StringPool() + map + body;
    std::string out;
    Put16(&out, kResXmlType);
    Put16(&out, 8);
    Put32(&out, static_cast<uint32_t>(8 + chunks.size()));
    return out + chunks;
  }

 private:
  void CollectAttributeIds(const BinaryXmlElement& e) {
    for (const BinaryXmlAttribute& a : e.attributes) {
      if (a.android_ns && !index_.contains(a.name)) {
        Intern(a.name);
        id_order_.push_back(a.res_id);
      }
    }
    for (const BinaryXmlElement& c : e.children) CollectAttributeIds(c);
  }

  uint32_t Intern(const std::string& s) {
    auto [it, added] = index_.emplace(s, static_cast<uint32_t>(strings_.size()));
    if (added) strings_.push_back(s);
    return it->second;
  }

  template <typename F>
  void Node(std::string* out, uint16_t type, F ext) {
    std::string e;
    ext(&e);
    Put16(out, type);
    Put16(out, 16);  // ResXMLTree_node: header, lineNumber, comment
    Put32(out, static_cast<uint32_t>(16 + e.size()));
    Put32(out, ++line_);
    Put32(out, kNoIndex);
    out->append(e);
  }

  void Element(const BinaryXmlElement& e, uint32_t uri, std::string* out) {
    const uint32_t name = Intern(e.name);
    std::vector<std::array<uint32_t, 5>> attrs;  // ns, name, raw, type, data
    for (const BinaryXmlAttribute& a : e.attributes) {
      const uint32_t ns = a.android_ns ? uri : kNoIndex;
      const uint32_t an = Intern(a.name);
      switch (a.type) {
        case BinaryXmlAttribute::Type::kString: {
          const uint32_t v = Intern(a.string_value);
          attrs.push_back({ns, an, v, kTypeString, v});
          break;
        }
        case BinaryXmlAttribute::Type::kIntDec:
          attrs.push_back({ns, an, kNoIndex, kTypeIntDec, a.int_value});
          break;
        case BinaryXmlAttribute::Type::kBool:
          attrs.push_back({ns, an, kNoIndex, kTypeBool, a.int_value ? 0xFFFFFFFFu : 0u});
          break;
      }
    }
    Node(out, kResXmlStartElementType, [&](std::string* s) {
      Put32(s, kNoIndex);  // element namespace
      Put32(s, name);
      Put16(s, 20);  // attributeStart, from the start of this extension
      Put16(s, 20);  // attributeSize
      Put16(s, static_cast<uint16_t>(attrs.size()));
      Put16(s, 0);  // idIndex
      Put16(s, 0);  // classIndex
      Put16(s, 0);  // styleIndex
      for (const auto& a : attrs) {
        Put32(s, a[0]);
        Put32(s, a[1]);
        Put32(s, a[2]);
        Put16(s, 8);  // Res_value.size
        Put8(s, 0);   // res0
        Put8(s, static_cast<uint8_t>(a[3]));
        Put32(s, a[4]);
      }
    });
    for (const BinaryXmlElement& c : e.children) Element(c, uri, out);
    Node(out, kResXmlEndElementType, [&](std::string* s) {
      Put32(s, kNoIndex);
      Put32(s, name);
    });
  }

  std::string StringPool() const {
    std::string data;
    std::vector<uint32_t> offsets;
    for (const std::string& s : strings_) {
      offsets.push_back(static_cast<uint32_t>(data.size()));
      const std::u16string u16 = ToUtf16(s);
      if (utf8_) {
        PutLength8(&data, u16.size());
        PutLength8(&data, s.size());
        data += s;
        Put8(&data, 0);
      } else {
        PutLength16(&data, u16.size());
        for (char16_t c : u16) Put16(&data, static_cast<uint16_t>(c));
        Put16(&data, 0);
      }
    }
    while (data.size() % 4 != 0) data.push_back('\0');
    const uint32_t header = 28;
    const uint32_t strings_start = header + 4 * static_cast<uint32_t>(strings_.size());
    std::string out;
    Put16(&out, kResStringPoolType);
    Put16(&out, header);
    Put32(&out, strings_start + static_cast<uint32_t>(data.size()));
    Put32(&out, static_cast<uint32_t>(strings_.size()));
    Put32(&out, 0);  // styleCount
    Put32(&out, utf8_ ? kUtf8Flag : 0);
    Put32(&out, strings_start);
    Put32(&out, 0);  // stylesStart
    for (uint32_t o : offsets) Put32(&out, o);
    return out + data;
  }

  const bool utf8_;
  std::vector<std::string> strings_;
  std::map<std::string, uint32_t> index_;
  std::vector<uint32_t> id_order_;
  uint32_t line_ = 0;
};

// ---- Reading ----

class Bytes {
 public:
  explicit Bytes(absl::string_view b) : b_(b) {}
  size_t size() const { return b_.size(); }
  bool Has(size_t at, size_t n) const { return at <= b_.size() && n <= b_.size() - at; }
  uint8_t U8(size_t at) const { return static_cast<uint8_t>(b_[at]); }
  uint16_t U16(size_t at) const { return static_cast<uint16_t>(U8(at) | (U8(at + 1) << 8)); }
  uint32_t U32(size_t at) const { return U16(at) | (static_cast<uint32_t>(U16(at + 2)) << 16); }

 private:
  absl::string_view b_;
};

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("binary XML: ", why));
}

struct StringPoolView {
  size_t start = 0;  // of the chunk
  uint32_t count = 0;
  bool utf8 = false;
  size_t strings = 0;  // absolute offset of the string data
  size_t end = 0;

  absl::StatusOr<std::string> Get(const Bytes& b, uint32_t i) const {
    if (i >= count) return Malformed(absl::StrCat("string index ", i, " past the pool's ", count));
    size_t at = strings + b.U32(start + 28 + 4 * i);
    std::string out;
    if (utf8) {
      for (int skip = 0; skip < 2; ++skip) {  // the UTF-16 length, then the UTF-8 length
        if (!b.Has(at, 1)) return Malformed("string past the pool");
        size_t n = b.U8(at++);
        if (n & 0x80) {
          if (!b.Has(at, 1)) return Malformed("string past the pool");
          n = ((n & 0x7F) << 8) | b.U8(at++);
        }
        if (skip == 1) {
          if (at + n > end) return Malformed("string past the pool");
          for (size_t k = 0; k < n; ++k) out.push_back(static_cast<char>(b.U8(at + k)));
        }
      }
      return out;
    }
    if (!b.Has(at, 2)) return Malformed("string past the pool");
    size_t n = b.U16(at);
    at += 2;
    if (n & 0x8000) {
      if (!b.Has(at, 2)) return Malformed("string past the pool");
      n = ((n & 0x7FFF) << 16) | b.U16(at);
      at += 2;
    }
    if (at + 2 * n > end) return Malformed("string past the pool");
    for (size_t k = 0; k < n; ++k) AppendUtf8(b.U16(at + 2 * k), &out);
    return out;
  }
};

}  // namespace

std::string WriteBinaryXml(const BinaryXmlElement& root, bool utf8) {
  return Writer(utf8).Write(root);
}

absl::StatusOr<BinaryManifest> ReadBinaryManifest(absl::string_view axml) {
  const Bytes b(axml);
  if (!b.Has(0, 8) || b.U16(0) != kResXmlType) {
    return Malformed("no RES_XML_TYPE header (a text manifest, or not a manifest at all)");
  }
  const size_t end = std::min<size_t>(b.U32(4), b.size());
  size_t pos = b.U16(2);
  StringPoolView pool;
  bool have_pool = false;
  bool have_manifest = false;
  BinaryManifest out;
  while (pos + 8 <= end) {
    const uint16_t type = b.U16(pos);
    const uint16_t header = b.U16(pos + 2);
    const uint32_t size = b.U32(pos + 4);
    if (header < 8 || size < header || pos + size > end) {
      return Malformed(absl::StrCat("bad chunk at byte ", pos));
    }
    if (type == kResStringPoolType && !have_pool) {
      if (header < 28) return Malformed("short string pool header");
      pool.start = pos;
      pool.count = b.U32(pos + 8);
      pool.utf8 = (b.U32(pos + 16) & kUtf8Flag) != 0;
      pool.strings = pos + b.U32(pos + 20);
      pool.end = pos + size;
      if (28 + 4 * static_cast<uint64_t>(pool.count) > size || pool.strings > pool.end) {
        return Malformed("string pool offsets past the chunk");
      }
      have_pool = true;
    } else if (type == kResXmlStartElementType) {
      if (!have_pool) return Malformed("element before the string pool");
      const size_t ext = pos + header;
      if (ext + 20 > pos + size) return Malformed("short element");
      auto name = pool.Get(b, b.U32(ext + 4));
      if (!name.ok()) return name.status();
      // The platform's parser wants <manifest> as the first element.
      if (!have_manifest && *name != "manifest") {
        return Malformed(absl::StrCat("first element is <", *name, ">, not <manifest>"));
      }
      const bool is_manifest = !have_manifest;
      const bool is_uses_sdk = have_manifest && *name == "uses-sdk";
      const bool is_application = have_manifest && *name == "application";
      const uint16_t attr_start = b.U16(ext + 8), attr_size = b.U16(ext + 10);
      const uint16_t attr_count = b.U16(ext + 12);
      bool have_package = false;
      for (uint16_t i = 0; i < attr_count && (is_manifest || is_uses_sdk || is_application); ++i) {
        const size_t a = ext + attr_start + static_cast<size_t>(i) * attr_size;
        if (attr_size < 20 || a + 20 > pos + size) return Malformed("attribute past the element");
        auto attr = pool.Get(b, b.U32(a + 4));
        if (!attr.ok()) return attr.status();
        if (is_manifest && b.U32(a) != kNoIndex) {
          // android:versionCode (an integer) and android:versionName (a string).
          if (*attr == "versionCode" && b.U8(a + 15) == kTypeIntDec) {
            out.version_code = b.U32(a + 16);
          } else if (*attr == "versionName" &&
                     (b.U32(a + 8) != kNoIndex || b.U8(a + 15) == kTypeString)) {
            auto v = pool.Get(b, b.U32(a + 8) != kNoIndex ? b.U32(a + 8) : b.U32(a + 16));
            if (!v.ok()) return v.status();
            out.version_name = *v;
            out.has_version_name = true;
          }
          continue;
        }
        if (is_application) {
          // android:debuggable, a boolean (aapt: TYPE_INT_BOOLEAN, 0 or 0xffffffff).
          if (b.U32(a) != kNoIndex && *attr == "debuggable" && b.U8(a + 15) == kTypeBool) {
            out.debuggable = b.U32(a + 16) != 0;
          }
          continue;
        }
        if (is_manifest) {
          if (*attr != "package") continue;  // `package` has no namespace
          if (b.U32(a + 8) != kNoIndex) {
            auto v = pool.Get(b, b.U32(a + 8));
            if (!v.ok()) return v.status();
            out.package = *v;
          } else if (b.U8(a + 15) == kTypeString) {
            auto v = pool.Get(b, b.U32(a + 16));
            if (!v.ok()) return v.status();
            out.package = *v;
          } else {
            return Malformed("<manifest> package is not a string");
          }
          have_package = true;
        } else if (b.U32(a) != kNoIndex && *attr == "targetSdkVersion" &&
                   b.U8(a + 15) == kTypeIntDec) {
          out.target_sdk = static_cast<int>(b.U32(a + 16));
        } else if (b.U32(a) != kNoIndex && *attr == "minSdkVersion") {
          // android:minSdkVersion: an integer, or a codename string (a preview SDK).
          if (b.U8(a + 15) == kTypeIntDec) {
            out.min_sdk = static_cast<int>(b.U32(a + 16));
          } else if (b.U32(a + 8) != kNoIndex || b.U8(a + 15) == kTypeString) {
            auto v = pool.Get(b, b.U32(a + 8) != kNoIndex ? b.U32(a + 8) : b.U32(a + 16));
            if (!v.ok()) return v.status();
            out.min_sdk_codename = *v;
          }
        }
      }
      if (is_manifest) {
        if (!have_package) return Malformed("<manifest> has no package attribute");
        have_manifest = true;
      }
    }
    pos += size;
  }
  if (!have_manifest) return Malformed("no <manifest> element");
  return out;
}

absl::StatusOr<std::string> BinaryManifestPackage(absl::string_view axml) {
  absl::StatusOr<BinaryManifest> m = ReadBinaryManifest(axml);
  if (!m.ok()) return m.status();
  return m->package;
}

}  // namespace benchlab::devsim
