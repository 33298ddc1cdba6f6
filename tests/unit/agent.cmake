benchlab_test(NAME agent_run_test SOURCES unit/agent_run_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
benchlab_test(NAME agent_log_streamer_test SOURCES unit/agent_log_streamer_test.cc
  LIBS benchlab_agent LABELS unit)
benchlab_test(NAME agent_phone_lock_test SOURCES unit/agent_phone_lock_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
benchlab_test(NAME agent_run_conditions_test SOURCES unit/agent_run_conditions_test.cc
  LIBS benchlab_agent_run LABELS unit)
# Issue 11: op profile rows and delegation (with its warning) from the parser's result.
benchlab_test(NAME agent_op_profile_test SOURCES unit/agent_op_profile_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
benchlab_test(NAME agent_result_file_test SOURCES unit/agent_result_file_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
benchlab_test(NAME agent_phone_model_cap_test SOURCES unit/agent_phone_model_cap_test.cc
  LIBS benchlab_agent_run benchlab_testsupport LABELS unit)
