// libFuzzer: the benchmark parser fed any bytes (in two chunks split at the first byte's
// value, to exercise the partial-line path) must not crash, and its result must format
// as JSON and as a table.
#include <cstddef>
#include <cstdint>

#include "common/benchmark_parser.h"
#include "common/metrics_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  benchlab::BenchmarkParserOptions options;
  options.max_kept_lines = 64;
  benchlab::BenchmarkParser parser(options);
  parser.FeedBytes(input.substr(0, cut));
  parser.FeedBytes(input.substr(cut));
  parser.Finish();
  (void)benchlab::FormatBenchmarkJson(parser.result());
  (void)benchlab::FormatBenchmarkTable(parser.result());
  return 0;
}
