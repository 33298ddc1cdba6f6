// Midranks by sorting the pooled values once and walking the runs of equal values.
#include "common/stats/ranks.h"

#include <algorithm>
#include <utility>

namespace benchlab::stats {

PooledRanks RankPooled(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::pair<double, bool>> all;  // value, from x
  all.reserve(x.size() + y.size());
  for (double v : x) all.emplace_back(v, true);
  for (double v : y) all.emplace_back(v, false);
  std::sort(all.begin(), all.end());
  PooledRanks r;
  size_t i = 0;
  while (i < all.size()) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (all[k].second) r.rank_sum_x += midrank;
    }
    if (t > 1) {
      r.tie_term += t * t * t - t;
      r.has_ties = true;
    }
    i = j;
  }
  return r;
}

}  // namespace benchlab::stats
