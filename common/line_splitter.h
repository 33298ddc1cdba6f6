// Splits a byte stream that arrives in arbitrary chunks (adb WRTE payloads, 64 KiB reads)
// into lines, without copying a line unless it straddles two chunks.
#ifndef BENCHLAB_COMMON_LINE_SPLITTER_H_
#define BENCHLAB_COMMON_LINE_SPLITTER_H_

#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace benchlab {

// Not thread-safe: one reader thread feeds it. Lines are passed without their "\n"
// (a "\r" before it is left for the consumer; ParseLogcatLine strips it).
class LineSplitter {
 public:
  // Calls on_line(absl::string_view) for every complete line in `bytes`; keeps the
  // unfinished tail for the next call. The view is valid only during the call.
  template <typename OnLine>
  void Feed(absl::string_view bytes, OnLine&& on_line) {
    while (!bytes.empty()) {
      const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
      if (nl == nullptr) {
        partial_.append(bytes.data(), bytes.size());
        return;
      }
      size_t len = static_cast<size_t>(static_cast<const char*>(nl) - bytes.data());
      if (partial_.empty()) {
        on_line(bytes.substr(0, len));
      } else {
        partial_.append(bytes.data(), len);
        std::string line = std::move(partial_);
        partial_.clear();
        on_line(absl::string_view(line));
      }
      bytes.remove_prefix(len + 1);
    }
  }

  // End of stream: passes the unfinished last line, if any.
  template <typename OnLine>
  void Flush(OnLine&& on_line) {
    if (partial_.empty()) return;
    std::string line = std::move(partial_);
    partial_.clear();
    on_line(absl::string_view(line));
  }

  // Bytes held of an unfinished line.
  size_t pending_bytes() const { return partial_.size(); }

 private:
  std::string partial_;
};

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_LINE_SPLITTER_H_
