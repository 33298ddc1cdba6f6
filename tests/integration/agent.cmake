benchlab_test(NAME agent_runner_test SOURCES integration/agent_runner_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS integration TIMEOUT 300)
benchlab_test(NAME agent_cli_test SOURCES integration/agent_cli_test.cc
  LIBS benchlab_common benchlab_testsupport nlohmann_json::nlohmann_json LABELS integration TIMEOUT 300)
benchlab_test(NAME agent_android_versions_test SOURCES integration/agent_android_versions_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS integration TIMEOUT 300)
