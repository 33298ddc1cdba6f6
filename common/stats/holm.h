// Holm's step-down correction of p-values for a family of tests (here every device and
// metric of one comparison), controlling the chance of any false alarm at alpha.
#ifndef BENCHLAB_COMMON_STATS_HOLM_H_
#define BENCHLAB_COMMON_STATS_HOLM_H_

#include <vector>

namespace benchlab::stats {

// Adjusted p-values in the input order: sorted ascending p_(1) <= ... <= p_(k), the
// i-th becomes max over j <= i of min(1, (k - j + 1) p_(j)) (as R's p.adjust "holm").
std::vector<double> HolmAdjust(const std::vector<double>& p);

}  // namespace benchlab::stats

#endif  // BENCHLAB_COMMON_STATS_HOLM_H_
