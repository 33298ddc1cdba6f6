// Reads one entry of a zip file (an APK) as the platform does: through the central
// directory at the end, not by scanning local headers; stored and deflated entries.
#ifndef BENCHLAB_DEVSIM_PHONE_ZIP_READER_H_
#define BENCHLAB_DEVSIM_PHONE_ZIP_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab::devsim {

// The uncompressed bytes of entry `name`. NotFound when the zip has no such entry;
// InvalidArgument (naming the problem) when the bytes are no readable zip, the entry's
// method is neither stored nor deflate, or its CRC-32 does not match.
absl::StatusOr<std::string> ReadZipEntry(absl::string_view zip, absl::string_view name);

// The zip's CRC-32 (zlib's), for writers.
uint32_t ZipCrc32(absl::string_view data);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_ZIP_READER_H_
