# Unit tests of the simulated phone (devsim/phone): shell, file system, logcat, the app.
benchlab_test(NAME devsim_phone_test
  SOURCES unit/devsim_phone_test.cc unit/devsim_phone_shell_test.cc
    unit/devsim_logcat_test.cc unit/devsim_app_test.cc unit/devsim_apk_test.cc
    unit/devsim_conditions_test.cc unit/devsim_thermal_test.cc
  LIBS benchlab_devsim_phone LABELS unit)

# devsim's output read by the project's parser (common/): catches format drift between them.
if(TARGET benchlab_common)
  benchlab_test(NAME devsim_phone_parser_test
    SOURCES unit/devsim_phone_parser_test.cc unit/devsim_native_test.cc unit/devsim_cpu_topology_test.cc unit/devsim_result_file_test.cc
    LIBS benchlab_devsim_phone benchlab_common LABELS unit)
endif()
