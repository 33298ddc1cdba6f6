benchlab_test(NAME lab_e2e_test SOURCES e2e/lab_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_common nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 600)
benchlab_test(NAME lab_cli_e2e_test SOURCES e2e/lab_cli_e2e_test.cc
  LIBS benchlab_e2esupport nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 600)
benchlab_test(NAME lab_history_e2e_test SOURCES e2e/lab_history_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_common LABELS e2e TIMEOUT 600)
benchlab_test(NAME lab_ab_e2e_test SOURCES e2e/lab_ab_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_common LABELS e2e TIMEOUT 900)
# Issue 11: the native tools (benchmark_model, LiteRT's) as jobs through the whole lab.
benchlab_test(NAME lab_native_e2e_test SOURCES e2e/lab_native_e2e_test.cc
  LIBS benchlab_e2esupport nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 300)
