// A bucket histogram for durations (queue wait, run, push): observed under its own lock by
// whoever measures, read as a snapshot at scrape time.
#ifndef BENCHLAB_COMMON_EXPOSITION_HISTOGRAM_H_
#define BENCHLAB_COMMON_EXPOSITION_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace benchlab::exposition {

struct HistogramSnapshot {
  std::vector<double> bounds;    // upper bounds, ascending (+Inf implied)
  std::vector<uint64_t> counts;  // per bucket, NOT cumulative; bounds.size() + 1 entries
  uint64_t count = 0;
  double sum = 0;
};

// Bucket bounds for durations in seconds from 10 ms to about an hour (benchmark runs take
// seconds to minutes; queue waits can be long while a big job drains).
std::vector<double> DurationBuckets();

class BucketHistogram {
 public:
  explicit BucketHistogram(std::vector<double> bounds = DurationBuckets());
  void Observe(double v) ABSL_LOCKS_EXCLUDED(mu_);
  HistogramSnapshot Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  HistogramSnapshot data_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::exposition

#endif  // BENCHLAB_COMMON_EXPOSITION_HISTOGRAM_H_
