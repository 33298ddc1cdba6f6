# The logcat line splitter and the benchmark output parser (common/).
benchlab_test(NAME logcat_line_test SOURCES unit/logcat_line_test.cc
  LIBS benchlab_common LABELS unit)
