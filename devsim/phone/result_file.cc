// ToolResultFileBytes: what BenchmarkModel's result listener writes at the end of a run
// (field meanings in proto/benchlab/tool/v1/benchmark_result.proto), from the numbers that
// the run's log lines print, so the two agree unless a fault says otherwise.
#include "devsim/phone/result_file.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "benchlab/tool/v1/benchmark_result.pb.h"
#include "devsim/phone/vfs.h"

namespace benchlab::devsim {
namespace {

float Ms(double us) { return static_cast<float>(us / 1000.0); }

// The sample at quantile q of sorted samples (nearest rank below).
int64_t Percentile(const std::vector<int64_t>& sorted, double q) {
  const size_t i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1));
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

std::string ToolResultFileBytes(const RunNumbers& n, int64_t model_size_bytes, bool report_peak,
                                double latency_factor) {
  benchlab::tool::v1::ToolBenchmarkResult r;
  auto* lat = r.mutable_latency_metrics();
  const double f = latency_factor;
  if (!n.timed_us.empty()) {
    std::vector<int64_t> sorted = n.timed_us;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0, sumsq = 0;
    for (int64_t v : sorted) {
      sum += static_cast<double>(v);
      sumsq += static_cast<double>(v) * static_cast<double>(v);
    }
    const double count = static_cast<double>(sorted.size());
    const double avg = sum / count;
    // As the stats line: the variance, then its root, each truncated to whole us.
    const int64_t var = static_cast<int64_t>(sumsq / count - avg * avg);
    const int64_t std_us = static_cast<int64_t>(std::sqrt(static_cast<double>(std::max<int64_t>(0, var))));
    lat->set_avg_ms(Ms(avg * f));
    lat->set_min_ms(Ms(static_cast<double>(sorted.front()) * f));
    lat->set_max_ms(Ms(static_cast<double>(sorted.back()) * f));
    lat->set_stddev_ms(Ms(static_cast<double>(std_us) * f));
    lat->set_median_ms(Ms(static_cast<double>(Percentile(sorted, 0.5)) * f));
    lat->set_p5_ms(Ms(static_cast<double>(Percentile(sorted, 0.05)) * f));
    lat->set_p95_ms(Ms(static_cast<double>(Percentile(sorted, 0.95)) * f));
  }
  lat->set_init_ms(Ms(static_cast<double>(n.init_us) * f));
  if (!n.warmup_us.empty()) {
    double sum = 0;
    for (int64_t v : n.warmup_us) sum += static_cast<double>(v);
    lat->set_first_inference_ms(Ms(static_cast<double>(n.warmup_us.front()) * f));
    lat->set_average_warm_up_ms(Ms(sum / static_cast<double>(n.warmup_us.size()) * f));
  }
  auto* mem = r.mutable_memory_metrics();
  // The log prints KB/1024; the file keeps the KB.
  mem->set_init_footprint_kb(std::llround(n.mem_init_mb * 1024.0));
  mem->set_overall_footprint_kb(std::llround(n.mem_overall_mb * 1024.0));
  if (report_peak) mem->set_peak_mem_mb(static_cast<float>(n.peak_mb));
  auto* misc = r.mutable_misc_metrics();
  misc->set_model_size_mb(static_cast<float>(static_cast<double>(model_size_bytes) / 1e6));
  misc->set_num_runs(static_cast<int32_t>(n.timed_us.size()));
  misc->set_num_warmup_runs(static_cast<int32_t>(n.warmup_us.size()));
  if (lat->avg_ms() > 0) {
    misc->set_model_throughput_in_mb_per_sec(
        static_cast<float>(static_cast<double>(model_size_bytes) / 1e6 / (lat->avg_ms() / 1000.0)));
  }
  return r.SerializeAsString();
}

bool AppMayWrite(absl::string_view path, const std::string& data_dir, const std::string& package) {
  const std::string norm = Vfs::Normalize(path);
  const std::string user_dir = absl::StrCat("/data/user/0/", package);
  auto below = [&](const std::string& dir) { return absl::StartsWith(norm, dir + "/"); };
  return below(data_dir) || below(user_dir);
}

}  // namespace benchlab::devsim
