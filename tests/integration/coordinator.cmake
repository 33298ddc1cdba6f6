benchlab_test(NAME coordinator_integration_test
  SOURCES integration/coordinator_integration_test.cc integration/coordinator_tls_test.cc
          integration/coordinator_startup_test.cc
  LIBS benchlab_coordinator benchlab_testsupport LABELS integration TIMEOUT 120)
# coordinator_tls_test also runs the built binary.
add_dependencies(coordinator_integration_test benchlab-coordinator)

# Operating the lab: device care and the audit log (the built coordinator, agent and CLI
# with adb + devsim), SIGHUP's tokens reload, the health service by service name.
benchlab_test(NAME coordinator_ops_test
  SOURCES integration/device_care_test.cc integration/coordinator_ops_test.cc
          integration/systemd_notify_test.cc
  LIBS benchlab_e2esupport nlohmann_json::nlohmann_json gRPC::grpc++ LABELS integration TIMEOUT 120)
add_dependencies(coordinator_ops_test benchlab benchlab-coordinator benchlab-agent benchlab-devsim)
