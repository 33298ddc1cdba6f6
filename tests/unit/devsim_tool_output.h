// Test helper: what benchlab's parser makes of a devsim tool's stdout and stderr.
#ifndef BENCHLAB_TESTS_UNIT_DEVSIM_TOOL_OUTPUT_H_
#define BENCHLAB_TESTS_UNIT_DEVSIM_TOOL_OUTPUT_H_

#include "common/benchmark_parser.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {

inline BenchmarkResult ParseToolOutput(const ShResult& r) {
  BenchmarkParser parser;
  parser.FeedBytes(r.out);
  parser.FeedBytes(r.err);
  parser.Finish();
  return parser.result();
}

}  // namespace benchlab::devsim

#endif  // BENCHLAB_TESTS_UNIT_DEVSIM_TOOL_OUTPUT_H_
