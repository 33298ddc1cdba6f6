// Core's device care: drain, maintenance and forget (admin calls). The care is stored
// before memory changes (a failed write changes nothing) and is loaded back at start, so
// a drained phone stays drained across restarts; the scheduler only sees "paused".
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "coordinator/core.h"
#include "coordinator/job_queries.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

absl::StatusOr<v1::Device> Core::SetDeviceCare(const std::string& device_id, v1::DeviceState state,
                                                const std::string& note, const std::string& by) {
  if (state != v1::DEVICE_STATE_UNSPECIFIED && state != v1::DEVICE_STATE_DRAINED &&
      state != v1::DEVICE_STATE_MAINTENANCE) {
    return absl::InvalidArgumentError("device care is DRAINED, MAINTENANCE or none");
  }
  absl::MutexLock commit(&commit_mu_);
  DeviceCare care;
  {
    absl::MutexLock lock(&mu_);
    const Inventory::Device* d = inventory_.FindDevice(device_id);
    if (d == nullptr) return absl::NotFoundError(absl::StrCat("device ", device_id, " not known; see ListDevices"));
    // Draining a drained phone keeps who drained it and since when.
    if (state == d->care.state && (state != v1::DEVICE_STATE_MAINTENANCE || note == d->care.note)) {
      return DeviceView(device_id, *d, ledger_.scheduler(), 20);
    }
    care.device_id = device_id;
    care.state = state;
    if (state != v1::DEVICE_STATE_UNSPECIFIED) {
      care.note = note;
      care.by = by;
      care.since_unix_ms = ToUnixMs(clock_->Now());
    }
  }
  absl::Status st = state == v1::DEVICE_STATE_UNSPECIFIED ? store()->ClearDeviceCare(device_id)
                                                          : store()->PutDeviceCare(care);
  if (!st.ok()) {
    spdlog::error("event=store_failed what=device_care device={} error={}", device_id, st.ToString());
    return st;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!inventory_.SetCare(care)) {
      return absl::NotFoundError(absl::StrCat("device ", device_id, " was forgotten meanwhile"));
    }
    ledger_.SetDevicePaused(device_id, state != v1::DEVICE_STATE_UNSPECIFIED);
    spdlog::info("event=device_care device={} state={} by={} note=\"{}\"", device_id, v1::DeviceState_Name(state), by,
                 absl::CEscape(note));
  }
  Schedule();  // back in service: its queued runs may start now
  absl::MutexLock lock(&mu_);
  const Inventory::Device* d = inventory_.FindDevice(device_id);
  if (d == nullptr) return absl::NotFoundError(absl::StrCat("device ", device_id, " was forgotten meanwhile"));
  return DeviceView(device_id, *d, ledger_.scheduler(), 20);
}

absl::StatusOr<std::vector<std::string>> Core::ForgetDevice(const std::string& device_id, const std::string& by) {
  absl::MutexLock commit(&commit_mu_);
  std::vector<RunChange> failed;
  {
    absl::MutexLock lock(&mu_);
    const Inventory::Device* d = inventory_.FindDevice(device_id);
    if (d == nullptr) return absl::NotFoundError(absl::StrCat("device ", device_id, " not known; see ListDevices"));
    const Inventory::Agent* agent = inventory_.FindAgent(d->info.agent_id());
    if (agent != nullptr && agent->channel != nullptr && d->info.adb_state() != "gone") {
      return absl::FailedPreconditionError(
          absl::StrCat("device ", device_id, " is connected (its agent reports it ", d->info.adb_state(),
                       "); unplug it or stop its agent first, or drain it instead"));
    }
    const Scheduler& sched = ledger_.scheduler();
    std::string holder = sched.LeaseOf(device_id);
    if (holder.empty()) holder = sched.HeldBy(device_id);
    if (!holder.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("device ", device_id, " is held by run ", holder,
                                                        "; wait for it to end or cancel its job"));
    }
    size_t total = 0;
    for (const std::string& run_id : sched.QueuedFor(device_id, SIZE_MAX, &total)) {
      auto c = ledger_.PlanFail(run_id, v1::ERROR_CLASS_DEVICE_FORGOTTEN,
                                absl::StrCat("phone ", device_id, " was removed from the lab by ", by,
                                             " (benchlab device forget)"),
                                false);
      if (c) failed.push_back(std::move(*c));
    }
  }
  if (auto st = CommitRuns(failed); !st.ok()) return st;
  if (auto st = store()->ForgetDevice(device_id); !st.ok()) {
    spdlog::error("event=store_failed what=forget_device device={} error={}", device_id, st.ToString());
    return st;
  }
  std::vector<std::string> run_ids;
  for (const auto& c : failed) run_ids.push_back(c.run.run_id());
  absl::MutexLock lock(&mu_);
  // A run cannot have been queued for it meanwhile (commit_mu_ is held), so the
  // scheduler lets it go; a report that brought it back meanwhile keeps it, as new.
  if (ledger_.ForgetDevice(device_id)) inventory_.Forget(device_id);
  spdlog::info("event=device_forgotten device={} by={} failed_runs={}", device_id, by, absl::StrJoin(run_ids, ","));
  return run_ids;
}

}  // namespace benchlab::coordinator
