// Flag table of the benchmark tool (tflite-benchmark.md §3.6 and §4): name, type,
// description used in the echo (empty: never echoed), default and help text.
#include "devsim/phone/benchmark_flags.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/latency_model.h"

namespace benchlab::devsim {
namespace {

enum class Type { kBool, kInt, kFloat, kString };

struct FlagSpec {
  const char* name;
  Type type;
  const char* echo;  // description in the param echo; "" = not echoed
  const char* def;
  const char* help;
};

// In echo order: base flags, graph + signature, TFLite flags, then delegate providers.
// One flag per line reads best as a table.
// clang-format off
constexpr FlagSpec kFlags[] = {
    {"num_runs", Type::kInt, "Min num runs", "50", "expected number of runs, see also min_secs, max_secs"},
    {"min_secs", Type::kFloat, "Min runs duration (seconds)", "1", "minimum number of seconds to rerun for"},
    {"max_secs", Type::kFloat, "Max runs duration (seconds)", "150", "maximum number of seconds to rerun for"},
    {"run_delay", Type::kFloat, "Inter-run delay (seconds)", "-1", "delay between runs in seconds"},
    {"run_frequency", Type::kFloat, "Number of prorated runs per second", "-1", "Execute at a fixed frequency"},
    {"num_threads", Type::kInt, "Num threads", "-1", "number of threads"},
    {"use_caching", Type::kBool, "Use caching", "false", "Enable caching of prepacked weights matrices"},
    {"benchmark_name", Type::kString, "Benchmark name", "", "benchmark name"},
    {"output_prefix", Type::kString, "Output prefix", "", "benchmark output prefix"},
    {"warmup_runs", Type::kInt, "Min warmup runs", "1", "minimum number of runs performed on initialization"},
    {"warmup_min_secs", Type::kFloat, "Min warmup runs duration (seconds)", "0.5", "minimum number of seconds to rerun for"},
    {"dry_run", Type::kBool, "Run w/o invoking kernels", "false", "Only runs the graph preparation"},
    {"report_peak_memory_footprint", Type::kBool, "Report the peak memory footprint", "false", "Report the peak memory footprint"},
    {"memory_footprint_check_interval_ms", Type::kInt, "Memory footprint check interval (ms)", "50", "The interval in millisecond between two consecutive memory footprint checks"},
    {"graph", Type::kString, "Graph", "", "graph file name"},
    {"signature_to_run_for", Type::kString, "Signature to run", "", "If the model contains multiple signatures, use this flag to specify the signature to benchmark"},
    {"list_signatures", Type::kBool, "", "false", "Displays all signatures present in the model and then terminates"},
    {"input_layer", Type::kString, "Input layers", "", "input layer names"},
    {"input_layer_shape", Type::kString, "Input shapes", "", "input layer shape"},
    {"input_layer_value_range", Type::kString, "Input value ranges", "", "A map-like string representing value range for *integer* input layers"},
    {"input_layer_value_files", Type::kString, "Input value files", "", "A map-like string representing files that contain input values"},
    {"allow_fp16", Type::kBool, "Allow fp16", "false", "allow fp16"},
    {"require_full_delegation", Type::kBool, "Require full delegation", "false", "require delegate to run the entire graph"},
    {"enable_op_profiling", Type::kBool, "Enable op profiling", "false", "enable op profiling"},
    {"op_profiling_output_mode", Type::kString, "Op profiling output mode.", "stdout", "Output mode for op profiling results"},
    {"op_profiling_output_file", Type::kString, "Op profiling output file.", "", "Output file for op profiling results"},
    {"max_profiling_buffer_entries", Type::kInt, "Max initial profiling buffer entries", "1024", "max initial profiling buffer entries"},
    {"allow_dynamic_profiling_buffer_increase", Type::kBool, "Allow dynamic increase on profiling buffer entries", "false", "allow dynamic increase on profiling buffer entries"},
    {"profiling_output_csv_file", Type::kString, "CSV File to export profiling data to", "", "[DEPRECATED] File path to export profile data as CSV"},
    {"export_model_runtime_info", Type::kBool, "Enable Model Runtime Info Export", "false", "Enable Model Runtime Info Export"},
    {"model_runtime_info_output_file", Type::kString, "", "", "Model Runtime Info output file"},
    {"print_preinvoke_state", Type::kBool, "Print pre-invoke interpreter state", "false", "print out the interpreter internals just before calling Invoke"},
    {"print_postinvoke_state", Type::kBool, "Print post-invoke interpreter state", "false", "print out the interpreter internals just before benchmark completes"},
    {"release_dynamic_tensors", Type::kBool, "Release dynamic tensor memory", "false", "Ensure dynamic tensor's memory is released when they are not used."},
    {"optimize_memory_for_large_tensors", Type::kInt, "Optimize memory usage for large tensors", "0", "Optimize memory usage for large tensors"},
    {"disable_delegate_clustering", Type::kBool, "Disable delegate clustering", "false", "Disable delegate clustering."},
    {"enable_builtin_cast_constant_cache", Type::kBool, "Constant CAST output cache", "false", "Cache the output of the builtin Cast operation"},
    {"output_filepath", Type::kString, "File path to export outputs layer to", "", "File path to export outputs layer as binary data"},
    {"output_proto_filepath", Type::kString, "", "", "File path to export outputs layer as tflite::OutputTensors proto"},
    {"result_file_path", Type::kString, "File path to save the benchmark result in binary proto format", "", "File path to save the benchmark result"},
    {"verbose", Type::kBool, "", "false", "Whether to log parameters whose values are not set"},
    {"help", Type::kBool, "", "false", "Print out all supported flags if true"},
    // Delegate providers.
    {"max_delegated_partitions", Type::kInt, "Max number of delegated partitions", "0", "Max number of partitions to be delegated"},
    {"min_nodes_per_partition", Type::kInt, "Min nodes per partition", "0", "The minimal number of TFLite graph nodes of a partition"},
    {"delegate_serialize_dir", Type::kString, "Directory for delegate serialization", "", "Directory to be used by delegates for serializing any model data"},
    {"delegate_serialize_token", Type::kString, "", "", "Model-specific token acting as a namespace for delegate serialization"},
    {"use_gpu", Type::kBool, "Use gpu", "false", "use gpu"},
    {"gpu_precision_loss_allowed", Type::kBool, "Allow lower precision in gpu", "true", "Allow to process computation in lower precision than FP32 in GPU"},
    {"gpu_experimental_enable_quant", Type::kBool, "Enable running quant models in gpu", "true", "Whether to enable the GPU delegate to run quantized models or not"},
    {"gpu_inference_for_sustained_speed", Type::kBool, "Prefer maximizing the throughput in gpu", "false", "Whether to prefer maximizing the throughput"},
    {"gpu_backend", Type::kString, "GPU backend", "", "Force the GPU delegate to use a particular backend: cl or gl"},
    {"use_nnapi", Type::kBool, "Use NNAPI", "false", "use nnapi delegate api"},
    {"nnapi_execution_preference", Type::kString, "NNAPI execution preference", "", "execution preference for nnapi delegate"},
    {"nnapi_execution_priority", Type::kString, "", "", "The model execution priority in nnapi"},
    {"nnapi_accelerator_name", Type::kString, "NNAPI accelerator name", "", "the name of the nnapi accelerator to use"},
    {"disable_nnapi_cpu", Type::kBool, "Disable NNAPI cpu", "true", "Disable the NNAPI CPU device"},
    {"nnapi_allow_fp16", Type::kBool, "Allow fp16 in NNAPI", "false", "Allow fp32 computation to be run in fp16"},
    {"nnapi_allow_dynamic_dimensions", Type::kBool, "", "false", "Whether to allow dynamic dimension sizes"},
    {"nnapi_use_burst_mode", Type::kBool, "", "false", "use NNAPI Burst mode if supported"},
    {"use_xnnpack", Type::kBool, "Use xnnpack", "false", "explicitly apply the XNNPACK delegate"},
    {"xnnpack_force_fp16", Type::kBool, "", "false", "enforce float16 inference"},
    {"xnnpack_weight_cache_file_path", Type::kString, "", "", "enable file-backed weight caching"},
    {"use_hexagon", Type::kBool, "Use Hexagon", "false", "Use Hexagon delegate"},
    {"hexagon_lib_path", Type::kString, "Hexagon lib path", "/data/local/tmp", "The library path for the underlying Hexagon libraries"},
    {"hexagon_profiling", Type::kBool, "", "false", "Enables Hexagon profiling"},
    {"external_delegate_path", Type::kString, "External delegate path", "", "The library path for the underlying external"},
    {"external_delegate_options", Type::kString, "", "", "A list of comma-separated options to be passed to the external delegate"},
    {"stable_delegate_loader_settings", Type::kString, "", "", "The path to the delegate settings JSON file"},
};
// clang-format on

// The LiteRT CompiledModel benchmark_model's own flags (BenchmarkLiteRtModel::GetFlags,
// litert/tools/benchmark_litert_model.h); it takes them besides BenchmarkModel's base flags
// and links no delegate provider, so the classic tool's other flags are unconsumed there.
// clang-format off
constexpr FlagSpec kLitertOnlyFlags[] = {
    {"use_cpu", Type::kBool, "", "true", "Whether to use CPU accelerator."},
    {"use_npu", Type::kBool, "", "false", "Whether to use NPU accelerator."},
    {"dispatch_library_path", Type::kString, "", "", "Dispatch library path."},
    {"compiler_plugin_library_path", Type::kString, "", "", "Compiler plugin library path. Only for JIT compilation."},
    {"use_profiler", Type::kBool, "", "false", "Whether to use profiler."},
};
// clang-format on

// Flags of kFlags the LiteRT tool has too: BenchmarkModel::GetFlags
// (tensorflow/lite/tools/benchmark/benchmark_model.cc) and the ones its GetFlags repeats.
bool LitertTakes(absl::string_view name) {
  static constexpr absl::string_view kShared[] = {
      "num_runs", "min_secs", "max_secs", "run_delay", "run_frequency", "num_threads", "use_caching",
      "benchmark_name", "output_prefix", "warmup_runs", "warmup_min_secs", "verbose", "dry_run",
      "report_peak_memory_footprint", "memory_footprint_check_interval_ms", "graph", "signature_to_run_for",
      "use_gpu", "gpu_backend", "allow_fp16", "require_full_delegation", "result_file_path"};
  for (absl::string_view s : kShared) {
    if (s == name) return true;
  }
  return false;
}

const FlagSpec* FindFlag(absl::string_view name, bool litert) {
  if (litert) {
    for (const FlagSpec& f : kLitertOnlyFlags) {
      if (name == f.name) return &f;
    }
    if (!LitertTakes(name)) return nullptr;
  }
  for (const FlagSpec& f : kFlags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// istringstream-like: a leading number parses even if junk follows (so `4"` is 4).
bool ParseLeadingInt(const std::string& s, int* out) {
  const char* begin = s.c_str();
  char* end = nullptr;
  long v = std::strtol(begin, &end, 10);
  if (end == begin) return false;
  *out = static_cast<int>(v);
  return true;
}
bool ParseLeadingFloat(const std::string& s, double* out) {
  const char* begin = s.c_str();
  char* end = nullptr;
  double v = std::strtod(begin, &end);
  if (end == begin) return false;
  *out = v;
  return true;
}
bool ParseBoolValue(const std::string& s, bool* out) {
  if (s == "true" || s == "1") {
    *out = true;
    return true;
  }
  if (s == "false" || s == "0") {
    *out = false;
    return true;
  }
  return false;
}

}  // namespace

std::string ParsedFlags::String(const std::string& name, const std::string& def) const {
  auto it = given.find(name);
  return it == given.end() ? def : it->second;
}
bool ParsedFlags::Bool(const std::string& name, bool def) const {
  auto it = given.find(name);
  bool v = def;
  if (it != given.end()) ParseBoolValue(it->second, &v);
  return v;
}
int ParsedFlags::Int(const std::string& name, int def) const {
  auto it = given.find(name);
  int v = def;
  if (it != given.end()) ParseLeadingInt(it->second, &v);
  return v;
}
double ParsedFlags::Float(const std::string& name, double def) const {
  auto it = given.find(name);
  double v = def;
  if (it != given.end()) ParseLeadingFloat(it->second, &v);
  return v;
}

ParsedFlags ParseBenchmarkArgs(absl::string_view args, bool litert) {
  ParsedFlags out;
  for (absl::string_view tok :
       absl::StrSplit(args, absl::ByAnyChar(" \t\n\r\f\v"), absl::SkipEmpty())) {
    std::string token(tok);
    if (!absl::StartsWith(token, "--")) {
      out.unconsumed.push_back(token);
      continue;
    }
    const size_t eq = token.find('=');
    const std::string name = token.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const FlagSpec* spec = FindFlag(name, litert);
    if (spec == nullptr) {
      out.unconsumed.push_back(token);
      continue;
    }
    std::string value;
    if (eq == std::string::npos) {
      // "--flag" alone sets a bool; other types need a value.
      if (spec->type != Type::kBool) {
        out.unconsumed.push_back(token);
        continue;
      }
      value = "true";
    } else {
      value = token.substr(eq + 1);
    }
    bool ok = true;
    switch (spec->type) {
      case Type::kBool: {
        bool b;
        ok = ParseBoolValue(value, &b);
        break;
      }
      case Type::kInt: {
        int i;
        ok = ParseLeadingInt(value, &i);
        break;
      }
      case Type::kFloat: {
        double d;
        ok = ParseLeadingFloat(value, &d);
        break;
      }
      case Type::kString:
        break;
    }
    if (!ok) {
      if (out.parse_error.empty()) {
        out.parse_error =
            absl::StrCat("Failed to parse flag '", name, "' against argv '", token, "'");
      }
      continue;
    }
    out.given[name] = value;
  }
  return out;
}

std::vector<std::string> ParamEchoLines(const ParsedFlags& flags) {
  std::vector<std::string> lines;
  lines.push_back(
      absl::StrCat("Log parameter values verbosely: [", flags.Bool("verbose", false) ? 1 : 0, "]"));
  const bool verbose = flags.Bool("verbose", false);
  auto echo = [&](const FlagSpec& f, const std::string& desc) {
    // Not given: the flag's default (only echoed with --verbose=true).
    bool def_bool = false;
    int def_int = 0;
    double def_float = 0;
    ParseBoolValue(f.def, &def_bool);
    ParseLeadingInt(f.def, &def_int);
    ParseLeadingFloat(f.def, &def_float);
    std::string v;
    switch (f.type) {
      case Type::kBool:
        v = flags.Bool(f.name, def_bool) ? "1" : "0";
        break;
      case Type::kInt:
        v = absl::StrCat(flags.Int(f.name, def_int));
        break;
      case Type::kFloat:
        v = FormatG(flags.Float(f.name, def_float));
        break;
      case Type::kString:
        v = flags.String(f.name, f.def);
        break;
    }
    lines.push_back(absl::StrCat(desc, ": [", v, "]"));
  };
  for (const FlagSpec& f : kFlags) {
    const std::string name = f.name;
    if (*f.echo == '\0') continue;
    const bool always = name == "graph" || name == "signature_to_run_for";
    if (always || verbose || flags.Has(name)) echo(f, f.echo);
  }
  // "#threads used for CPU inference" comes first among the delegate providers' echoes:
  // insert it before the first delegate line (the first line after the TFLite flags).
  if (flags.Has("num_threads") || verbose) {
    static const char* kDelegateEchoes[] = {"Max number of delegated partitions",
                                            "Min nodes per partition",
                                            "Directory for delegate serialization",
                                            "Use gpu",
                                            "Allow lower precision in gpu",
                                            "Enable running quant models in gpu",
                                            "Prefer maximizing the throughput in gpu",
                                            "GPU backend",
                                            "Use NNAPI",
                                            "NNAPI execution preference",
                                            "NNAPI accelerator name",
                                            "Disable NNAPI cpu",
                                            "Allow fp16 in NNAPI",
                                            "Use xnnpack",
                                            "Use Hexagon",
                                            "Hexagon lib path",
                                            "External delegate path"};
    size_t pos = lines.size();
    for (size_t i = 0; i < lines.size() && pos == lines.size(); ++i) {
      for (const char* d : kDelegateEchoes) {
        if (absl::StartsWith(lines[i], absl::StrCat(d, ": ["))) {
          pos = i;
          break;
        }
      }
    }
    lines.insert(
        lines.begin() + static_cast<ptrdiff_t>(pos),
        absl::StrCat("#threads used for CPU inference: [", flags.Int("num_threads", -1), "]"));
  }
  if (flags.Has("use_nnapi") && flags.Bool("use_nnapi", false)) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (absl::StartsWith(lines[i], "Use NNAPI: [")) {
        lines.insert(lines.begin() + static_cast<ptrdiff_t>(i) + 1,
                     "NNAPI accelerators available: [qti-default,qti-dsp,qti-gpu,"
                     "nnapi-reference]");
        break;
      }
    }
  }
  return lines;
}

std::string UsageText() {
  std::string out = "usage: (BenchmarkModelAndroid) <flags>\nFlags:";
  for (const FlagSpec& f : kFlags) {
    const char* type = f.type == Type::kBool    ? "bool"
                       : f.type == Type::kInt   ? "int32"
                       : f.type == Type::kFloat ? "float"
                                                : "string";
    absl::StrAppend(&out, "\n\t--", f.name, "=", f.def, "\t", type, "\toptional\t", f.help);
  }
  // One logcat message carries at most ~4 KB: the rest is cut off, as on a phone.
  constexpr size_t kMaxPayload = 4068 - 8;
  if (out.size() > kMaxPayload) out.resize(kMaxPayload);
  return out;
}

}  // namespace benchlab::devsim
