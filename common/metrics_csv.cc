// CSV view of a BenchmarkResult: one fixed column list, shared by header and row.
#include "common/metrics_csv.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace benchlab {
namespace {

constexpr const char* kColumns[] = {
    "status",        "error_class",        "pid",           "count",
    "first_us",      "curr_us",            "min_us",        "max_us",
    "avg_us",        "std_us",             "p5_us",         "median_us",
    "p95_us",        "init_us",            "first_inference_us", "warmup_avg_us",
    "inference_avg_us", "memory_init_mb",  "memory_overall_mb",  "peak_memory_mb",
    "model_size_mb",
};

template <typename T>
std::string Cell(const std::optional<T>& v) {
  return v ? absl::StrCat(*v) : std::string();
}

}  // namespace

std::string BenchmarkCsvHeader() { return absl::StrJoin(kColumns, ","); }

std::string BenchmarkCsvRow(const BenchmarkResult& r) {
  LatencyStats none;
  const LatencyStats& t = r.main_stats() ? *r.main_stats() : none;
  const std::string cells[] = {
      std::string(RunStatusName(r.status)), std::string(ErrorClassName(r.error_class)),
      Cell(r.pid),          Cell(t.count),         Cell(t.first_us),
      Cell(t.curr_us),      Cell(t.min_us),        Cell(t.max_us),
      Cell(t.avg_us),       Cell(t.std_us),        Cell(t.p5_us),
      Cell(t.median_us),    Cell(t.p95_us),        Cell(r.init_us),
      Cell(r.first_inference_us), Cell(r.warmup_avg_us), Cell(r.inference_avg_us),
      Cell(r.memory_init_mb), Cell(r.memory_overall_mb), Cell(r.peak_memory_mb),
      Cell(r.model_size_mb),
  };
  static_assert(std::size(cells) == std::size(kColumns), "one cell per column");
  return absl::StrJoin(cells, ",");
}

}  // namespace benchlab
