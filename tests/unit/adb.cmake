benchlab_test(NAME adb_client_test SOURCES unit/adb_client_test.cc
  LIBS benchlab_adb benchlab_testsupport LABELS unit)
