// The standard normal distribution: its CDF and quantile, for the Mann-Whitney normal
// approximation and for turning a confidence level into a z value.
#ifndef BENCHLAB_COMMON_STATS_NORMAL_H_
#define BENCHLAB_COMMON_STATS_NORMAL_H_

namespace benchlab::stats {

// P(Z <= z) for a standard normal Z.
double NormalCdf(double z);

// The z with NormalCdf(z) == p, for 0 < p < 1 (-inf / +inf at 0 / 1).
double NormalQuantile(double p);

}  // namespace benchlab::stats

#endif  // BENCHLAB_COMMON_STATS_NORMAL_H_
