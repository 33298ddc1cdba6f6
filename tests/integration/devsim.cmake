benchlab_test(NAME devsim_adb_test SOURCES integration/devsim_adb_test.cc
  LIBS benchlab_testsupport absl::strings LABELS integration TIMEOUT 240)

# Run conditions through adb (dumpsys, sysfs, one-call script), hot phones and slowdowns.
benchlab_test(NAME devsim_conditions_test SOURCES integration/devsim_conditions_test.cc
  LIBS benchlab_testsupport absl::strings LABELS integration TIMEOUT 240)
