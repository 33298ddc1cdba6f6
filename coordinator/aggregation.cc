// Aggregation and comparison; see aggregation.h for the noise rule.
#include "coordinator/aggregation.h"

#include <algorithm>
#include <cmath>

namespace benchlab::coordinator {

benchlab::v1::Aggregate Aggregate(const std::string& metric, std::vector<double> values) {
  benchlab::v1::Aggregate a;
  a.set_metric(metric);
  a.set_n(static_cast<int>(values.size()));
  if (values.empty()) return a;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  a.set_median(n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
  double sum = 0;
  for (double v : values) sum += v;
  double mean = sum / n;
  a.set_mean(mean);
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  a.set_stddev(n > 1 ? std::sqrt(ss / (n - 1)) : 0.0);
  a.set_min(values.front());
  a.set_max(values.back());
  return a;
}

// Every scalar of BenchmarkMetrics, once: MetricValues and MetricNames both expand it.
#define BL_FOR_EACH_METRIC(X) \
  X(count) X(first_us) X(curr_us) X(min_us) X(max_us) X(avg_us) X(std_us) X(init_us) \
  X(first_inference_us) X(warmup_avg_us) X(inference_avg_us) X(memory_init_mb) \
  X(memory_overall_mb) X(peak_memory_mb) X(p5_us) X(median_us) X(p95_us)

std::map<std::string, double> MetricValues(const benchlab::v1::BenchmarkMetrics& m) {
  std::map<std::string, double> out;
#define BL_METRIC(name) \
  if (m.has_##name()) out[#name] = static_cast<double>(m.name());
  BL_FOR_EACH_METRIC(BL_METRIC)
#undef BL_METRIC
  return out;
}

const std::vector<std::string>& MetricNames() {
#define BL_METRIC_NAME(name) #name,
  static const std::vector<std::string> names = {BL_FOR_EACH_METRIC(BL_METRIC_NAME)};
#undef BL_METRIC_NAME
  return names;
}

std::vector<benchlab::v1::Aggregate> AggregateRuns(
    const std::vector<const benchlab::v1::BenchmarkMetrics*>& runs) {
  std::map<std::string, std::vector<double>> by_metric;
  for (const auto* m : runs) {
    for (const auto& [name, v] : MetricValues(*m)) by_metric[name].push_back(v);
  }
  std::vector<benchlab::v1::Aggregate> out;
  for (auto& [name, values] : by_metric) out.push_back(Aggregate(name, std::move(values)));
  return out;
}

benchlab::v1::MetricComparison Compare(const benchlab::v1::Aggregate& baseline,
                                       const benchlab::v1::Aggregate& candidate) {
  benchlab::v1::MetricComparison c;
  c.set_metric(baseline.metric());
  *c.mutable_baseline() = baseline;
  *c.mutable_candidate() = candidate;
  double base = baseline.median();
  if (baseline.n() == 0 || candidate.n() == 0 || base == 0) return c;
  double change = 100.0 * (candidate.median() - base) / std::fabs(base);
  double pooled = std::sqrt((baseline.stddev() * baseline.stddev() +
                             candidate.stddev() * candidate.stddev()) / 2.0);
  double noise = std::max(1.0, 2.0 * 100.0 * pooled / std::fabs(base));
  c.set_change_pct(change);
  c.set_noise_pct(noise);
  c.set_significant(baseline.n() >= 2 && candidate.n() >= 2 && std::fabs(change) > noise);
  return c;
}

}  // namespace benchlab::coordinator
