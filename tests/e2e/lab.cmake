benchlab_test(NAME lab_e2e_test SOURCES e2e/lab_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_common nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 600)
benchlab_test(NAME lab_cli_e2e_test SOURCES e2e/lab_cli_e2e_test.cc
  LIBS benchlab_e2esupport nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 600)
benchlab_test(NAME lab_history_e2e_test SOURCES e2e/lab_history_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_common LABELS e2e TIMEOUT 600)
benchlab_test(NAME lab_ab_e2e_test SOURCES e2e/lab_ab_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_common LABELS e2e TIMEOUT 900)
# The dashboard in headless Chromium (python3-selenium + chromium-driver); one lab.
benchlab_test(NAME dashboard_browser_e2e_test SOURCES e2e/dashboard_browser_e2e_test.cc
  LIBS benchlab_e2esupport LABELS e2e TIMEOUT 300)
benchlab_test(NAME lab_metrics_report_e2e_test SOURCES e2e/lab_metrics_report_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_version nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 300)
add_dependencies(lab_metrics_report_e2e_test benchlab benchlab-agent benchlab-coordinator benchlab-devsim)
# Issue 11: the native tools (benchmark_model, LiteRT's) as jobs through the whole lab.
benchlab_test(NAME lab_native_e2e_test SOURCES e2e/lab_native_e2e_test.cc
  LIBS benchlab_e2esupport nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 300)
# Issue 11: --cpus resolved per phone topology (two devsim topologies) and run provenance.
benchlab_test(NAME lab_cpus_e2e_test SOURCES e2e/lab_cpus_e2e_test.cc
  LIBS benchlab_e2esupport benchlab_common nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 300)
# Issue 11: op profiles and delegation (with the took-nothing warning) through the whole lab.
benchlab_test(NAME lab_ops_e2e_test SOURCES e2e/lab_ops_e2e_test.cc
  LIBS benchlab_e2esupport nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 300)
add_dependencies(lab_ops_e2e_test benchlab benchlab-agent benchlab-coordinator benchlab-devsim)
# Issue 11: results as a file (APK via run-as, native tools via pull), checked against the log.
benchlab_test(NAME lab_result_file_e2e_test SOURCES e2e/lab_result_file_e2e_test.cc
  LIBS benchlab_e2esupport nlohmann_json::nlohmann_json LABELS e2e TIMEOUT 300)
