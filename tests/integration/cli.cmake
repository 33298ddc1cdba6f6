# The benchlab lab commands end to end on one machine: the built coordinator and CLI
# binaries, a fake agent in the test process.
benchlab_test(NAME cli_lab_test
  SOURCES integration/cli_lab_test.cc integration/cli_fake_agent.cc
  LIBS benchlab_proto benchlab_testsupport gRPC::grpc++ absl::synchronization absl::time
       nlohmann_json::nlohmann_json
  LABELS integration TIMEOUT 120)
add_dependencies(cli_lab_test benchlab benchlab-coordinator)
