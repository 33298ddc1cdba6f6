// How a run's conditions (RunConditions: battery, thermal status, CPU clocks, ...) look in
// the CLI: a compact before -> after table for `job` and `results`, the CSV columns of
// `results --csv`, and the words `devices` uses for a phone's thermal state.
#ifndef BENCHLAB_CLI_CONDITIONS_VIEW_H_
#define BENCHLAB_CLI_CONDITIONS_VIEW_H_

#include <string>
#include <vector>

#include "benchlab/v1/common.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace benchlab::cli {

// "none", "light", "moderate", "severe", "critical", "emergency", "shutdown"; empty when
// unknown (Android before 10).
std::string ThermalStatusWord(benchlab::v1::ThermalStatus status);

// The big cluster: the one with the highest max_freq_khz (the last such); null when the
// conditions have no clusters.
const benchlab::v1::CpuCluster* BigCluster(const benchlab::v1::RunConditions& conditions);

// One row per run that has conditions: RUN, BATTERY_C, LEVEL, THERMAL, BIG_CPU_MHZ, each
// cell "before->after" ("-" for a side not read). Empty string when no run has any.
std::string FormatConditionsTable(const google::protobuf::RepeatedPtrField<benchlab::v1::Run>& runs);

// The CSV columns `results --csv` appends: before_ and after_ each of battery_temp_c,
// battery_level_pct, charging, thermal_status, cpu_freq_khz (per cluster, ';'-separated
// in cluster order), screen_on, mem_available_kb; then build_fingerprint,
// apk_version_name, apk_version_code (from before, else after).
const std::vector<std::string>& ConditionsCsvHeader();
// The raw cell values of those columns for `run` (empty when unknown); the caller quotes
// and escapes them.
std::vector<std::string> ConditionsCsvValues(const benchlab::v1::Run& run);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_CONDITIONS_VIEW_H_
