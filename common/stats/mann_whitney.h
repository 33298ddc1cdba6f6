// The Mann-Whitney U (Wilcoxon rank-sum) test of two independent samples, two-sided.
// As R's wilcox.test: the exact null distribution when both samples have fewer than 50
// values and no ties, else the normal approximation with the tie-corrected variance
// and a continuity correction of 0.5.
#ifndef BENCHLAB_COMMON_STATS_MANN_WHITNEY_H_
#define BENCHLAB_COMMON_STATS_MANN_WHITNEY_H_

#include <vector>

namespace benchlab::stats {

// Below this many values per sample (and without ties) the exact distribution is used.
inline constexpr int kExactLimit = 50;

// The exact null distribution of U for samples of sizes m and n without ties: every one
// of the C(m+n, m) orderings equally likely. Counts come from the recurrence
// c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1) (the largest value is from x or y).
class UDistribution {
 public:
  UDistribution(int m, int n);
  // P(U <= u); 0 below 0, 1 from m*n on.
  double Cdf(int u) const;
  // The smallest q with Cdf(q) >= p (R's qwilcox).
  int Quantile(double p) const;
  int max_u() const { return static_cast<int>(cdf_.size()) - 1; }

 private:
  std::vector<double> cdf_;
};

struct MannWhitneyResult {
  // U of the first sample: pairs (x_i, y_j) with x_i > y_j, ties counting one half
  // (R's W statistic).
  double u = 0;
  // Two-sided p-value; 1 when a sample is empty or every value is equal.
  double p_value = 1;
  // True when the exact distribution gave the p-value.
  bool exact = false;
};

MannWhitneyResult MannWhitney(const std::vector<double>& x, const std::vector<double>& y);

// sqrt of Var(U) under the null with the tie correction:
// m n / 12 * ((N + 1) - tie_term / (N (N - 1))), N = m + n.
double USigma(int m, int n, double tie_term);

}  // namespace benchlab::stats

#endif  // BENCHLAB_COMMON_STATS_MANN_WHITNEY_H_
