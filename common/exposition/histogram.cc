// BucketHistogram: one counter per bucket, cumulated only when exposed.
#include "common/exposition/histogram.h"

#include <algorithm>

namespace benchlab::exposition {

std::vector<double> DurationBuckets() {
  return {0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
}

BucketHistogram::BucketHistogram(std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  data_.counts.assign(bounds.size() + 1, 0);
  data_.bounds = std::move(bounds);
}

void BucketHistogram::Observe(double v) {
  absl::MutexLock lock(&mu_);
  size_t i = std::lower_bound(data_.bounds.begin(), data_.bounds.end(), v) - data_.bounds.begin();
  ++data_.counts[i];
  ++data_.count;
  data_.sum += v;
}

HistogramSnapshot BucketHistogram::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return data_;
}

}  // namespace benchlab::exposition
