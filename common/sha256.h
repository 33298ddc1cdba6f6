// SHA-256 of files and buffers as lower-case hex: artifacts are named by it everywhere
// (coordinator store, agent cache, the model's file name on the phone); MD5 of a file for
// old phones that have no sha256sum.
#ifndef BENCHLAB_COMMON_SHA256_H_
#define BENCHLAB_COMMON_SHA256_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab {

struct FileDigest {
  std::string sha256;  // 64 lower-case hex digits
  uint64_t size_bytes = 0;
};

// Reads the whole file in 1 MiB blocks. NotFound / PermissionDenied name the path.
absl::StatusOr<FileDigest> Sha256File(const std::string& path);

std::string Sha256Hex(absl::string_view data);

// MD5 of a file as 32 lower-case hex digits: only to compare with what a phone whose only
// hash tool is md5sum / toolbox md5 (Android 5.x-7.x) says of its copy.
absl::StatusOr<std::string> Md5FileHex(const std::string& path);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_SHA256_H_
