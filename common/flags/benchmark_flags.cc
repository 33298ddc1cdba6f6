// RenderFlags: typed flags with ranges, pass-through flags with a safe character set.
// ParseToolFlag and CheckToolArg use the same character rules; ParseToolFlag finds typed
// fields and value types in the flag tables (tool_flag_table.h).
#include "common/flags/benchmark_flags.h"

#include <set>

#include "absl/strings/numbers.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/flags/tool_flag_table.h"

namespace benchlab {
namespace {

bool SafeName(absl::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool SafeValue(absl::string_view s) {
  if (s.size() > 256) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok && absl::string_view("_.,:/+=-").find(c) == absl::string_view::npos) return false;
  }
  return true;
}

// A value with a ".." path segment: a path the tool reads or writes stays where it is named
// (no climbing out of /data/local/tmp/... into the rest of the phone).
bool ClimbsOut(absl::string_view v) {
  for (absl::string_view seg : absl::StrSplit(v, absl::ByAnyChar("/,:="))) {
    if (seg == "..") return true;
  }
  return false;
}

// Splits "--name=value"; false when the shape is wrong.
bool SplitFlag(absl::string_view arg, absl::string_view* name, absl::string_view* value) {
  if (arg.substr(0, 2) != "--") return false;
  size_t eq = arg.find('=');
  if (eq == absl::string_view::npos) return false;
  *name = arg.substr(2, eq - 2);
  *value = arg.substr(eq + 1);
  return true;
}

absl::Status BadFlag(absl::string_view arg, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("flag \"", absl::CHexEscape(arg), "\": ", why));
}

}  // namespace

absl::Status CheckToolArg(absl::string_view arg) {
  absl::string_view name, value;
  if (!SplitFlag(arg, &name, &value)) return BadFlag(arg, "must be --name=value");
  if (!SafeName(name)) return BadFlag(arg, "name must match [a-z][a-z0-9_]* (at most 64 characters)");
  if (name == "graph") return BadFlag(arg, "--graph is set by benchlab");
  if (!SafeValue(value)) {
    return BadFlag(arg, "value may hold only letters, digits and _.,:/+=- (at most 256 characters)");
  }
  if (ClimbsOut(value)) return BadFlag(arg, "a path may not hold a '..' segment");
  return absl::OkStatus();
}

