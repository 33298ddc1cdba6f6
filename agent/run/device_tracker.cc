// Debounce: a change becomes pending when a snapshot differs from the settled list and
// is committed once every snapshot since has agreed with it for `settle`.
#include "agent/run/device_tracker.h"

#include <utility>

namespace benchlab::agent {

DeviceTracker::DeviceTracker(adb::AdbClient* adb, OnChange on_change, DeviceTrackerOptions options)
    : adb_(adb), on_change_(std::move(on_change)), options_(options) {}

DeviceTracker::~DeviceTracker() { Stop(); }

void DeviceTracker::Start() {
  if (adb_ != nullptr) track_thread_ = std::thread([this] {
    // Re-attaches by itself when the adb server restarts; returns only when cancelled.
    (void)adb_->TrackDevices([this](const std::vector<adb::AdbDevice>& s) { OnSnapshot(s); },
                             &track_cancel_);
  });
  if (adb_ != nullptr) resync_thread_ = std::thread([this] { ResyncLoop(); });
  settle_thread_ = std::thread([this] { SettleLoop(); });
}

void DeviceTracker::ResyncLoop() {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.resync)) {
    mu_.Unlock();
    auto list = adb_->Devices(absl::Now() + absl::Seconds(5));
    if (list.ok()) OnSnapshot(*list);
    mu_.Lock();
  }
}

void DeviceTracker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  track_cancel_.Cancel();
  if (track_thread_.joinable()) track_thread_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
  if (settle_thread_.joinable()) settle_thread_.join();
}

std::vector<adb::AdbDevice> DeviceTracker::Current() const {
  absl::MutexLock lock(&mu_);
  std::vector<adb::AdbDevice> out;
  for (const auto& [serial, d] : settled_) out.push_back(d);
  return out;
}

bool DeviceTracker::WaitForFirstSnapshot(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&have_snapshot_), timeout);
}

void DeviceTracker::OnSnapshot(const std::vector<adb::AdbDevice>& snapshot) {
  std::vector<adb::AdbDevice> first;
  {
    absl::MutexLock lock(&mu_);
    ++generation_;
    const absl::Time now = absl::Now();
    std::map<std::string, adb::AdbDevice> seen;
    for (const adb::AdbDevice& d : snapshot) seen[d.serial] = d;
    if (!have_snapshot_) {
      // At start-up there is nothing to debounce against: take the list as it is.
      have_snapshot_ = true;
      settled_ = seen;
      for (const auto& [serial, d] : seen) first.push_back(d);
    } else {
      auto want = [&](const std::string& serial,
                      const adb::AdbDevice* d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        auto settled = settled_.find(serial);
        bool same = d == nullptr ? settled == settled_.end()
                                 : settled != settled_.end() && settled->second == *d;
        if (same) {
          pending_.erase(serial);  // a blink that came back before it settled
          return;
        }
        auto p = pending_.find(serial);
        bool removed = d == nullptr;
        if (p != pending_.end() && p->second.removed == removed &&
            (removed || p->second.device == *d)) {
          return;  // still heading to the same state; keep its start time
        }
        Pending next{.device = d ? *d : settled->second, .removed = removed, .since = now};
        pending_[serial] = std::move(next);
      };
      for (const auto& [serial, d] : seen) want(serial, &d);
      for (const auto& [serial, d] : settled_) {
        if (!seen.contains(serial)) want(serial, nullptr);
      }
    }
  }
  if (!first.empty() && on_change_) {
    for (const adb::AdbDevice& d : first) on_change_(d, false);
  }
}

void DeviceTracker::SettleLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [serial, p] : pending_) next = std::min(next, p.since + options_.settle);
    const int64_t gen = generation_;
    // Wake for a new snapshot (it may add a sooner deadline), Stop(), or the next deadline.
    auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || generation_ != gen;
    };
    if (mu_.AwaitWithDeadline(absl::Condition(&woken), next)) continue;
    const absl::Time now = absl::Now();
    std::vector<std::pair<adb::AdbDevice, bool>> commits;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.since + options_.settle <= now) {
        if (it->second.removed) {
          settled_.erase(it->first);
        } else {
          settled_[it->first] = it->second.device;
        }
        commits.emplace_back(it->second.device, it->second.removed);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (commits.empty() || !on_change_) continue;
    mu_.Unlock();
    for (const auto& [device, removed] : commits) on_change_(device, removed);
    mu_.Lock();
  }
}

}  // namespace benchlab::agent
