// The bound on one run's op profile rows, shared by the agent (which sends at most this
// many) and the coordinator (which drops the rest of an oversized result): a model has a
// few hundred ops at most, and a runaway capture must not make a run unbounded.
#ifndef BENCHLAB_COMMON_OP_ROWS_H_
#define BENCHLAB_COMMON_OP_ROWS_H_

#include <cstddef>

namespace benchlab {

inline constexpr size_t kMaxOpRowsPerRun = 500;

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_OP_ROWS_H_
