benchlab_test(NAME shell_quote_test SOURCES unit/shell_quote_test.cc
  LIBS benchlab_common benchlab_testsupport LABELS unit)
benchlab_test(NAME benchmark_flags_test SOURCES unit/benchmark_flags_test.cc
  LIBS benchlab_flags LABELS unit)
benchlab_test(NAME loopback_test SOURCES unit/loopback_test.cc LIBS benchlab_common LABELS unit)
benchlab_test(NAME terminal_text_test SOURCES unit/terminal_text_test.cc LIBS benchlab_common LABELS unit)
benchlab_test(NAME stats_test SOURCES unit/stats_test.cc LIBS benchlab_stats LABELS unit)
# Issue 11: --cpus big|little|all|0xMASK, checked and resolved per phone topology.
benchlab_test(NAME cpu_set_test SOURCES unit/cpu_set_test.cc LIBS benchlab_flags LABELS unit)
