// History: every DONE run grouped into series (model, tool, canonical flags, phone), one
// point per job (the median of the primary metric), and the change points of each series
// (coordinator/change_points.h). Answers Lab.GetHistory and Lab.ListRegressions.
// Reads jobs and runs from the Store, one job's runs at a time, never under Core's mutex;
// bounded: the newest kMaxJobs jobs, kMaxSeries series, kMaxPoints points per series.
// Thread-safety: stateless apart from the Store (which is thread-safe).
#ifndef BENCHLAB_COORDINATOR_HISTORY_H_
#define BENCHLAB_COORDINATOR_HISTORY_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/change_points.h"
#include "coordinator/store.h"

namespace benchlab::coordinator {

class History {
 public:
  static constexpr int kMaxJobs = 5000;
  static constexpr int kMaxSeries = 200;
  static constexpr int kMaxSeriesForRegressions = 5000;
  static constexpr int kMaxPoints = 500;
  static constexpr int kMaxRegressions = 1000;

  explicit History(Store* store, ChangePointOptions options = {}) : store_(store), options_(options) {}

  // `devices`: only series of these device ids (nullopt = every phone).
  // InvalidArgument for a model_sha256 that is not 64 lower-case hex digits.
  absl::StatusOr<benchlab::v1::GetHistoryResponse> GetHistory(
      const benchlab::v1::GetHistoryRequest& req, const std::optional<std::set<std::string>>& devices);
  // since_unix_ms 0 means `now_unix_ms` minus 7 days.
  absl::StatusOr<benchlab::v1::ListRegressionsResponse> ListRegressions(
      const benchlab::v1::ListRegressionsRequest& req, const std::optional<std::set<std::string>>& devices,
      int64_t now_unix_ms);

 private:
  struct Scan;
  // The series of jobs whose model is `model_sha256` ("" = every model).
  absl::Status Collect(const std::string& model_sha256, const std::optional<std::set<std::string>>& devices,
                       int max_series, Scan* scan);

  Store* const store_;
  const ChangePointOptions options_;
};

// The key of a job's flags in a series: RenderFlags' arguments sorted and joined by spaces
// ("" for the tool's defaults), so the same flags given in any order are one series.
std::string CanonicalFlags(const benchlab::v1::BenchmarkFlags& flags);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_HISTORY_H_
