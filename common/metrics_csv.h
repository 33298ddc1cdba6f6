// A BenchmarkResult as one CSV row, with the metric names used everywhere (proto, JSON,
// SQL): count, first_us, ..., peak_memory_mb. For scripts (`benchlab parse --csv`).
#ifndef BENCHLAB_COMMON_METRICS_CSV_H_
#define BENCHLAB_COMMON_METRICS_CSV_H_

#include <string>

#include "common/benchmark_parser.h"

namespace benchlab {

// "status,error_class,pid,count,first_us,...,peak_memory_mb,model_size_mb" (no newline).
std::string BenchmarkCsvHeader();

// The matching row (no newline). Absent values are empty cells; the stats columns are the
// timed phase's; doubles print with up to 6 significant digits, as the tool prints them.
std::string BenchmarkCsvRow(const BenchmarkResult& result);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_METRICS_CSV_H_
