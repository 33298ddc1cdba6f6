benchlab_test(NAME coordinator_integration_test
  SOURCES integration/coordinator_integration_test.cc integration/coordinator_tls_test.cc
          integration/coordinator_startup_test.cc
  LIBS benchlab_coordinator benchlab_testsupport LABELS integration TIMEOUT 120)
# coordinator_tls_test also runs the built binary.
add_dependencies(coordinator_integration_test benchlab-coordinator)
