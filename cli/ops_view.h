// Op profiles and delegation as `results --ops`, `compare --ops` and the runs tables show
// them (issue 11): per-device operator tables slowest first, the operators whose time
// changed most between two jobs, and a run's delegate in one cell (with its warning).
#ifndef BENCHLAB_CLI_OPS_VIEW_H_
#define BENCHLAB_CLI_OPS_VIEW_H_

#include <string>

#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab::cli {

// "GPU 31/31, 1 partition", "XNNPACK 64/64"; with a warning "!! GPU 0/31: CPU run";
// "-" for a run without delegation.
std::string FormatDelegation(const benchlab::v1::Run& run);

// One "<run>: warning: <text>" line per warning of each run ("" when none).
std::string FormatRunWarnings(const google::protobuf::RepeatedPtrField<benchlab::v1::Run>& runs);

// Per device (and variant): its `top` slowest operators (0 = all) by mean avg_ms across
// done repeats: type, name, avg ms, stddev, first ms, %, cumulative %, times called, runs.
// A sentence instead when no run was profiled.
std::string FormatOpsTable(const benchlab::v1::GetResultsResponse& results, int top);

// Per device both jobs ran (variant 0 each): the `top` operators (0 = all) whose mean
// avg_ms changed most (by |candidate - baseline| ms), with both times and the change.
std::string FormatOpsComparison(const benchlab::v1::GetResultsResponse& baseline,
                                const benchlab::v1::GetResultsResponse& candidate, int top);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_OPS_VIEW_H_
