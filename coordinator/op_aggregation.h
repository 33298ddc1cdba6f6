// Op profiles across a device's repeats (issue 11): each operator's rows from the runs that
// profiled it, averaged into one OpAggregate, slowest first. Operators are keyed by node
// type and name, so one run order's rows meet the same rows of the other repeats.
#ifndef BENCHLAB_COORDINATOR_OP_AGGREGATION_H_
#define BENCHLAB_COORDINATOR_OP_AGGREGATION_H_

#include <vector>

#include "benchlab/v1/metrics.pb.h"

namespace benchlab::coordinator {

// One entry per operator any run had: n = runs that had it, avg_ms its mean avg_ms with
// the sample stddev, min and max (coordinator/aggregation.h), first_ms and percent means,
// times_called of the last run that had it. Sorted by avg_ms descending, then by name.
std::vector<benchlab::v1::OpAggregate> AggregateOps(
    const std::vector<std::vector<benchlab::v1::OpProfileRow>>& runs);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_OP_AGGREGATION_H_
