benchlab_test(NAME shell_quote_test SOURCES unit/shell_quote_test.cc
  LIBS benchlab_common benchlab_testsupport LABELS unit)
