// Mann-Whitney U: the statistic from midranks, the exact distribution by dynamic
// programming over (m, n) in doubles (C(98, 49) ~ 2.5e28 stays exact enough: only
// additions of positive counts), the normal approximation otherwise.
#include "common/stats/mann_whitney.h"

#include <algorithm>
#include <cmath>

#include "common/stats/normal.h"
#include "common/stats/ranks.h"

namespace benchlab::stats {

UDistribution::UDistribution(int m, int n) {
  m = std::max(0, m);
  n = std::max(0, n);
  // counts[j] holds c(.; i, j) for the current i; row i is built from row i-1 (same j)
  // and row i (j-1).
  std::vector<std::vector<double>> prev(n + 1), cur(n + 1);
  for (int j = 0; j <= n; ++j) prev[j] = {1.0};  // i = 0: one ordering, U = 0
  for (int i = 1; i <= m; ++i) {
    cur[0] = {1.0};
    for (int j = 1; j <= n; ++j) {
      std::vector<double> c(static_cast<size_t>(i) * j + 1, 0.0);
      // Largest value from x: it beats all j values of y.
      for (size_t u = 0; u < prev[j].size(); ++u) c[u + j] += prev[j][u];
      // Largest value from y: it beats nothing.
      for (size_t u = 0; u < cur[j - 1].size(); ++u) c[u] += cur[j - 1][u];
      cur[j] = std::move(c);
    }
    std::swap(prev, cur);
  }
  const std::vector<double>& counts = prev[n];
  double total = 0;
  for (double c : counts) total += c;
  cdf_.resize(counts.size());
  double acc = 0;
  for (size_t u = 0; u < counts.size(); ++u) {
    acc += counts[u];
    cdf_[u] = acc / total;
  }
  cdf_.back() = 1.0;
}

double UDistribution::Cdf(int u) const {
  if (u < 0) return 0;
  if (u >= max_u()) return 1;
  return cdf_[u];
}

int UDistribution::Quantile(double p) const {
  for (int q = 0; q <= max_u(); ++q) {
    // A hair of tolerance so that p exactly at a step (e.g. 1/6) lands on it.
    if (cdf_[q] >= p * (1 - 64 * 1e-16)) return q;
  }
  return max_u();
}

double USigma(int m, int n, double tie_term) {
  const double big_n = static_cast<double>(m) + n;
  if (big_n < 2) return 0;
  const double var = static_cast<double>(m) * n / 12.0 *
                     ((big_n + 1) - tie_term / (big_n * (big_n - 1)));
  return var > 0 ? std::sqrt(var) : 0;
}

MannWhitneyResult MannWhitney(const std::vector<double>& x, const std::vector<double>& y) {
  MannWhitneyResult r;
  const int m = static_cast<int>(x.size()), n = static_cast<int>(y.size());
  if (m == 0 || n == 0) return r;
  const PooledRanks ranks = RankPooled(x, y);
  r.u = ranks.rank_sum_x - static_cast<double>(m) * (m + 1) / 2.0;
  if (!ranks.has_ties && m < kExactLimit && n < kExactLimit) {
    UDistribution dist(m, n);
    const int u = static_cast<int>(std::lround(r.u));
    // Two-sided: twice the smaller tail (the distribution is symmetric about m n / 2).
    const double lower = dist.Cdf(u), upper = 1 - dist.Cdf(u - 1);
    r.p_value = std::min(1.0, 2 * std::min(lower, upper));
    r.exact = true;
    return r;
  }
  const double sigma = USigma(m, n, ranks.tie_term);
  if (sigma == 0) return r;  // every value equal: no evidence of a shift
  double z = r.u - static_cast<double>(m) * n / 2.0;
  const double correction = z > 0 ? 0.5 : (z < 0 ? -0.5 : 0.0);
  z = (z - correction) / sigma;
  r.p_value = std::min(1.0, 2 * std::min(NormalCdf(z), NormalCdf(-z)));
  return r;
}

}  // namespace benchlab::stats
