// Hodges-Lehmann shift and interval from the sorted pairwise differences.
#include "common/stats/hodges_lehmann.h"

#include <algorithm>
#include <cmath>

#include "common/stats/mann_whitney.h"
#include "common/stats/normal.h"
#include "common/stats/ranks.h"

namespace benchlab::stats {

ShiftInterval HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y,
                            double level) {
  ShiftInterval s;
  const int m = static_cast<int>(x.size()), n = static_cast<int>(y.size());
  if (m == 0 || n == 0) return s;
  std::vector<double> d;
  d.reserve(static_cast<size_t>(m) * n);
  for (double xi : x) {
    for (double yj : y) d.push_back(yj - xi);
  }
  std::sort(d.begin(), d.end());
  const size_t total = d.size();
  s.estimate = total % 2 ? d[total / 2] : (d[total / 2 - 1] + d[total / 2]) / 2;
  s.valid = true;

  const double alpha = 1 - level;
  const PooledRanks ranks = RankPooled(x, y);
  const double sigma = USigma(m, n, ranks.tie_term);
  // All values equal (sigma 0) has no spread to approximate: the exact table still says
  // how much confidence that many repeats can give.
  const bool exact = (!ranks.has_ties && m < kExactLimit && n < kExactLimit) || sigma == 0;
  int k = 1;
  if (exact) {
    UDistribution dist(m, n);
    k = std::max(1, dist.Quantile(alpha / 2));
    s.confidence = std::max(0.0, 1 - 2 * dist.Cdf(k - 1));
  } else {
    const double mean = static_cast<double>(m) * n / 2.0;
    k = static_cast<int>(std::floor(mean + 0.5 + NormalQuantile(alpha / 2) * sigma));
    k = std::clamp(k, 1, static_cast<int>(total));
    s.confidence = std::max(0.0, 1 - 2 * NormalCdf((k - 0.5 - mean) / sigma));
  }
  // The exact quantile can exceed the middle for tiny samples (1 vs 1): keep low <= high.
  k = std::min<int>(k, static_cast<int>((total + 1) / 2));
  s.low = d[k - 1];
  s.high = d[total - k];
  return s;
}

}  // namespace benchlab::stats
