benchlab_test(NAME agent_run_test SOURCES unit/agent_run_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
