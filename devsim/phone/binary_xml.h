// Android's compiled ("binary", AXML) XML as found in an APK's AndroidManifest.xml: a
// chunk stream (ResChunk_header: type, header size, size) of a string pool (UTF-16 or
// UTF-8), a resource map (attribute name -> android:attr id), namespace and element
// start/end nodes with typed attribute values. Written for devsim's fake APK and read
// the way the platform reads a manifest's `package` and `minSdkVersion`.
#ifndef BENCHLAB_DEVSIM_PHONE_BINARY_XML_H_
#define BENCHLAB_DEVSIM_PHONE_BINARY_XML_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab::devsim {

inline constexpr absl::string_view kAndroidNamespace = "http://schemas.android.com/apk/res/android";

struct BinaryXmlAttribute {
  bool android_ns = false;  // android:NAME (then res_id is its android.R.attr id)
  std::string name;
  uint32_t res_id = 0;
  enum class Type { kString, kIntDec, kBool } type = Type::kString;
  std::string string_value;  // kString
  uint32_t int_value = 0;    // kIntDec, kBool (0 or 1)
};

struct BinaryXmlElement {
  std::string name;
  std::vector<BinaryXmlAttribute> attributes;
  std::vector<BinaryXmlElement> children;
};

// Compiles `root` (which declares xmlns:android) as aapt does; `utf8` picks the string
// pool's encoding (aapt2 writes UTF-8, old aapt UTF-16).
std::string WriteBinaryXml(const BinaryXmlElement& root, bool utf8);

// What the package manager reads from a manifest before installing.
struct BinaryManifest {
  std::string package;           // <manifest package=...>
  int min_sdk = 1;               // <uses-sdk android:minSdkVersion>; 1 when absent, as the platform
  std::string min_sdk_codename;  // a preview codename given instead of a number ("" if none)
  int target_sdk = 0;            // android:targetSdkVersion; 0 when absent (then it is min_sdk)
  int64_t version_code = 0;      // <manifest android:versionCode>; 0 when absent, as the platform
  bool has_version_name = false;  // `dumpsys package` prints versionName=null without one
  std::string version_name;       // <manifest android:versionName>
  // <application android:debuggable="true">: `run-as PKG` works only for such a package.
  bool debuggable = false;
};

// The `package` attribute (no namespace) of the first element, which must be <manifest>,
// its android:versionCode and android:versionName, and the later <uses-sdk>'s
// android:minSdkVersion and android:targetSdkVersion, and <application>'s
// android:debuggable. InvalidArgument says what is wrong
// with the bytes.
absl::StatusOr<BinaryManifest> ReadBinaryManifest(absl::string_view axml);
absl::StatusOr<std::string> BinaryManifestPackage(absl::string_view axml);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_BINARY_XML_H_
