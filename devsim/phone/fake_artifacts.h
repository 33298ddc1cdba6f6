// Fake artifacts for demos and tests: a "benchmark APK" that the simulated package manager
// accepts and a "model" the simulated benchmark app loads. Neither runs anywhere; they
// only have the bytes the simulator checks.
#ifndef BENCHLAB_DEVSIM_PHONE_FAKE_ARTIFACTS_H_
#define BENCHLAB_DEVSIM_PHONE_FAKE_ARTIFACTS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace benchlab::devsim {

inline constexpr absl::string_view kBenchmarkPackage = "org.tensorflow.lite.benchmark";

// A valid (stored, uncompressed) zip file: starts with "PK\x03\x04" and holds
// AndroidManifest.xml whose text contains "package: <package>", plus a native-library
// entry padded so the whole file is about `size_bytes` (0 = about 8 KB; at least the
// minimum that fits). Deterministic for the same arguments.
std::string MakeFakeApk(int64_t size_bytes = 0, absl::string_view package = kBenchmarkPackage);

// `size_bytes` (at least 16) bytes that look like a TFLite flatbuffer: a root offset at
// 0..4 and "TFL3" at offset 4, then seeded pseudo-random bytes.
std::string MakeFakeModel(int64_t size_bytes, uint64_t seed);

// The package name declared in APK bytes ("package: NAME" anywhere in the file), or ""
// if there is none. Used by the simulated package manager.
std::string ApkPackageName(absl::string_view apk);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_FAKE_ARTIFACTS_H_
