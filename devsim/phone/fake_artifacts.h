// Fake artifacts for demos and tests: a "benchmark APK" that the simulated package manager
// accepts and a "model" the simulated benchmark app loads. Neither runs anywhere; they
// only have the bytes the simulator checks.
#ifndef BENCHLAB_DEVSIM_PHONE_FAKE_ARTIFACTS_H_
#define BENCHLAB_DEVSIM_PHONE_FAKE_ARTIFACTS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab::devsim {

inline constexpr absl::string_view kBenchmarkPackage = "org.tensorflow.lite.benchmark";

// A valid zip file: a deflated AndroidManifest.xml in compiled binary XML (UTF-16 string
// pool, as aapt writes it) declaring `package`, `version_code`, `min_sdk` (23 like the
// real benchmark APK) and
// .BenchmarkModelActivity, a stub classes.dex and a stored native-library entry padded so
// the whole file is about `size_bytes` (0 = about 8 KB; at least the minimum that fits).
// Deterministic for the same arguments.
inline constexpr int kBenchmarkApkMinSdk = 23;
// `version_code` and `version_name` are the manifest's android:versionCode/versionName
// (`dumpsys package` shows them). `debuggable` is <application android:debuggable>, true
// as in the real benchmark APK (what lets `run-as` read its files).
inline constexpr int64_t kBenchmarkApkVersionCode = 1;
inline constexpr absl::string_view kBenchmarkApkVersionName = "devsim";
std::string MakeFakeApk(int64_t size_bytes = 0, absl::string_view package = kBenchmarkPackage,
                        int min_sdk = kBenchmarkApkMinSdk,
                        int64_t version_code = kBenchmarkApkVersionCode,
                        absl::string_view version_name = kBenchmarkApkVersionName,
                        bool debuggable = true);

// `size_bytes` (at least 16) bytes that look like a TFLite flatbuffer: a root offset at
// 0..4 and "TFL3" at offset 4, then seeded pseudo-random bytes.
std::string MakeFakeModel(int64_t size_bytes, uint64_t seed);

// A fake native benchmark binary: an ELF header (so `file` and people see an executable),
// a marker naming the flavor ("tflite": the classic benchmark_model, "litert": the LiteRT
// CompiledModel one) and seeded padding to about `size_bytes` (0 = 16 KB). devsim's shell
// runs it as that tool (native_tool.cc) once it is executable.
std::string MakeFakeBinary(absl::string_view flavor, int64_t size_bytes = 0);
// The flavor a file's bytes declare ("tflite", "litert"), or "" when they are no devsim
// binary.
std::string FakeBinaryFlavor(absl::string_view bytes);

// The package an APK declares, read as the platform does: AndroidManifest.xml through the
// zip's central directory (inflated when deflated), then the `package` attribute of the
// binary XML's <manifest>. NotFound: no manifest entry; InvalidArgument: the zip or the
// binary XML is malformed (the message says where).
absl::StatusOr<std::string> ApkPackageName(absl::string_view apk);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_FAKE_ARTIFACTS_H_
