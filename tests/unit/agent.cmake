benchlab_test(NAME agent_run_test SOURCES unit/agent_run_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
benchlab_test(NAME agent_log_streamer_test SOURCES unit/agent_log_streamer_test.cc
  LIBS benchlab_agent LABELS unit)
benchlab_test(NAME agent_phone_lock_test SOURCES unit/agent_phone_lock_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
benchlab_test(NAME agent_run_conditions_test SOURCES unit/agent_run_conditions_test.cc
  LIBS benchlab_agent_run LABELS unit)
benchlab_test(NAME agent_phone_model_cap_test SOURCES unit/agent_phone_model_cap_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
