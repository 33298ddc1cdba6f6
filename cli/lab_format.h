// Shared rendering for the lab commands: state and error names as people read them,
// the metric names (the same in proto, JSON, CSV and SQL), numbers, times, and the
// API's messages as JSON (field names as in the .proto).
#ifndef BENCHLAB_CLI_LAB_FORMAT_H_
#define BENCHLAB_CLI_LAB_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/metrics.pb.h"
#include "google/protobuf/message.h"

namespace benchlab::cli {

// "done", "running", ... (the enum name without its prefix, lower case).
std::string RunStateName(benchlab::v1::RunState state);
std::string DeviceStateName(benchlab::v1::DeviceState state);
// "app_crashed", ...; empty for UNSPECIFIED.
std::string ErrorClassName(benchlab::v1::ErrorClass error_class);
// "agrees", "disagrees", "missing", "unreadable", "corrupt", "file_only"; "" when unset.
std::string ResultFileStatusName(benchlab::v1::ResultFileStatus status);
// "V", "D", "I", "W", "E", "F" as logcat prints them; "?" when unspecified.
char LogPriorityLetter(benchlab::v1::LogPriority priority);

// count, first_us, curr_us, min_us, max_us, avg_us, std_us, init_us, first_inference_us,
// warmup_avg_us, inference_avg_us, memory_init_mb, memory_overall_mb, peak_memory_mb.
const std::vector<std::string>& MetricNames();
// The value of one of MetricNames() in `metrics`, or nullopt when the run did not report it.
std::optional<double> MetricValue(const benchlab::v1::BenchmarkMetrics& metrics, const std::string& name);

// Integers without a decimal point, others with up to 6 significant digits ("12345.7").
std::string FormatNumber(double value);
// "2024-05-01 12:00:03" in local time; "-" for 0.
std::string FormatUnixMs(int64_t unix_ms);
// "device_id run state [key=value ...]": one line of live progress for a run.
std::string FormatRunProgress(const benchlab::v1::Run& run);

// The message as one line of JSON: proto field names, enums by name, zero values printed
// (a stable shape for scripts); unset optional metrics stay absent.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_LAB_FORMAT_H_
