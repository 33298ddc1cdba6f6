// Holm adjustment: sort, scale by the number of hypotheses left, keep it monotone.
#include "common/stats/holm.h"

#include <algorithm>
#include <numeric>

namespace benchlab::stats {

std::vector<double> HolmAdjust(const std::vector<double>& p) {
  const size_t k = p.size();
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&p](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> out(k);
  double running = 0;
  for (size_t j = 0; j < k; ++j) {
    running = std::max(running, std::min(1.0, static_cast<double>(k - j) * p[order[j]]));
    out[order[j]] = running;
  }
  return out;
}

}  // namespace benchlab::stats
