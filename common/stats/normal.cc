// Standard normal CDF from erfc (accurate in both tails), quantile by bisection on it:
// the quantile is needed a handful of times per comparison, so simplicity beats speed.
#include "common/stats/normal.h"

#include <cmath>
#include <limits>

namespace benchlab::stats {

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  double lo = -40, hi = 40;
  // 200 halvings take the bracket far below double precision.
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = 0.5 * (lo + hi);
    (NormalCdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace benchlab::stats
