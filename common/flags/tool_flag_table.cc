// The flag tables (tool_flag_table.h). Names and types from the tools' sources:
// - every tool: BenchmarkModel::GetFlags (tensorflow/lite/tools/benchmark/benchmark_model.cc);
// - classic: BenchmarkTfLiteModel::GetFlags (tensorflow/lite/tools/benchmark/
//   benchmark_tflite_model.cc) and the delegate providers it links
//   (tensorflow/lite/tools/delegates/*_delegate_provider.cc, default_execution_provider.cc);
// - LiteRT: BenchmarkLiteRtModel::GetFlags (litert/tools/benchmark_litert_model.h), which
//   adds its own to BenchmarkModel's and links no delegate provider.
// Both parse with tflite::Flags::Parse: an unknown name is "Unconsumed" (a warning), a known
// name with a value that does not parse fails the run.
#include "common/flags/tool_flag_table.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/flags/tool_kind.h"

namespace benchlab {
namespace {

using T = ToolFlagType;
constexpr unsigned kBoth = kClassicTool | kLitertTool;
constexpr unsigned kClassic = kClassicTool;
constexpr unsigned kLitert = kLitertTool;

// One flag per line reads best as a table.
// clang-format off
constexpr ToolFlagSpec kFlags[] = {
    // BenchmarkModel (both tools).
    {"num_runs", T::kInt32, kBoth, "num_runs"},
    {"min_secs", T::kFloat, kBoth, "min_secs"},
    {"max_secs", T::kFloat, kBoth, "max_secs"},
    {"run_delay", T::kFloat, kBoth, "run_delay_secs"},
    {"run_frequency", T::kFloat, kBoth, ""},
    {"num_threads", T::kInt32, kBoth, "num_threads"},
    {"use_caching", T::kBool, kBoth, ""},
    {"benchmark_name", T::kString, kBoth, ""},
    {"output_prefix", T::kString, kBoth, ""},
    {"warmup_runs", T::kInt32, kBoth, "warmup_runs"},
    {"warmup_min_secs", T::kFloat, kBoth, "warmup_min_secs"},
    {"verbose", T::kBool, kBoth, ""},
    {"dry_run", T::kBool, kBoth, ""},
    {"report_peak_memory_footprint", T::kBool, kBoth, "report_peak_memory_footprint"},
    {"memory_footprint_check_interval_ms", T::kInt32, kBoth, "memory_footprint_check_interval_ms"},
    // Both tools declare these themselves.
    {"graph", T::kString, kBoth, ""},
    {"signature_to_run_for", T::kString, kBoth, ""},
    {"use_gpu", T::kBool, kBoth, "use_gpu"},
    {"gpu_backend", T::kString, kBoth, ""},
    {"allow_fp16", T::kBool, kBoth, ""},
    {"require_full_delegation", T::kBool, kBoth, ""},
    {"result_file_path", T::kString, kBoth, ""},
    // LiteRT CompiledModel only.
    {"use_cpu", T::kBool, kLitert, ""},
    {"use_npu", T::kBool, kLitert, ""},
    {"dispatch_library_path", T::kString, kLitert, ""},
    {"compiler_plugin_library_path", T::kString, kLitert, ""},
    {"use_profiler", T::kBool, kLitert, ""},
    // Classic benchmark_model only (BenchmarkTfLiteModel).
    {"list_signatures", T::kBool, kClassic, ""},
    {"input_layer", T::kString, kClassic, "input_layer"},
    {"input_layer_shape", T::kString, kClassic, "input_layer_shape"},
    {"input_layer_value_range", T::kString, kClassic, ""},
    {"input_layer_value_files", T::kString, kClassic, ""},
    {"enable_op_profiling", T::kBool, kClassic, "enable_op_profiling"},
    {"op_profiling_output_mode", T::kString, kClassic, ""},
    {"op_profiling_output_file", T::kString, kClassic, ""},
    {"max_profiling_buffer_entries", T::kInt32, kClassic, ""},
    {"allow_dynamic_profiling_buffer_increase", T::kBool, kClassic, ""},
    {"profiling_output_csv_file", T::kString, kClassic, ""},
    {"export_model_runtime_info", T::kBool, kClassic, ""},
    {"model_runtime_info_output_file", T::kString, kClassic, ""},
    {"print_preinvoke_state", T::kBool, kClassic, ""},
    {"print_postinvoke_state", T::kBool, kClassic, ""},
    {"release_dynamic_tensors", T::kBool, kClassic, ""},
    {"optimize_memory_for_large_tensors", T::kInt32, kClassic, ""},
    {"disable_delegate_clustering", T::kBool, kClassic, ""},
    {"enable_builtin_cast_constant_cache", T::kBool, kClassic, ""},
    {"output_filepath", T::kString, kClassic, ""},
    {"output_proto_filepath", T::kString, kClassic, ""},
    {"help", T::kBool, kClassic, ""},
    // Classic: delegate providers.
    {"max_delegated_partitions", T::kInt32, kClassic, ""},
    {"min_nodes_per_partition", T::kInt32, kClassic, ""},
    {"delegate_serialize_dir", T::kString, kClassic, ""},
    {"delegate_serialize_token", T::kString, kClassic, ""},
    {"gpu_precision_loss_allowed", T::kBool, kClassic, "gpu_precision_loss_allowed"},
    {"gpu_experimental_enable_quant", T::kBool, kClassic, ""},
    {"gpu_inference_for_sustained_speed", T::kBool, kClassic, ""},
    {"use_nnapi", T::kBool, kClassic, "use_nnapi"},
    {"nnapi_execution_preference", T::kString, kClassic, ""},
    {"nnapi_execution_priority", T::kString, kClassic, ""},
    {"nnapi_accelerator_name", T::kString, kClassic, ""},
    {"disable_nnapi_cpu", T::kBool, kClassic, ""},
    {"nnapi_allow_fp16", T::kBool, kClassic, ""},
    {"nnapi_allow_dynamic_dimensions", T::kBool, kClassic, ""},
    {"nnapi_use_burst_mode", T::kBool, kClassic, ""},
    {"use_xnnpack", T::kBool, kClassic, "use_xnnpack"},
    {"xnnpack_force_fp16", T::kBool, kClassic, ""},
    {"xnnpack_weight_cache_file_path", T::kString, kClassic, ""},
    {"use_hexagon", T::kBool, kClassic, "use_hexagon"},
    {"hexagon_lib_path", T::kString, kClassic, ""},
    {"hexagon_profiling", T::kBool, kClassic, ""},
    {"external_delegate_path", T::kString, kClassic, ""},
    {"external_delegate_options", T::kString, kClassic, ""},
    {"stable_delegate_loader_settings", T::kString, kClassic, ""},
};
// clang-format on

// "apk, native" or "litert": the tool names a flag's bit set covers.
std::string ToolNames(unsigned tools) {
  std::vector<std::string> names;
  if (tools & kClassicTool) names = {"apk", "native"};
  if (tools & kLitertTool) names.push_back("litert");
  return absl::StrJoin(names, ", ");
}

absl::string_view ToolTitle(v1::ToolKind tool) {
  switch (tool) {
    case v1::TOOL_KIND_NATIVE: return "the native tool (classic benchmark_model)";
    case v1::TOOL_KIND_LITERT: return "the litert tool (LiteRT CompiledModel benchmark_model)";
    default: return "the apk tool (benchmark APK)";
  }
}

absl::Status CheckOne(v1::ToolKind tool, const ToolFlagSpec& spec) {
  if (spec.tools & ToolBit(tool)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", spec.name, " is not a flag of ", ToolTitle(tool),
                                                 "; it is a flag of tool ", ToolNames(spec.tools)));
}

}  // namespace

