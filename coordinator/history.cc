// Series from the Store, their change points, and the regressions list; see history.h.
#include "coordinator/history.h"

#include <algorithm>
#include <deque>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "coordinator/artifact_store.h"
#include "common/flags/benchmark_flags.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

std::string CanonicalFlags(const v1::BenchmarkFlags& flags) {
  auto args = RenderFlags(flags);
  // Stored jobs passed RenderFlags at submit; should a later rule refuse an old job's flags,
  // its runs still form a series of their own rather than vanish.
  if (!args.ok()) return "(flags no longer valid)";
  std::sort(args->begin(), args->end());
  return absl::StrJoin(*args, " ");
}

namespace {

// One series while scanning: its key and its newest points, oldest first.
struct SeriesAcc {
  v1::SeriesKey key;
  std::deque<v1::HistoryPoint> points;
  int omitted = 0;
};

// The run's primary metric: inference_avg_us, else avg_us (older tools print only that).
std::optional<std::pair<std::string, double>> PrimaryMetric(const v1::BenchmarkMetrics& m) {
  if (m.has_inference_avg_us()) return std::make_pair(std::string("inference_avg_us"), m.inference_avg_us());
  if (m.has_avg_us()) return std::make_pair(std::string("avg_us"), m.avg_us());
  return std::nullopt;
}

v1::ChangePoint ToProto(const ChangePoint& c, const std::deque<v1::HistoryPoint>& points) {
  v1::ChangePoint out;
  out.set_index(c.index);
  out.set_job_before(points[c.index - 1].job_id());
  out.set_job_after(points[c.index].job_id());
  out.set_after_created_unix_ms(points[c.index].created_unix_ms());
  out.set_before_median(c.before_median);
  out.set_after_median(c.after_median);
  out.set_change_pct(c.change_pct);
  out.set_t(c.t);
  // Every primary metric is a latency: up is slower.
  out.set_direction(c.change_pct > 0 ? "slower" : "faster");
  return out;
}

// The series' change points, as the API reports them.
std::vector<v1::ChangePoint> ChangesOf(const SeriesAcc& acc, const ChangePointOptions& options) {
  std::vector<double> values;
  for (const auto& p : acc.points) values.push_back(p.median());
  std::vector<v1::ChangePoint> out;
  for (const auto& c : FindChangePoints(values, options)) out.push_back(ToProto(c, acc.points));
  return out;
}

}  // namespace

struct History::Scan {
  // Ordered by (device, tool, flags, model, metric): the response's order.
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, SeriesAcc> series;
  bool truncated = false;
};

