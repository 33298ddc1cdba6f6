// The parser's op profile and delegate lines in the API's terms (issue 11): the regular
// runs' per-operator rows, the delegate the run applied with the nodes it took, and the
// warning a delegate that took nothing deserves (the run then measured the CPU).
#ifndef BENCHLAB_AGENT_RUN_OP_PROFILE_PROTO_H_
#define BENCHLAB_AGENT_RUN_OP_PROFILE_PROTO_H_

#include <optional>
#include <vector>

#include "benchlab/v1/agent_link.pb.h"
#include "benchlab/v1/metrics.pb.h"
#include "common/benchmark_parser.h"

namespace benchlab::agent {

// The rows of the "Operator-wise Profiling Info for Regular Benchmark Runs" block (the
// last profile block that is not the initialization's), at most kMaxOpRowsPerRun.
std::vector<benchlab::v1::OpProfileRow> OpRowsOf(const BenchmarkResult& result);

// The delegate of the run: the last "Explicitly applied ..."/"Though ..." line's, with the
// "Replacing N out of M node(s)" line of its kernel; else the last Replacing line's
// kernel (the default XNNPACK delegate); else a delegate the echoed flags asked for that
// never applied. nullopt when none of these. `warning` is set when it took no node.
std::optional<benchlab::v1::Delegation> DelegationOf(const BenchmarkResult& result);

// Fills out->ops, out->delegation and (for a delegate that took nothing) out->warnings.
void FillOpsAndDelegation(const BenchmarkResult& result, benchlab::v1::RunResult* out);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_OP_PROFILE_PROTO_H_