absl::Status ParseToolFlag(absl::string_view arg, benchlab::v1::BenchmarkFlags* f) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--flag '", absl::CHexEscape(arg), "': ", why));
  };
  absl::string_view name, value;
  if (!SplitFlag(arg, &name, &value)) return bad("must look like --name=value (e.g. --flag --num_threads=4)");
  if (name.empty()) return bad("the flag name is empty");
  if (absl::Status s = CheckToolArg(arg); !s.ok()) return s;
  // The flag tables (tool_flag_table.h) say which names a typed field holds, and its type.
  const ToolFlagSpec* spec = FindToolFlag(name);
  if (spec != nullptr) {
    if (absl::Status s = CheckFlagValue(*spec, value); !s.ok()) return bad(s.message());
  }
  const auto* field = spec == nullptr || *spec->field == '\0'
                          ? nullptr
                          : benchlab::v1::BenchmarkFlags::descriptor()->FindFieldByName(spec->field);
  if (field == nullptr) {
    auto* extra = f->add_extra();
    extra->set_name(std::string(name));
    extra->set_value(std::string(value));
    return absl::OkStatus();
  }
  const auto* reflection = f->GetReflection();
  using FD = google::protobuf::FieldDescriptor;
  switch (field->cpp_type()) {
    case FD::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return bad("the value must be an integer");
      reflection->SetInt32(f, field, v);
      break;
    }
    case FD::CPPTYPE_DOUBLE: {
      double v = 0;
      if (!absl::SimpleAtod(value, &v)) return bad("the value must be a number");
      reflection->SetDouble(f, field, v);
      break;
    }
    case FD::CPPTYPE_BOOL:
      reflection->SetBool(f, field, value == "true" || value == "1");
      break;
    case FD::CPPTYPE_STRING:
      reflection->SetString(f, field, std::string(value));
      break;
    default:
      return bad("this flag cannot be set with --flag");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RenderFlags(const benchlab::v1::BenchmarkFlags& f) {
  std::vector<std::string> out;
  std::set<std::string> typed;
  auto range_int = [&](const char* name, bool has, int64_t v, int64_t lo, int64_t hi) -> absl::Status {
    typed.insert(name);
    if (!has) return absl::OkStatus();
    if (v < lo || v > hi) {
      return absl::InvalidArgumentError(absl::StrFormat("%s=%d is outside %d..%d", name, v, lo, hi));
    }
    out.push_back(absl::StrCat("--", name, "=", v));
    return absl::OkStatus();
  };
  auto range_double = [&](const char* name, bool has, double v, double lo, double hi) -> absl::Status {
    typed.insert(name);
    if (!has) return absl::OkStatus();
    if (!(v >= lo && v <= hi)) {
      return absl::InvalidArgumentError(absl::StrFormat("%s=%g is outside %g..%g", name, v, lo, hi));
    }
    out.push_back(absl::StrFormat("--%s=%g", name, v));
    return absl::OkStatus();
  };
  auto boolean = [&](const char* name, bool has, bool v) {
    typed.insert(name);
    if (has) out.push_back(absl::StrCat("--", name, "=", v ? "true" : "false"));
  };
  auto text = [&](const char* name, bool has, const std::string& v) -> absl::Status {
    typed.insert(name);
    if (!has) return absl::OkStatus();
    if (!SafeValue(v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": only letters, digits and _.,:/+=- are allowed (at most 256 characters)"));
    }
    if (ClimbsOut(v)) return absl::InvalidArgumentError(absl::StrCat(name, ": a path may not hold a '..' segment"));
    out.push_back(absl::StrCat("--", name, "=", v));
    return absl::OkStatus();
  };
  for (absl::Status s : {
           range_int("num_threads", f.has_num_threads(), f.num_threads(), 1, 64),
           range_int("num_runs", f.has_num_runs(), f.num_runs(), 1, 100000),
           range_int("warmup_runs", f.has_warmup_runs(), f.warmup_runs(), 0, 100000),
           range_double("min_secs", f.has_min_secs(), f.min_secs(), 0, 3600),
           range_double("max_secs", f.has_max_secs(), f.max_secs(), 0, 3600),
           range_double("warmup_min_secs", f.has_warmup_min_secs(), f.warmup_min_secs(), 0, 3600),
           range_double("run_delay", f.has_run_delay_secs(), f.run_delay_secs(), 0, 60),
           range_int("memory_footprint_check_interval_ms", f.has_memory_footprint_check_interval_ms(),
                     f.memory_footprint_check_interval_ms(), 1, 60000),
           text("input_layer", f.has_input_layer(), f.input_layer()),
           text("input_layer_shape", f.has_input_layer_shape(), f.input_layer_shape()),
       }) {
    if (!s.ok()) return s;
  }
  boolean("use_gpu", f.has_use_gpu(), f.use_gpu());
  boolean("use_nnapi", f.has_use_nnapi(), f.use_nnapi());
  boolean("use_xnnpack", f.has_use_xnnpack(), f.use_xnnpack());
  boolean("enable_op_profiling", f.has_enable_op_profiling(), f.enable_op_profiling());
  boolean("report_peak_memory_footprint", f.has_report_peak_memory_footprint(),
          f.report_peak_memory_footprint());
  boolean("use_hexagon", f.has_use_hexagon(), f.use_hexagon());
  boolean("gpu_precision_loss_allowed", f.has_gpu_precision_loss_allowed(),
          f.gpu_precision_loss_allowed());
  typed.insert("graph");
  for (const auto& e : f.extra()) {
    if (!SafeName(e.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "extra flag name '", e.name(), "': use [a-z][a-z0-9_]* (at most 64 characters)"));
    }
    if (typed.contains(e.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "extra flag --", e.name(), " is set by a typed field or by benchlab; use that instead"));
    }
    if (!SafeValue(e.value())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "extra flag --", e.name(), ": value may hold only letters, digits and _.,:/+=- (max 256)"));
    }
    if (ClimbsOut(e.value())) {
      return absl::InvalidArgumentError(absl::StrCat("extra flag --", e.name(), ": a path may not hold a '..' segment"));
    }
    out.push_back(absl::StrCat("--", e.name(), "=", e.value()));
  }
  return out;
}

}  // namespace benchlab
