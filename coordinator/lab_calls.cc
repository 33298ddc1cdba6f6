// Shared Lab call logic; see lab_calls.h.
#include "coordinator/lab_calls.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coordinator/input_limits.h"
#include "re2/re2.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

absl::StatusOr<v1::ListJobsResponse> ListJobsPage(Core* core, const v1::ListJobsRequest& req) {
  auto resp = core->ListJobs(req);
  if (!resp.ok()) return resp.status();
  // A page ends at kListPageBytes too: however long the jobs' texts, a page fits a
  // client's message limit. The token names the last job listed, so cutting here and
  // pointing the token at the new last job continues exactly after it.
  size_t bytes = 0;
  for (int i = 0; i < resp->jobs_size(); ++i) {
    bytes += resp->jobs(i).ByteSizeLong();
    if (i > 0 && bytes > kListPageBytes) {
      resp->mutable_jobs()->DeleteSubrange(i, resp->jobs_size() - i);
      resp->set_next_page_token(resp->jobs(i - 1).job_id());
      break;
    }
  }
  return resp;
}

absl::StatusOr<std::optional<std::set<std::string>>> HistoryDevices(Core* core, const v1::DeviceSelector& sel) {
  if (sel.devices_size() + sel.agents_size() + static_cast<int>(sel.properties().size()) > kMaxSelectorEntries) {
    return absl::InvalidArgumentError(absl::StrCat("devices: at most ", kMaxSelectorEntries, " entries"));
  }
  if (sel.devices().empty() && sel.agents().empty() && sel.properties().empty()) {
    return std::optional<std::set<std::string>>();
  }
  v1::ListDevicesRequest lr;
  *lr.mutable_agents() = sel.agents();
  *lr.mutable_properties() = sel.properties();
  lr.set_max_queue(1);
  std::set<std::string> out;
  for (const auto& d : core->ListDevices(lr)) {
    bool hit = sel.devices().empty();
    for (const auto& want : sel.devices()) hit |= want == d.info().device_id() || want == d.info().serial();
    if (hit) out.insert(d.info().device_id());
  }
  if (sel.agents().empty() && sel.properties().empty()) {
    for (const auto& want : sel.devices()) {
      if (absl::StrContains(want, "/")) out.insert(want);
    }
  }
  return std::optional<std::set<std::string>>(std::move(out));
}

absl::StatusOr<LogSubscription::Filter> LogFilterFor(const v1::StreamLogsRequest& req) {
  std::shared_ptr<re2::RE2> re;
  if (!req.regex().empty()) {
    re = std::make_shared<re2::RE2>(req.regex(), re2::RE2::Quiet);
    if (!re->ok()) return absl::InvalidArgumentError("regex: " + re->error());
  }
  std::vector<std::string> tags(req.tags().begin(), req.tags().end());
  int min_prio = req.min_priority();
  return LogSubscription::Filter([re, tags, min_prio](const v1::LogLine& l) {
    if (min_prio > 0 && l.priority() < min_prio) return false;
    if (!tags.empty() && std::find(tags.begin(), tags.end(), l.tag()) == tags.end()) return false;
    if (re && !re2::RE2::PartialMatch(l.message(), *re)) return false;
    return true;
  });
}

}  // namespace benchlab::coordinator