const ToolFlagSpec* FindToolFlag(absl::string_view name) {
  for (const ToolFlagSpec& f : kFlags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

unsigned ToolBit(v1::ToolKind tool) { return tool == v1::TOOL_KIND_LITERT ? kLitertTool : kClassicTool; }

absl::Status CheckFlagValue(const ToolFlagSpec& spec, absl::string_view value) {
  bool ok = true;
  const char* want = "";
  switch (spec.type) {
    case ToolFlagType::kBool:
      ok = value == "true" || value == "false" || value == "1" || value == "0";
      want = "true or false";
      break;
    case ToolFlagType::kInt32: {
      int32_t v;
      ok = absl::SimpleAtoi(value, &v);
      want = "an integer";
      break;
    }
    case ToolFlagType::kFloat: {
      double v;
      ok = absl::SimpleAtod(value, &v);
      want = "a number";
      break;
    }
    case ToolFlagType::kString:
      break;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", spec.name, ": the value must be ", want));
}

absl::Status CheckFlagsForTool(v1::ToolKind tool, const v1::BenchmarkFlags& flags) {
  // Typed fields: every set one is a flag of some tool (the table names its field).
  for (const ToolFlagSpec& spec : kFlags) {
    if (*spec.field == '\0') continue;
    const auto* field = v1::BenchmarkFlags::descriptor()->FindFieldByName(spec.field);
    if (field != nullptr && flags.GetReflection()->HasField(flags, field)) {
      if (absl::Status s = CheckOne(tool, spec); !s.ok()) return s;
    }
  }
  for (const v1::ExtraFlag& e : flags.extra()) {
    const ToolFlagSpec* spec = FindToolFlag(e.name());
    if (spec == nullptr) continue;  // the tool would log it as unconsumed and go on
    if (absl::Status s = CheckOne(tool, *spec); !s.ok()) return s;
    if (absl::Status s = CheckFlagValue(*spec, e.value()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace benchlab
