// ParseResultFile and MergeResultFile (result_file.h). Tolerances: the classic log prints
// latencies in whole microseconds (avg with 6 significant digits) and memory in MB with 6
// significant digits; LiteRT's block prints ms and MB with 2 decimals; the file holds float
// milliseconds and whole KB. Anything within those roundings agrees.
#include "agent/run/result_file.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;
namespace tv1 = benchlab::tool::v1;

// Relative tolerance of float32 ms against %g-printed us, and absolute ones per unit.
constexpr double kRelTolerance = 0.002;
constexpr double kUsTolerance = 6.0;  // LiteRT prints ms with 2 decimals: +-5 us
constexpr double kMbTolerance = 0.011;

bool Close(double file, double log, double abs_tol) {
  return std::fabs(file - log) <= std::max(abs_tol, kRelTolerance * std::fabs(log));
}

}  // namespace

absl::StatusOr<tv1::ToolBenchmarkResult> ParseResultFile(absl::string_view bytes) {
  tv1::ToolBenchmarkResult r;
  if (bytes.empty()) return absl::InvalidArgumentError("the result file is empty");
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("the result file (", bytes.size(), " bytes) is not a BenchmarkResult proto"));
  }
  if (!r.has_latency_metrics()) {
    return absl::InvalidArgumentError("the result file has no latency metrics");
  }
  const tv1::ToolLatencyMetrics& l = r.latency_metrics();
  for (float v : {l.avg_ms(), l.min_ms(), l.max_ms(), l.stddev_ms(), l.median_ms(), l.p5_ms(), l.p95_ms(),
                  l.init_ms(), l.first_inference_ms(), l.average_warm_up_ms()}) {
    if (!std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("the result file holds a latency of ", v, " ms"));
    }
  }
  return r;
}

ResultFileMerge MergeResultFile(const tv1::ToolBenchmarkResult& file, v1::BenchmarkMetrics* m) {
  std::vector<std::string> differ;
  int compared = 0;
  // Compares when the log has the metric, then takes the file's value.
  auto take = [&](const char* name, bool file_has, double file_value, bool log_has, double log_value,
                  double abs_tol, auto set) {
    if (!file_has) return;
    if (log_has) {
      ++compared;
      if (!Close(file_value, log_value, abs_tol)) {
        differ.push_back(absl::StrFormat("%s: file %.6g, log %.6g", name, file_value, log_value));
      }
    }
    set(file_value);
  };
  auto us = [](float ms) { return static_cast<double>(ms) * 1000.0; };
  auto round_us = [](double v) { return static_cast<int64_t>(std::llround(v)); };
  const tv1::ToolLatencyMetrics& l = file.latency_metrics();
  take("avg_us", l.has_avg_ms(), us(l.avg_ms()), m->has_avg_us(), m->avg_us(), kUsTolerance,
       [&](double v) { m->set_avg_us(v); });
  take("min_us", l.has_min_ms(), us(l.min_ms()), m->has_min_us(), static_cast<double>(m->min_us()), kUsTolerance,
       [&](double v) { m->set_min_us(round_us(v)); });
  take("max_us", l.has_max_ms(), us(l.max_ms()), m->has_max_us(), static_cast<double>(m->max_us()), kUsTolerance,
       [&](double v) { m->set_max_us(round_us(v)); });
  take("std_us", l.has_stddev_ms(), us(l.stddev_ms()), m->has_std_us(), static_cast<double>(m->std_us()),
       kUsTolerance, [&](double v) { m->set_std_us(round_us(v)); });
  take("median_us", l.has_median_ms(), us(l.median_ms()), m->has_median_us(), static_cast<double>(m->median_us()),
       kUsTolerance, [&](double v) { m->set_median_us(round_us(v)); });
  take("p5_us", l.has_p5_ms(), us(l.p5_ms()), m->has_p5_us(), static_cast<double>(m->p5_us()), kUsTolerance,
       [&](double v) { m->set_p5_us(round_us(v)); });
  take("p95_us", l.has_p95_ms(), us(l.p95_ms()), m->has_p95_us(), static_cast<double>(m->p95_us()), kUsTolerance,
       [&](double v) { m->set_p95_us(round_us(v)); });
  take("init_us", l.has_init_ms(), us(l.init_ms()), m->has_init_us(), static_cast<double>(m->init_us()),
       kUsTolerance, [&](double v) { m->set_init_us(round_us(v)); });
  take("first_inference_us", l.has_first_inference_ms(), us(l.first_inference_ms()), m->has_first_inference_us(),
       static_cast<double>(m->first_inference_us()), kUsTolerance,
       [&](double v) { m->set_first_inference_us(round_us(v)); });
  take("warmup_avg_us", l.has_average_warm_up_ms(), us(l.average_warm_up_ms()), m->has_warmup_avg_us(),
       m->warmup_avg_us(), kUsTolerance, [&](double v) { m->set_warmup_avg_us(v); });
  // The classic summary's "Inference (avg)" is the timed phase's mean again.
  if (l.has_avg_ms()) {
    take("inference_avg_us", true, us(l.avg_ms()), m->has_inference_avg_us(), m->inference_avg_us(), kUsTolerance,
         [&](double v) { m->set_inference_avg_us(v); });
  }
  const tv1::ToolMemoryMetrics& mem = file.memory_metrics();
  auto mb = [](int64_t kb) { return static_cast<double>(kb) / 1024.0; };
  take("memory_init_mb", mem.has_init_footprint_kb(), mb(mem.init_footprint_kb()), m->has_memory_init_mb(),
       m->memory_init_mb(), kMbTolerance, [&](double v) { m->set_memory_init_mb(v); });
  take("memory_overall_mb", mem.has_overall_footprint_kb(), mb(mem.overall_footprint_kb()),
       m->has_memory_overall_mb(), m->memory_overall_mb(), kMbTolerance,
       [&](double v) { m->set_memory_overall_mb(v); });
  // peak_mem_mb <= 0 is the tools' "not measured".
  take("peak_memory_mb", mem.has_peak_mem_mb() && mem.peak_mem_mb() > 0, mem.peak_mem_mb(),
       m->has_peak_memory_mb(), m->peak_memory_mb(), kMbTolerance, [&](double v) { m->set_peak_memory_mb(v); });
  const tv1::ToolMiscMetrics& misc = file.misc_metrics();
  take("count", misc.has_num_runs(), misc.num_runs(), m->has_count(), static_cast<double>(m->count()), 0.0,
       [&](double v) { m->set_count(static_cast<int64_t>(v)); });
  if (misc.has_model_throughput_in_mb_per_sec() && misc.model_throughput_in_mb_per_sec() > 0) {
    take("throughput_mb_per_s", true, misc.model_throughput_in_mb_per_sec(), m->has_throughput_mb_per_s(),
         m->throughput_mb_per_s(), 0.011, [&](double v) { m->set_throughput_mb_per_s(v); });
  }
  if (misc.has_model_size_mb()) m->set_model_size_mb(misc.model_size_mb());

  ResultFileMerge out;
  if (!differ.empty()) {
    out.status = v1::RESULT_FILE_STATUS_DISAGREES;
    out.note = absl::StrCat("the result file and the log disagree: ", absl::StrJoin(differ, "; "));
  } else {
    out.status = compared > 0 ? v1::RESULT_FILE_STATUS_AGREES : v1::RESULT_FILE_STATUS_FILE_ONLY;
  }
  return out;
}

}  // namespace benchlab::agent
