// Metric values are read by field name through protobuf reflection, so the CLI's columns
// stay the proto's field names by construction.
#include "cli/lab_format.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace v1 = benchlab::v1;

namespace {

std::string EnumTail(const std::string& full, absl::string_view prefix) {
  absl::string_view name = full;
  absl::ConsumePrefix(&name, prefix);
  return absl::AsciiStrToLower(name);
}

}  // namespace

std::string RunStateName(v1::RunState state) { return EnumTail(v1::RunState_Name(state), "RUN_STATE_"); }

std::string DeviceStateName(v1::DeviceState state) {
  return EnumTail(v1::DeviceState_Name(state), "DEVICE_STATE_");
}

std::string ErrorClassName(v1::ErrorClass error_class) {
  if (error_class == v1::ERROR_CLASS_UNSPECIFIED) return "";
  return EnumTail(v1::ErrorClass_Name(error_class), "ERROR_CLASS_");
}

std::string ResultFileStatusName(v1::ResultFileStatus status) {
  if (status == v1::RESULT_FILE_STATUS_UNSPECIFIED) return "";
  return EnumTail(v1::ResultFileStatus_Name(status), "RESULT_FILE_STATUS_");
}

char LogPriorityLetter(v1::LogPriority priority) {
  switch (priority) {
    case v1::LOG_PRIORITY_VERBOSE: return 'V';
    case v1::LOG_PRIORITY_DEBUG: return 'D';
    case v1::LOG_PRIORITY_INFO: return 'I';
    case v1::LOG_PRIORITY_WARN: return 'W';
    case v1::LOG_PRIORITY_ERROR: return 'E';
    case v1::LOG_PRIORITY_FATAL: return 'F';
    default: return '?';
  }
}

const std::vector<std::string>& MetricNames() {
  static const auto* names = new std::vector<std::string>{
      "count",       "first_us",           "curr_us",       "min_us",           "max_us",
      "avg_us",      "std_us",             "init_us",       "first_inference_us", "warmup_avg_us",
      "inference_avg_us", "memory_init_mb", "memory_overall_mb", "peak_memory_mb"};
  return *names;
}

std::optional<double> MetricValue(const v1::BenchmarkMetrics& metrics, const std::string& name) {
  const auto* field = v1::BenchmarkMetrics::descriptor()->FindFieldByName(name);
  if (field == nullptr) return std::nullopt;
  const auto* reflection = metrics.GetReflection();
  if (!reflection->HasField(metrics, field)) return std::nullopt;
  switch (field->cpp_type()) {
    case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
      return static_cast<double>(reflection->GetInt64(metrics, field));
    case google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE:
      return reflection->GetDouble(metrics, field);
    default:
      return std::nullopt;
  }
}

std::string FormatNumber(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.6g", value);
}

std::string FormatUnixMs(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms), absl::LocalTimeZone());
}

std::string FormatRunProgress(const v1::Run& run) {
  std::string line = absl::StrCat(run.device_id(), "  ", run.run_id(), "  ", RunStateName(run.state()));
  if (run.attempt() > 1) absl::StrAppend(&line, "  attempt=", run.attempt());
  if (run.state() == v1::RUN_STATE_DONE) {
    for (const char* name : {"avg_us", "init_us", "inference_avg_us", "peak_memory_mb"}) {
      if (auto v = MetricValue(run.metrics(), name)) absl::StrAppend(&line, "  ", name, "=", FormatNumber(*v));
    }
  }
  if (run.error_class() != v1::ERROR_CLASS_UNSPECIFIED) {
    absl::StrAppend(&line, "  error=", ErrorClassName(run.error_class()));
  }
  // Issue 11: where the numbers came from, and a disagreement's details.
  if (std::string rf = ResultFileStatusName(run.result_file_status()); !rf.empty()) {
    absl::StrAppend(&line, "  result_file=", rf);
    if (!run.result_file_note().empty()) absl::StrAppend(&line, " \"", run.result_file_note(), "\"");
  }
  if (!run.error_message().empty()) absl::StrAppend(&line, "  \"", run.error_message(), "\"");
  line = EscapeForTerminal(line);
  return line;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  // Only fails for messages with unresolvable Any fields, which the API does not use.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace benchlab::cli
