// LabView: one build of the lab event per lab change; see lab_view.h.
#include "coordinator/lab_view.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coordinator/dashboard_http.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

LabView::Event LabView::Current() {
  absl::MutexLock l(&mu_);
  // Read before building: a change made while we build bumps past it, so the next caller
  // builds again rather than keep a view that missed it.
  const uint64_t change = core_->lab_changes()->bumps();
  if (built_ && change == built_at_change_) return event_;
  const absl::Time start = absl::Now();
  v1::ListAgentsResponse agents;
  for (auto& a : core_->ListAgents()) *agents.add_agents() = std::move(a);
  v1::ListDevicesResponse devices;
  for (auto& d : core_->ListDevices({})) *devices.add_devices() = std::move(d);
  event_.text = std::make_shared<const std::string>(
      SseEvent("lab", absl::StrCat("{\"agents\":", ToJson(agents), ",\"devices\":", ToJson(devices), "}")));
  event_.cost = absl::Now() - start;
  built_ = true;
  built_at_change_ = change;
  ++builds_;
  return event_;
}

uint64_t LabView::builds() const {
  absl::MutexLock l(&mu_);
  return builds_;
}

}  // namespace benchlab::coordinator
