// JSON and table views of a BenchmarkResult. Doubles print like the tool prints them
// (%g, 6 significant digits) in the table; JSON keeps the parsed double.
#include "common/metrics_json.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace benchlab {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
void Put(Json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

void PutString(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

Json Lines(const std::vector<std::string>& lines) {
  Json a = Json::array();
  for (const std::string& l : lines) a.push_back(l);
  return a;
}

std::string Int(const std::optional<int64_t>& v) { return v ? absl::StrCat(*v) : "-"; }
std::string Dbl(const std::optional<double>& v) { return v ? absl::StrFormat("%g", *v) : "-"; }
std::string Fixed3(const std::optional<double>& v) {  // op tables print ms and % as %.3f
  return v ? absl::StrFormat("%.3f", *v) : "-";
}

}  // namespace

Json LatencyStatsToJson(const LatencyStats& s) {
  Json j = Json::object();
  Put(j, "count", s.count);
  Put(j, "first_us", s.first_us);
  Put(j, "curr_us", s.curr_us);
  Put(j, "min_us", s.min_us);
  Put(j, "max_us", s.max_us);
  Put(j, "avg_us", s.avg_us);
  Put(j, "std_us", s.std_us);
  Put(j, "p5_us", s.p5_us);
  Put(j, "median_us", s.median_us);
  Put(j, "p95_us", s.p95_us);
  if (s.all_same) j["all_same"] = true;
  return j;
}

Json MetricsToJson(const BenchmarkResult& r) {
  Json j = Json::object();
  if (const LatencyStats* t = r.main_stats()) {
    Json stats = LatencyStatsToJson(*t);
    for (auto it = stats.begin(); it != stats.end(); ++it) {
      if (it.key() != "all_same") j[it.key()] = it.value();
    }
  }
  Put(j, "init_us", r.init_us);
  Put(j, "first_inference_us", r.first_inference_us);
  Put(j, "warmup_avg_us", r.warmup_avg_us);
  Put(j, "inference_avg_us", r.inference_avg_us);
  Put(j, "memory_init_mb", r.memory_init_mb);
  Put(j, "memory_overall_mb", r.memory_overall_mb);
  Put(j, "peak_memory_mb", r.peak_memory_mb);
  if (r.warmup) j["warmup"] = LatencyStatsToJson(*r.warmup);
  if (r.timed) j["timed"] = LatencyStatsToJson(*r.timed);
  return j;
}

Json BenchmarkResultToJson(const BenchmarkResult& r) {
  Json j = Json::object();
  j["status"] = std::string(RunStatusName(r.status));
  if (r.error_class != ErrorClass::kNone) j["error_class"] = std::string(ErrorClassName(r.error_class));
  j["complete"] = r.complete;
  if (r.process_died) j["process_died"] = true;
  Put(j, "pid", r.pid);
  j["metrics"] = MetricsToJson(r);
  PutString(j, "model_path", r.model_path);
  PutString(j, "signature", r.signature);
  Put(j, "model_size_mb", r.model_size_mb);
  Put(j, "session_init_ms", r.session_init_ms);
  PutString(j, "args", r.args);
  if (!r.params.empty()) {
    Json p = Json::object();
    for (const auto& [key, value] : r.params) p[key] = value;
    j["params"] = std::move(p);
  }
  if (r.vm_rss_mb || r.rss_anon_mb || r.rss_file_shmem_mb) {
    Json m = Json::object();
    Put(m, "vm_rss_mb", r.vm_rss_mb);
    Put(m, "rss_anon_mb", r.rss_anon_mb);
    Put(m, "rss_file_shmem_mb", r.rss_file_shmem_mb);
    j["memory_status"] = std::move(m);
  }
  if (r.legacy_summary) j["legacy_summary"] = true;
  PutString(j, "legacy_memory", r.legacy_memory);
  if (!r.delegates.empty()) {
    Json a = Json::array();
    for (const DelegateApplication& d : r.delegates) {
      Json o = {{"name", d.name}, {"execution", d.execution}};
      Put(o, "kernels", d.kernels);
      a.push_back(std::move(o));
    }
    j["delegates"] = std::move(a);
  }
  if (!r.delegate_replacements.empty()) {
    Json a = Json::array();
    for (const DelegateReplacement& d : r.delegate_replacements) {
      Json o = {{"kernel", d.kernel}};
      Put(o, "nodes_replaced", d.nodes_replaced);
      Put(o, "nodes_total", d.nodes_total);
      Put(o, "partitions", d.partitions);
      a.push_back(std::move(o));
    }
    j["delegate_replacements"] = std::move(a);
  }
  if (!r.delegate_lines.empty()) j["delegate_lines"] = Lines(r.delegate_lines);
  if (!r.op_profiles.empty()) {
    Json a = Json::array();
    for (const OpProfile& p : r.op_profiles) {
      Json o = {{"title", p.title}, {"ended", p.ended}};
      Put(o, "nodes_executed", p.nodes_executed);
      Put(o, "nodes_observed", p.nodes_observed);
      if (p.timings) o["timings"] = LatencyStatsToJson(*p.timings);
      Json rows = Json::array();
      for (const OpProfileRow& row : p.run_order) {
        Json x = {{"node_type", row.node_type}, {"name", row.name}};
        Put(x, "first_ms", row.first_ms);
        Put(x, "avg_ms", row.avg_ms);
        Put(x, "percent", row.percent);
        Put(x, "cdf_percent", row.cdf_percent);
        Put(x, "mem_kb", row.mem_kb);
        Put(x, "times_called", row.times_called);
        rows.push_back(std::move(x));
      }
      o["run_order"] = std::move(rows);
      Json types = Json::array();
      for (const OpTypeRow& row : p.by_type) {
        Json x = {{"node_type", row.node_type}};
        Put(x, "count", row.count);
        Put(x, "avg_ms", row.avg_ms);
        Put(x, "percent", row.percent);
        Put(x, "cdf_percent", row.cdf_percent);
        Put(x, "mem_kb", row.mem_kb);
        Put(x, "times_called", row.times_called);
        types.push_back(std::move(x));
      }
      o["by_type"] = std::move(types);
      o["text"] = p.text;
      a.push_back(std::move(o));
    }
    j["op_profiles"] = std::move(a);
  }
  if (!r.error_lines.empty()) j["error_lines"] = Lines(r.error_lines);
  if (!r.warning_lines.empty()) j["warning_lines"] = Lines(r.warning_lines);
  j["unknown_line_count"] = r.unknown_line_count;
  if (!r.unknown_lines.empty()) j["unknown_lines"] = Lines(r.unknown_lines);
  j["diagnostic_count"] = r.diagnostic_count;
  if (!r.diagnostics.empty()) {
    Json a = Json::array();
    for (const Diagnostic& d : r.diagnostics) {
      a.push_back({{"line", d.line_number}, {"text", d.text}, {"problem", d.problem}});
    }
    j["diagnostics"] = std::move(a);
  }
  j["lines_fed"] = r.lines_fed;
  j["lines_ignored"] = r.lines_ignored;
  return j;
}

std::string FormatBenchmarkJson(const BenchmarkResult& result, int indent) {
  return BenchmarkResultToJson(result).dump(indent, ' ', false,
                                            nlohmann::ordered_json::error_handler_t::replace);
}

std::string FormatBenchmarkTable(const BenchmarkResult& r) {
  std::string out;
  std::string status(RunStatusName(r.status));
  if (r.error_class != ErrorClass::kNone) absl::StrAppend(&status, " (", ErrorClassName(r.error_class), ")");
  if (!r.complete) absl::StrAppend(&status, ", incomplete");
  if (r.process_died) absl::StrAppend(&status, ", process died");
  absl::StrAppendFormat(&out, "%-20s %s\n", "status", status);
  if (r.pid) absl::StrAppendFormat(&out, "%-20s %d\n", "pid", *r.pid);
  if (!r.model_path.empty() || r.model_size_mb) {
    absl::StrAppendFormat(&out, "%-20s %s%s\n", "model", r.model_path.empty() ? "-" : r.model_path,
                          r.model_size_mb ? absl::StrFormat(" (%g MB)", *r.model_size_mb) : "");
  }
  for (const DelegateApplication& d : r.delegates) {
    absl::StrAppendFormat(&out, "%-20s %s: %s%s\n", "delegate", d.name, d.execution,
                          d.kernels ? absl::StrFormat(" (%d kernels)", *d.kernels) : "");
  }
  for (const DelegateReplacement& d : r.delegate_replacements) {
    absl::StrAppendFormat(&out, "%-20s %s: %s of %s nodes, %s partitions\n", "delegate nodes",
                          d.kernel, Int(d.nodes_replaced), Int(d.nodes_total), Int(d.partitions));
  }

  if (r.warmup || r.timed) {
    absl::StrAppendFormat(&out, "\n%-8s %8s %10s %10s %10s %10s %12s %8s %10s %10s %10s\n", "phase",
                          "count", "first_us", "curr_us", "min_us", "max_us", "avg_us", "std_us",
                          "p5_us", "median_us", "p95_us");
    auto row = [&out](const char* name, const LatencyStats& s) {
      absl::StrAppendFormat(&out, "%-8s %8s %10s %10s %10s %10s %12s %8s %10s %10s %10s\n", name,
                            Int(s.count), Int(s.first_us), Int(s.curr_us), Int(s.min_us),
                            Int(s.max_us), Dbl(s.avg_us), Int(s.std_us), Int(s.p5_us),
                            Int(s.median_us), Int(s.p95_us));
    };
    if (r.warmup) row("warmup", *r.warmup);
    if (r.timed) row("timed", *r.timed);
  }

  bool any_summary = r.init_us || r.first_inference_us || r.warmup_avg_us || r.inference_avg_us ||
                     r.memory_init_mb || r.memory_overall_mb || r.peak_memory_mb;
  if (any_summary) {
    out += "\n";
    auto kv = [&out](const char* key, const std::string& v) {
      if (v != "-") absl::StrAppendFormat(&out, "%-20s %12s\n", key, v);
    };
    kv("init_us", Int(r.init_us));
    kv("first_inference_us", Int(r.first_inference_us));
    kv("warmup_avg_us", Dbl(r.warmup_avg_us));
    kv("inference_avg_us", Dbl(r.inference_avg_us));
    kv("memory_init_mb", Dbl(r.memory_init_mb));
    kv("memory_overall_mb", Dbl(r.memory_overall_mb));
    kv("peak_memory_mb", Dbl(r.peak_memory_mb));
    kv("vm_rss_mb", Int(r.vm_rss_mb));
    kv("rss_anon_mb", Int(r.rss_anon_mb));
    kv("rss_file_shmem_mb", Int(r.rss_file_shmem_mb));
  }
  if (!r.legacy_memory.empty()) absl::StrAppendFormat(&out, "%-20s %s\n", "legacy memory", r.legacy_memory);

  for (const OpProfile& p : r.op_profiles) {
    absl::StrAppendFormat(&out, "\n%s%s\n", p.title, p.ended ? "" : " (cut off)");
    if (!p.run_order.empty()) {
      absl::StrAppendFormat(&out, "  %-24s %10s %10s %8s  %s\n", "node_type", "first_ms", "avg_ms",
                            "percent", "name");
      for (const OpProfileRow& row : p.run_order) {
        absl::StrAppendFormat(&out, "  %-24s %10s %10s %8s  %s\n", row.node_type, Fixed3(row.first_ms),
                              Fixed3(row.avg_ms), Fixed3(row.percent), row.name);
      }
    }
    if (!p.by_type.empty()) {
      absl::StrAppendFormat(&out, "  %-24s %10s %10s %8s\n", "by node_type", "count", "avg_ms",
                            "percent");
      for (const OpTypeRow& row : p.by_type) {
        absl::StrAppendFormat(&out, "  %-24s %10s %10s %8s\n", row.node_type, Int(row.count),
                              Fixed3(row.avg_ms), Fixed3(row.percent));
      }
    }
    if (p.timings) {
      absl::StrAppendFormat(&out, "  timings: count=%s avg_us=%s\n", Int(p.timings->count),
                            Dbl(p.timings->avg_us));
    }
  }

  if (r.status == RunStatus::kFailed && !r.error_lines.empty()) {
    out += "\nwhy:\n";
    size_t shown = 0;
    for (const std::string& l : r.error_lines) {
      if (++shown > 20) {
        absl::StrAppendFormat(&out, "  ... %d more\n", r.error_lines.size() - 20);
        break;
      }
      absl::StrAppend(&out, "  ", l, "\n");
    }
  }
  if (r.unknown_line_count > 0) {
    absl::StrAppendFormat(&out, "\n%-20s %d\n", "unknown lines", r.unknown_line_count);
  }
  if (r.diagnostic_count > 0) {
    absl::StrAppendFormat(&out, "%-20s %d\n", "diagnostics", r.diagnostic_count);
    size_t shown = 0;
    for (const Diagnostic& d : r.diagnostics) {
      if (++shown > 10) break;
      absl::StrAppendFormat(&out, "  line %d: %s\n", d.line_number, d.problem);
    }
  }
  return out;
}

}  // namespace benchlab
