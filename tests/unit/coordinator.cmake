benchlab_test(NAME coordinator_test
  SOURCES unit/coordinator_store_test.cc unit/coordinator_scheduler_test.cc
          unit/coordinator_log_hub_test.cc unit/coordinator_aggregation_test.cc
          unit/coordinator_core_scale_test.cc unit/coordinator_job_counters_test.cc
          unit/coordinator_serial_worker_test.cc unit/coordinator_run_gate_test.cc
          unit/coordinator_verdicts_test.cc unit/coordinator_run_ledger_test.cc
          unit/coordinator_core_store_failure_test.cc
          unit/coordinator_change_points_test.cc unit/coordinator_history_test.cc
          unit/coordinator_variants_test.cc unit/coordinator_core_variants_test.cc
          unit/coordinator_schema_test.cc unit/coordinator_log_retention_test.cc
          unit/coordinator_device_care_test.cc unit/coordinator_file_modes_test.cc
          unit/coordinator_artifact_retention_test.cc
  LIBS benchlab_coordinator benchlab_testsupport LABELS unit)
benchlab_test(NAME coordinator_dashboard_test SOURCES unit/coordinator_dashboard_test.cc
  LIBS benchlab_coordinator benchlab_testsupport nlohmann_json::nlohmann_json LABELS unit)
# Both daemons' /metrics series (common/exposition, coordinator/metrics, agent/agent_metrics).
benchlab_test(NAME metrics_families_test SOURCES unit/metrics_families_test.cc
  LIBS benchlab_coordinator benchlab_agent benchlab_version LABELS unit)
# Issue 11: op profile aggregation, limits, and the rows' storage through Core and SQLite.
benchlab_test(NAME coordinator_op_profiles_test SOURCES unit/coordinator_op_profiles_test.cc
  LIBS benchlab_coordinator benchlab_testsupport LABELS unit)
