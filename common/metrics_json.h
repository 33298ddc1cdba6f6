// A BenchmarkResult as JSON (field names shared with proto/benchlab/v1/metrics.proto, SQL
// and CSV: count, first_us, ..., peak_memory_mb) and as a fixed-width table for people.
#ifndef BENCHLAB_COMMON_METRICS_JSON_H_
#define BENCHLAB_COMMON_METRICS_JSON_H_

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/benchmark_parser.h"

namespace benchlab {

// {"count":76, "first_us":13173, ..., "avg_us":13232.1, ...}; unset fields are omitted.
nlohmann::ordered_json LatencyStatsToJson(const LatencyStats& stats);

// The metrics object: the timed phase flattened (count ... p95_us), the summary
// (init_us, first_inference_us, warmup_avg_us, inference_avg_us), memory
// (memory_init_mb, memory_overall_mb, peak_memory_mb), and "warmup"/"timed" in full.
// Fields the capture did not print are omitted, as proto3 optional fields are.
nlohmann::ordered_json MetricsToJson(const BenchmarkResult& result);

// Everything: status, error_class, complete, pid, metrics, params, delegates, op
// profiles, evidence lines, unknown lines, diagnostics.
nlohmann::ordered_json BenchmarkResultToJson(const BenchmarkResult& result);

// BenchmarkResultToJson serialised; bytes that are not UTF-8 (captures may hold
// anything) are replaced, never thrown on. indent < 0 gives one line.
std::string FormatBenchmarkJson(const BenchmarkResult& result, int indent = 2);

// A human summary: status, model, delegates, a warm-up/timed table with fixed-width
// columns, summary and memory values, op profile rows, and for failures the error class
// and the lines that show why. Ends with a newline.
std::string FormatBenchmarkTable(const BenchmarkResult& result);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_METRICS_JSON_H_
