benchlab_test(NAME coordinator_integration_test
  SOURCES integration/coordinator_integration_test.cc
  LIBS benchlab_coordinator benchlab_testsupport LABELS integration TIMEOUT 120)
