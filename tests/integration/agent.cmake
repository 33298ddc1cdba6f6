benchlab_test(NAME agent_runner_test SOURCES integration/agent_runner_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS integration TIMEOUT 300)
benchlab_test(NAME agent_cli_test SOURCES integration/agent_cli_test.cc
  LIBS benchlab_common benchlab_testsupport nlohmann_json::nlohmann_json LABELS integration TIMEOUT 300)
# The lease protocol's agent side: the built benchlab-agent (daemon and bench) on devsim
# phones, dialled into a scripted AgentLink server in the test process.
benchlab_test(NAME agent_lease_test SOURCES integration/agent_lease_test.cc
  LIBS benchlab_proto benchlab_common benchlab_testsupport gRPC::grpc++ absl::synchronization
  LABELS integration TIMEOUT 300)
add_dependencies(agent_lease_test benchlab-agent benchlab-devsim)
benchlab_test(NAME agent_android_versions_test SOURCES integration/agent_android_versions_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS integration TIMEOUT 300)
# Native tools (issue 11): the runner's binary runs, kills and exit statuses on devsim.
benchlab_test(NAME agent_native_test SOURCES integration/agent_native_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS integration TIMEOUT 120)
add_dependencies(agent_native_test benchlab-devsim)
# The agent's caps (--cache-max-mb, --phone-max-models) with the built coordinator and CLI.
benchlab_test(NAME agent_caps_test SOURCES integration/agent_caps_test.cc
  LIBS benchlab_e2esupport benchlab_common benchlab_proto gRPC::grpc++ LABELS integration TIMEOUT 120)
add_dependencies(agent_caps_test benchlab-coordinator benchlab-agent benchlab-devsim benchlab)
