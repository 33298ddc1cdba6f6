// Ranks of two pooled samples with ties given their average rank (midranks), and the
// tie term sum(t^3 - t) over groups of t equal values that the rank tests' variance needs.
#ifndef BENCHLAB_COMMON_STATS_RANKS_H_
#define BENCHLAB_COMMON_STATS_RANKS_H_

#include <vector>

namespace benchlab::stats {

struct PooledRanks {
  // Sum of the midranks of the first sample (1-based ranks over both samples).
  double rank_sum_x = 0;
  // sum over tie groups of (t^3 - t); 0 when all values are distinct.
  double tie_term = 0;
  bool has_ties = false;
};

PooledRanks RankPooled(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace benchlab::stats

#endif  // BENCHLAB_COMMON_STATS_RANKS_H_
