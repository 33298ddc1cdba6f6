// The Hodges-Lehmann estimate of the shift between two samples (the median of all
// pairwise differences y_j - x_i) and its distribution-free confidence interval, whose
// ends are order statistics of those differences chosen by the Mann-Whitney critical
// value: [d_(k), d_(mn+1-k)] covers the true shift with probability 1 - 2 P(U <= k-1).
#ifndef BENCHLAB_COMMON_STATS_HODGES_LEHMANN_H_
#define BENCHLAB_COMMON_STATS_HODGES_LEHMANN_H_

#include <vector>

namespace benchlab::stats {

struct ShiftInterval {
  // Median of the m*n differences y_j - x_i (y shifted against x).
  double estimate = 0;
  double low = 0;
  double high = 0;
  // The coverage the interval actually has. With few values the discrete distribution
  // cannot reach every level: 2 vs 2 repeats give at most 1 - 2/6 = 0.667, so callers
  // compare this with the level they need instead of trusting the asked one.
  double confidence = 0;
  // False when a sample is empty.
  bool valid = false;
};

// k is picked as R's wilcox.test does: exactly (k = qwilcox(alpha/2, m, n), at least 1)
// without ties and below 50 values per sample; otherwise by the normal approximation of
// U with the tie-corrected variance, the largest k with
// Phi((k - 1/2 - m n / 2) / sigma) <= alpha / 2. (R solves the tie case by root finding
// on the statistic; the two differ by at most one order statistic.)
ShiftInterval HodgesLehmann(const std::vector<double>& x, const std::vector<double>& y,
                            double level);

}  // namespace benchlab::stats

#endif  // BENCHLAB_COMMON_STATS_HODGES_LEHMANN_H_
