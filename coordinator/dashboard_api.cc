// DashboardApi; see dashboard_api.h.
#include "coordinator/dashboard_api.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coordinator/lab_calls.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

absl::StatusOr<int64_t> QueryInt(const QueryParams& query, const std::string& name, int64_t fallback) {
  std::string v = QueryValue(query, name);
  if (v.empty()) return fallback;
  int64_t out = 0;
  if (!absl::SimpleAtoi(v, &out)) return absl::InvalidArgumentError(absl::StrCat(name, " must be an integer"));
  return out;
}

absl::StatusOr<bool> QueryBool(const QueryParams& query, const std::string& name) {
  std::string v = QueryValue(query, name);
  if (v.empty() || v == "0" || v == "false") return false;
  if (v == "1" || v == "true") return true;
  return absl::InvalidArgumentError(absl::StrCat(name, " must be 1 or 0"));
}

namespace {

ApiReply Reply(const absl::StatusOr<std::string>& json) {
  if (!json.ok()) return {HttpStatusFor(json.status()), ErrorJson(json.status())};
  return {200, *json};
}

template <typename M>
absl::StatusOr<std::string> Json(absl::StatusOr<M> m) {
  if (!m.ok()) return m.status();
  return ToJson(*m);
}

// Fills a DeviceSelector from device= and agent= parameters.
void SelectorFromQuery(const QueryParams& q, v1::DeviceSelector* sel) {
  for (auto& d : QueryList(q, "device")) sel->add_devices(d);
  for (auto& a : QueryList(q, "agent")) sel->add_agents(a);
}

absl::StatusOr<std::string> Devices(Core* core, const QueryParams& q) {
  v1::ListDevicesRequest req;
  for (auto& s : QueryList(q, "state")) {
    v1::DeviceState state;
    if (!v1::DeviceState_Parse("DEVICE_STATE_" + s, &state) && !v1::DeviceState_Parse(s, &state)) {
      return absl::InvalidArgumentError(absl::StrCat("state: unknown device state '", s, "' (IDLE, BUSY, OFFLINE, COOLING)"));
    }
    req.add_states(state);
  }
  for (auto& a : QueryList(q, "agent")) req.add_agents(a);
  v1::ListDevicesResponse resp;
  for (auto& d : core->ListDevices(req)) *resp.add_devices() = std::move(d);
  return ToJson(resp);
}

absl::StatusOr<std::string> Jobs(Core* core, const QueryParams& q) {
  v1::ListJobsRequest req;
  auto size = QueryInt(q, "page_size", 0);
  if (!size.ok()) return size.status();
  auto active = QueryBool(q, "active_only");
  if (!active.ok()) return active.status();
  req.set_page_size(static_cast<int32_t>(*size));
  req.set_page_token(QueryValue(q, "page_token"));
  req.set_active_only(*active);
  return Json(ListJobsPage(core, req));
}

absl::StatusOr<std::string> Results(Core* core, const std::string& job_id, const QueryParams& q) {
  v1::GetResultsRequest req;
  req.set_job_id(job_id);
  auto raw = QueryBool(q, "include_raw_log");
  if (!raw.ok()) return raw.status();
  auto size = QueryInt(q, "page_size", 0);
  if (!size.ok()) return size.status();
  req.set_include_raw_log(*raw);
  req.set_page_size(static_cast<int32_t>(*size));
  req.set_page_token(QueryValue(q, "page_token"));
  return Json(core->GetResults(req));
}

absl::StatusOr<std::string> Compare(Core* core, const std::string& a, const std::string& b, const QueryParams& q) {
  v1::CompareJobsRequest req;
  req.set_baseline_job_id(a);
  req.set_candidate_job_id(b);
  for (auto& m : QueryList(q, "metric")) req.add_metrics(m);
  std::string t = QueryValue(q, "threshold_pct");
  if (!t.empty()) {
    double v = 0;
    if (!absl::SimpleAtod(t, &v)) return absl::InvalidArgumentError("threshold_pct must be a number");
    req.set_threshold_pct(v);
  }
  return Json(core->CompareJobs(req));
}

}  // namespace

ApiReply DashboardApi::Handle(const Route& route, const QueryParams& q) {
  const std::string& name = route.name;
  if (name == "devices") return Reply(Devices(core_, q));
  if (name == "agents") {
    v1::ListAgentsResponse resp;
    for (auto& a : core_->ListAgents()) *resp.add_agents() = std::move(a);
    return Reply(ToJson(resp));
  }
  if (name == "jobs") return Reply(Jobs(core_, q));
  if (name == "job") return Reply(Json(core_->GetJob(route.args.at(0))));
  if (name == "results") return Reply(Results(core_, route.args.at(0), q));
  if (name == "compare") return Reply(Compare(core_, route.args.at(0), route.args.at(1), q));
  if (name == "history") {
    v1::GetHistoryRequest req;
    req.set_model_sha256(QueryValue(q, "model_sha256"));
    SelectorFromQuery(q, req.mutable_devices());
    auto devices = HistoryDevices(core_, req.devices());
    if (!devices.ok()) return Reply(devices.status());
    return Reply(Json(history_.GetHistory(req, *devices)));
  }
  if (name == "regressions") {
    v1::ListRegressionsRequest req;
    auto since = QueryInt(q, "since_unix_ms", 0);
    if (!since.ok()) return Reply(since.status());
    req.set_since_unix_ms(*since);
    SelectorFromQuery(q, req.mutable_devices());
    auto devices = HistoryDevices(core_, req.devices());
    if (!devices.ok()) return Reply(devices.status());
    return Reply(Json(history_.ListRegressions(req, *devices, absl::ToUnixMillis(absl::Now()))));
  }
  return Reply(absl::NotFoundError(absl::StrCat("no API call ", name)));
}

}  // namespace benchlab::coordinator
