benchlab_test(NAME devsim_adb_test SOURCES integration/devsim_adb_test.cc
  LIBS benchlab_testsupport absl::strings LABELS integration TIMEOUT 240)
