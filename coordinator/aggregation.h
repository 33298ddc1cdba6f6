// Statistics across a device's repeats, and the old comparison of two aggregates.
// CompareJobs' verdict (faster/slower/same/inconclusive) is in verdicts.h; this rule only
// fills MetricComparison.significant for existing clients.
// Noise test (documented in lab.proto MetricComparison): a change of the medians counts
// as real when |change_pct| > max(1%, 2 * pooled relative stddev), where the pooled
// relative stddev is sqrt((s_b^2 + s_c^2) / 2) / baseline median * 100, and both sides
// have at least 2 repeats. It is a deliberately simple, conservative rule: two pooled
// standard deviations roughly matches a ~95% band for run-to-run noise on phones, and
// the 1% floor keeps identical-looking runs from flagging tiny drifts.
#ifndef BENCHLAB_COORDINATOR_AGGREGATION_H_
#define BENCHLAB_COORDINATOR_AGGREGATION_H_

#include <map>
#include <string>
#include <vector>

#include "benchlab/v1/lab.pb.h"
#include "benchlab/v1/metrics.pb.h"

namespace benchlab::coordinator {

// Median, mean, sample stddev, min, max of `values` (empty -> n = 0).
benchlab::v1::Aggregate Aggregate(const std::string& metric, std::vector<double> values);

// The scalar metrics of a BenchmarkMetrics by name (only those present).
std::map<std::string, double> MetricValues(const benchlab::v1::BenchmarkMetrics& m);

// The names MetricValues can return, in BenchmarkMetrics order.
const std::vector<std::string>& MetricNames();

// Aggregates of every metric over the given runs' metrics.
std::vector<benchlab::v1::Aggregate> AggregateRuns(
    const std::vector<const benchlab::v1::BenchmarkMetrics*>& runs);

// Compares two aggregates of the same metric with the noise rule above.
benchlab::v1::MetricComparison Compare(const benchlab::v1::Aggregate& baseline,
                                       const benchlab::v1::Aggregate& candidate);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_AGGREGATION_H_
