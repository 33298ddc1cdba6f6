// The parser's BenchmarkResult in the API's terms: BenchmarkMetrics and ErrorClass.
#ifndef BENCHLAB_AGENT_RUN_METRICS_PROTO_H_
#define BENCHLAB_AGENT_RUN_METRICS_PROTO_H_

#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/metrics.pb.h"
#include "common/benchmark_parser.h"

namespace benchlab::agent {

// Every metric the capture printed; fields it did not print stay unset.
benchlab::v1::BenchmarkMetrics ToMetricsProto(const BenchmarkResult& result);

// kJavaCrash and kNativeCrash both become APP_CRASHED; kNone is UNSPECIFIED.
benchlab::v1::ErrorClass ToErrorClassProto(ErrorClass error);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_METRICS_PROTO_H_