absl::Status History::Collect(const std::string& model_sha256, const std::optional<std::set<std::string>>& devices,
                              int max_series, Scan* scan) {
  auto jobs = store_->LoadJobs();
  if (!jobs.ok()) return jobs.status();
  std::vector<const StoredJob*> wanted;
  for (const auto& j : *jobs) {
    if (model_sha256.empty() || j.job.spec().model_sha256() == model_sha256) wanted.push_back(&j);
  }
  if (wanted.size() > static_cast<size_t>(kMaxJobs)) {
    wanted.erase(wanted.begin(), wanted.end() - kMaxJobs);
    scan->truncated = true;
  }
  auto listed = store_->ListDevices();
  if (!listed.ok()) return listed.status();
  std::map<std::string, const v1::DeviceInfo*> device_info;
  for (const auto& d : *listed) device_info[d.info.device_id()] = &d.info;
  std::map<std::string, std::string> model_names;

  for (const StoredJob* sj : wanted) {  // oldest first (LoadJobs' order)
    const v1::Job& job = sj->job;
    auto runs = store_->LoadJobRuns(job.job_id());
    if (!runs.ok()) return runs.status();
    // (device, metric) -> values and the latest finish.
    std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, int64_t>> groups;
    for (const auto& r : *runs) {
      if (r.state() != v1::RUN_STATE_DONE) continue;
      if (devices.has_value() && devices->count(r.device_id()) == 0) continue;
      auto metric = PrimaryMetric(r.metrics());
      if (!metric.has_value()) continue;
      auto& g = groups[{r.device_id(), metric->first}];
      g.first.push_back(metric->second);
      g.second = std::max(g.second, r.timings().finished_unix_ms());
    }
    if (groups.empty()) continue;
    const std::string flags = CanonicalFlags(job.spec().flags());
    const std::string& model = job.spec().model_sha256();
    if (!model_names.count(model)) {
      auto a = store_->GetArtifact(model);
      model_names[model] = a.ok() && a->has_value() ? (*a)->name() : "";
    }
    for (auto& [dm, g] : groups) {
      const auto& [device_id, metric] = dm;
      auto id = std::make_tuple(device_id, job.spec().apk_sha256(), flags, model, metric);
      auto it = scan->series.find(id);
      if (it == scan->series.end()) {
        if (scan->series.size() >= static_cast<size_t>(max_series)) {
          scan->truncated = true;
          continue;
        }
        it = scan->series.emplace(id, SeriesAcc()).first;
        v1::SeriesKey& k = it->second.key;
        k.set_model_sha256(model);
        k.set_apk_sha256(job.spec().apk_sha256());
        k.set_flags(flags);
        k.set_device_id(device_id);
        k.set_model_name(model_names[model]);
        k.set_metric(metric);
        if (auto d = device_info.find(device_id); d != device_info.end()) {
          k.set_device_model(d->second->model());
          if (auto s = d->second->properties().find("ro.serialno"); s != d->second->properties().end()) {
            k.set_device_serialno(s->second);
          }
        }
      }
      SeriesAcc& acc = it->second;
      v1::HistoryPoint& p = acc.points.emplace_back();
      p.set_job_id(job.job_id());
      p.set_created_unix_ms(job.created_unix_ms());
      p.set_finished_unix_ms(g.second);
      p.set_n(static_cast<int>(g.first.size()));
      p.set_median(Median(std::move(g.first)));
      if (acc.points.size() > static_cast<size_t>(kMaxPoints)) {
        acc.points.pop_front();
        ++acc.omitted;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::GetHistoryResponse> History::GetHistory(const v1::GetHistoryRequest& req,
                                                           const std::optional<std::set<std::string>>& devices) {
  if (!IsSha256Hex(req.model_sha256())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model_sha256 must be 64 lower-case hex digits (the model file's SHA-256), got \"",
        req.model_sha256().substr(0, 80), "\""));
  }
  Scan scan;
  if (auto st = Collect(req.model_sha256(), devices, kMaxSeries, &scan); !st.ok()) return st;
  v1::GetHistoryResponse resp;
  resp.set_truncated(scan.truncated);
  for (auto& [id, acc] : scan.series) {
    v1::Series* s = resp.add_series();
    *s->mutable_key() = acc.key;
    s->set_points_omitted(acc.omitted);
    for (auto& c : ChangesOf(acc, options_)) *s->add_change_points() = std::move(c);
    for (auto& p : acc.points) *s->add_points() = std::move(p);
  }
  return resp;
}

absl::StatusOr<v1::ListRegressionsResponse> History::ListRegressions(
    const v1::ListRegressionsRequest& req, const std::optional<std::set<std::string>>& devices,
    int64_t now_unix_ms) {
  if (req.since_unix_ms() < 0) return absl::InvalidArgumentError("since_unix_ms must be >= 0 (0 = the last 7 days)");
  const int64_t since = req.since_unix_ms() > 0 ? req.since_unix_ms() : now_unix_ms - int64_t{7} * 86400 * 1000;
  Scan scan;
  if (auto st = Collect("", devices, kMaxSeriesForRegressions, &scan); !st.ok()) return st;
  std::vector<v1::Regression> found;
  for (const auto& [id, acc] : scan.series) {
    for (auto& cp : ChangesOf(acc, options_)) {
      if (cp.after_created_unix_ms() < since) continue;
      v1::Regression& r = found.emplace_back();
      *r.mutable_series() = acc.key;
      *r.mutable_change() = std::move(cp);
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const v1::Regression& a, const v1::Regression& b) {
    const bool sa = a.change().direction() == "slower", sb = b.change().direction() == "slower";
    if (sa != sb) return sa;
    return std::abs(a.change().change_pct()) > std::abs(b.change().change_pct());
  });
  v1::ListRegressionsResponse resp;
  resp.set_truncated(scan.truncated || found.size() > static_cast<size_t>(kMaxRegressions));
  if (found.size() > static_cast<size_t>(kMaxRegressions)) found.resize(kMaxRegressions);
  for (auto& r : found) *resp.add_regressions() = std::move(r);
  return resp;
}

}  // namespace benchlab::coordinator
