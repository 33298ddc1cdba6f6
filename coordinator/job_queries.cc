// Read-only views of devices, jobs and results; see job_queries.h.
#include "coordinator/job_queries.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "coordinator/aggregation.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

v1::Device DeviceView(const std::string& id, const Inventory::Device& d, const Scheduler& scheduler,
                      size_t max_queue) {
  v1::Device dev;
  *dev.mutable_info() = d.info;
  std::string lease = scheduler.LeaseOf(id);
  if (lease.empty()) lease = scheduler.HeldBy(id);  // an ended run still winding down
  const std::string gate = scheduler.GateReason(id);
  // Device care first: an admin's drain or maintenance is what a person needs to see
  // (current_run_id still says whether a run is finishing on it).
  dev.set_state(d.care.state != v1::DEVICE_STATE_UNSPECIFIED ? d.care.state
                : !scheduler.DeviceOnline(id)                 ? v1::DEVICE_STATE_OFFLINE
                : !lease.empty()                              ? v1::DEVICE_STATE_BUSY
                : !gate.empty()                               ? v1::DEVICE_STATE_COOLING
                                                              : v1::DEVICE_STATE_IDLE);
  if (dev.state() == v1::DEVICE_STATE_COOLING) dev.set_cooling_reason(gate);
  dev.set_current_run_id(lease);
  size_t total = 0;
  for (auto& q : scheduler.QueuedFor(id, max_queue, &total)) dev.add_queued_run_ids(q);
  dev.set_queue_length(static_cast<int>(total));
  dev.set_last_seen_unix_ms(d.last_seen_unix_ms);
  dev.set_refused_reason(d.refused_reason);
  if (d.care.state != v1::DEVICE_STATE_UNSPECIFIED) {
    dev.set_care_note(d.care.note);
    dev.set_care_by(d.care.by);
    dev.set_care_since_unix_ms(d.care.since_unix_ms);
  }
  return dev;
}

std::vector<v1::Device> ListDevicesView(const Inventory& inventory, const Scheduler& scheduler,
                                        const v1::ListDevicesRequest& req) {
  std::vector<v1::Device> out;
  size_t max_queue = req.max_queue() > 0 ? req.max_queue() : 20;
  for (const auto& [id, d] : inventory.devices()) {
    if (req.agents_size() > 0 &&
        std::find(req.agents().begin(), req.agents().end(), d.info.agent_id()) == req.agents().end()) {
      continue;
    }
    if (!PropertiesMatch(d.info, req.properties())) continue;
    v1::Device dev = DeviceView(id, d, scheduler, max_queue);
    if (req.states_size() > 0 &&
        std::find(req.states().begin(), req.states().end(), dev.state()) == req.states().end()) {
      continue;
    }
    out.push_back(std::move(dev));
  }
  return out;
}

absl::StatusOr<v1::GetJobResponse> GetJobView(const RunLedger& ledger, const std::string& job_id) {
  const LedgerJob* js = ledger.FindJob(job_id);
  if (js == nullptr) return absl::NotFoundError(absl::StrCat("job ", job_id, " not found"));
  v1::GetJobResponse resp;
  *resp.mutable_job() = ledger.JobView(*js);
  for (const auto& id : js->run_ids) *resp.add_runs() = *ledger.FindRun(id);
  return resp;
}

v1::ListJobsResponse ListJobsView(const RunLedger& ledger, const v1::ListJobsRequest& req) {
  const auto& jobs = ledger.jobs();
  int page = req.page_size() <= 0 ? 50 : std::min(req.page_size(), 500);
  // Token: the job id to continue before (jobs are listed newest first; ids sort by age).
  v1::ListJobsResponse resp;
  auto it = req.page_token().empty() ? jobs.end() : jobs.lower_bound(req.page_token());
  while (it != jobs.begin()) {
    --it;
    if (req.active_only() && it->second.job.finished_unix_ms() != 0) continue;
    if (resp.jobs_size() == page) {
      resp.set_next_page_token(std::next(it)->first);
      break;
    }
    *resp.add_jobs() = ledger.JobView(it->second);
  }
  // The token names the last listed job; listing continues with older ones.
  if (!resp.next_page_token().empty()) resp.set_next_page_token(resp.jobs(resp.jobs_size() - 1).job_id());
  return resp;
}

absl::StatusOr<v1::GetResultsResponse> ResultsPageView(const RunLedger& ledger, const Inventory& inventory,
                                                       const v1::GetResultsRequest& req, size_t max_runs,
                                                       size_t* first_run) {
  const LedgerJob* js = ledger.FindJob(req.job_id());
  if (js == nullptr) return absl::NotFoundError(absl::StrCat("job ", req.job_id(), " not found"));
  size_t start = 0;
  if (!req.page_token().empty() &&
      (!absl::SimpleAtoi(req.page_token(), &start) || start == 0 || start >= js->run_ids.size())) {
    return absl::InvalidArgumentError(absl::StrCat("page_token \"", req.page_token(), "\" is not one job ",
                                                   req.job_id(), " gave; start again with an empty page_token"));
  }
  *first_run = start;
  v1::GetResultsResponse resp;
  *resp.mutable_job() = ledger.JobView(*js);
  size_t end = std::min(js->run_ids.size(), start + max_runs);
  for (size_t i = start; i < end; ++i) *resp.add_runs() = *ledger.FindRun(js->run_ids[i]);
  if (end < js->run_ids.size()) resp.set_next_page_token(absl::StrCat(end));
  if (start > 0) return resp;
  // The first page carries the per-device aggregates, over all the job's runs; in a
  // variant job per device and variant (A and B mixed would describe neither).
  using Key = std::pair<std::string, int>;  // device, variant
  std::map<Key, std::vector<const v1::BenchmarkMetrics*>> by_device;
  std::map<Key, std::pair<int, int>> counts;
  for (const auto& id : js->run_ids) {
    const v1::Run& r = *ledger.FindRun(id);
    const Key key(r.device_id(), r.variant());
    if (r.state() == v1::RUN_STATE_DONE) {
      by_device[key].push_back(&r.metrics());
      ++counts[key].first;
    } else if (r.state() == v1::RUN_STATE_FAILED) {
      ++counts[key].second;
    }
  }
  const int variants = std::max(1, js->job.spec().variants_size());
  for (const auto& device_id : resp.job().device_ids()) {
    for (int variant = 0; variant < variants; ++variant) {
      const Key key(device_id, variant);
      v1::DeviceResults* d = resp.add_devices();
      d->set_device_id(device_id);
      d->set_variant(variant);
      if (const auto* dev = inventory.FindDevice(device_id)) *d->mutable_device() = dev->info;
      d->set_runs_done(counts[key].first);
      d->set_runs_failed(counts[key].second);
      for (auto& a : AggregateRuns(by_device[key])) *d->add_aggregates() = std::move(a);
    }
  }
  return resp;
}

}  // namespace benchlab::coordinator
