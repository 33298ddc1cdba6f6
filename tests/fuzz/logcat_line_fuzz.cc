// libFuzzer: ParseLogcatLine on any bytes must not crash, and every view it returns must
// lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/logcat_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view line(reinterpret_cast<const char*>(data), size);
  benchlab::LogcatLine l;
  benchlab::ParseLogcatLine(line, &l);
  for (absl::string_view v : {l.timestamp, l.tag, l.package, l.message}) {
    if (v.empty()) continue;
    if (v.data() < line.data() || v.data() + v.size() > line.data() + line.size()) std::abort();
  }
  return 0;
}
