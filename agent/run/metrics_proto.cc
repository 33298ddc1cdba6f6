// Field-by-field copy; names are the same on both sides by design (see metrics.proto).
#include "agent/run/metrics_proto.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

void CopyStats(const LatencyStats& in, v1::LatencyStats* out) {
  if (in.count) out->set_count(*in.count);
  if (in.first_us) out->set_first_us(*in.first_us);
  if (in.curr_us) out->set_curr_us(*in.curr_us);
  if (in.min_us) out->set_min_us(*in.min_us);
  if (in.max_us) out->set_max_us(*in.max_us);
  if (in.avg_us) out->set_avg_us(*in.avg_us);
  if (in.std_us) out->set_std_us(*in.std_us);
  if (in.p5_us || in.median_us || in.p95_us) {
    out->set_has_percentiles(true);
    out->set_p5_us(in.p5_us.value_or(0));
    out->set_median_us(in.median_us.value_or(0));
    out->set_p95_us(in.p95_us.value_or(0));
  }
}

}  // namespace

v1::BenchmarkMetrics ToMetricsProto(const BenchmarkResult& r) {
  v1::BenchmarkMetrics m;
  if (r.warmup) CopyStats(*r.warmup, m.mutable_warmup());
  if (r.timed) {
    const LatencyStats& t = *r.timed;
    CopyStats(t, m.mutable_timed());
    if (t.count) m.set_count(*t.count);
    if (t.first_us) m.set_first_us(*t.first_us);
    if (t.curr_us) m.set_curr_us(*t.curr_us);
    if (t.min_us) m.set_min_us(*t.min_us);
    if (t.max_us) m.set_max_us(*t.max_us);
    if (t.avg_us) m.set_avg_us(*t.avg_us);
    if (t.std_us) m.set_std_us(*t.std_us);
    if (t.p5_us) m.set_p5_us(*t.p5_us);
    if (t.median_us) m.set_median_us(*t.median_us);
    if (t.p95_us) m.set_p95_us(*t.p95_us);
  }
  if (r.init_us) m.set_init_us(*r.init_us);
  if (r.first_inference_us) m.set_first_inference_us(*r.first_inference_us);
  if (r.warmup_avg_us) m.set_warmup_avg_us(*r.warmup_avg_us);
  if (r.inference_avg_us) m.set_inference_avg_us(*r.inference_avg_us);
  if (r.memory_init_mb) m.set_memory_init_mb(*r.memory_init_mb);
  if (r.memory_overall_mb) m.set_memory_overall_mb(*r.memory_overall_mb);
  if (r.peak_memory_mb) m.set_peak_memory_mb(*r.peak_memory_mb);
  // The LiteRT block (issue 11): throughput, and min/max/std when no stats line came.
  const LitertReport& lr = r.litert;
  if (lr.throughput_mb_per_s) m.set_throughput_mb_per_s(*lr.throughput_mb_per_s);
  auto us = [](double ms) { return static_cast<int64_t>(ms * 1000.0 + 0.5); };
  if (!r.timed) {
    if (lr.inference_runs) m.set_count(*lr.inference_runs);
    if (lr.inference_min_ms) m.set_min_us(us(*lr.inference_min_ms));
    if (lr.inference_max_ms) m.set_max_us(us(*lr.inference_max_ms));
    if (lr.inference_avg_ms) m.set_avg_us(*lr.inference_avg_ms * 1000.0);
    if (lr.inference_std_ms) m.set_std_us(us(*lr.inference_std_ms));
  }
  return m;
}

v1::ErrorClass ToErrorClassProto(ErrorClass error) {
  switch (error) {
    case ErrorClass::kNone: return v1::ERROR_CLASS_UNSPECIFIED;
    case ErrorClass::kModelMissing: return v1::ERROR_CLASS_MODEL_MISSING;
    case ErrorClass::kModelInvalid: return v1::ERROR_CLASS_MODEL_INVALID;
    case ErrorClass::kBadFlag: return v1::ERROR_CLASS_BAD_FLAG;
    case ErrorClass::kDelegateFailed: return v1::ERROR_CLASS_DELEGATE_FAILED;
    case ErrorClass::kAllocationFailed: return v1::ERROR_CLASS_ALLOCATION_FAILED;
    case ErrorClass::kInvokeFailed: return v1::ERROR_CLASS_INVOKE_FAILED;
    case ErrorClass::kJavaCrash:
    case ErrorClass::kNativeCrash: return v1::ERROR_CLASS_APP_CRASHED;
    case ErrorClass::kProcessDied: return v1::ERROR_CLASS_PROCESS_DIED;
    case ErrorClass::kToolError: return v1::ERROR_CLASS_TOOL_ERROR;
    case ErrorClass::kNoResult: return v1::ERROR_CLASS_NO_RESULT;
  }
  return v1::ERROR_CLASS_INTERNAL;
}

}  // namespace benchlab::agent
