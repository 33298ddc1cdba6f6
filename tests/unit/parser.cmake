# The logcat line splitter and the benchmark output parser (common/).
benchlab_test(NAME logcat_line_test SOURCES unit/logcat_line_test.cc
  LIBS benchlab_common LABELS unit)
benchlab_test(NAME benchmark_parser_test SOURCES unit/benchmark_parser_test.cc
  LIBS benchlab_common benchlab_testsupport LABELS unit)
benchlab_test(NAME benchmark_capture_test SOURCES unit/benchmark_capture_test.cc
  LIBS benchlab_common LABELS unit)
