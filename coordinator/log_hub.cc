// LogHub: ring buffers and bounded subscriber queues; see log_hub.h.
#include "coordinator/log_hub.h"

#include <algorithm>

namespace benchlab::coordinator {

LogSubscription::~LogSubscription() { hub_->Unsubscribe(this); }

bool LogSubscription::Offer(const LogLineRef& ref) {
  offered_.fetch_add(1, std::memory_order_relaxed);
  if (filter_ && !filter_(ref.line())) return false;
  const size_t bytes = ref.bytes();
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= capacity_lines_ || queued_bytes_ + bytes > capacity_bytes_) {
    ++missed_;
    hub_->dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  queue_.push_back(ref);
  queued_bytes_ += bytes;
  return queue_.size() == 1;  // wake the reader only on empty -> non-empty
}

void LogSubscription::KeepNewest(size_t n) {
  absl::MutexLock lock(&mu_);
  while (queue_.size() > n) {
    queued_bytes_ -= std::min(queued_bytes_, queue_.front().bytes());
    queue_.pop_front();
  }
}

void LogSubscription::AddMissed(uint64_t lines) {
  absl::MutexLock lock(&mu_);
  missed_ += lines;
}

bool LogSubscription::Drain(size_t max_lines, size_t max_bytes, benchlab::v1::LogBatch* out) {
  out->Clear();
  out->set_device_id(device_id_);
  absl::MutexLock lock(&mu_);
  size_t bytes = 0;
  size_t n = 0;
  while (n < max_lines && !queue_.empty() && (n == 0 || bytes + queue_.front().bytes() <= max_bytes)) {
    const LogLineRef& ref = queue_.front();
    bytes += ref.bytes();
    *out->add_lines() = ref.line();
    queue_.pop_front();
    ++n;
  }
  queued_bytes_ -= std::min(queued_bytes_, bytes);
  out->set_missed_lines(missed_);
  missed_ = 0;
  return n > 0 || out->missed_lines() > 0;
}

void LogHub::Publish(const std::string& device_id, benchlab::v1::LogBatch batch) {
  auto shared = std::make_shared<const benchlab::v1::LogBatch>(std::move(batch));
  std::vector<LogSubscription*> wake;
  std::vector<std::function<void()>> notifies;
  {
    absl::MutexLock lock(&mu_);
    DeviceLog& d = devices_[device_id];
    if (shared->missed_lines() > 0) {
      for (LogSubscription* s : d.subs) s->AddMissed(shared->missed_lines());
    }
    for (int i = 0; i < shared->lines_size(); ++i) {
      LogLineRef ref{shared, i};
      for (LogSubscription* s : d.subs) {
        if (s->Offer(ref) && std::find(wake.begin(), wake.end(), s) == wake.end()) {
          wake.push_back(s);
        }
      }
      d.ring.push_back(std::move(ref));
      if (d.ring.size() > options_.ring_lines) d.ring.pop_front();
    }
    // Also wake readers that only missed lines (their queue was full but the reader may
    // be idle waiting for a notify that already fired).
    for (LogSubscription* s : d.subs) {
      if (std::find(wake.begin(), wake.end(), s) == wake.end()) wake.push_back(s);
    }
    // notify_ must run while the subscription is alive: copy the callbacks under the lock.
    for (LogSubscription* s : wake) notifies.push_back(s->notify_);
  }
  for (auto& n : notifies) {
    if (n) n();
  }
}

std::unique_ptr<LogSubscription> LogHub::Subscribe(const std::string& device_id,
                                                   size_t tail_lines,
                                                   LogSubscription::Filter filter,
                                                   std::function<void()> notify) {
  bool first = false;
  size_t phone_tail = 0;
  std::unique_ptr<LogSubscription> sub;
  {
    absl::MutexLock lock(&mu_);
    if (subscribers_ >= options_.max_subscribers) return nullptr;
    sub.reset(new LogSubscription(this, device_id, options_.subscriber_lines,
                                  options_.subscriber_bytes, std::move(filter), std::move(notify)));
    DeviceLog& d = devices_[device_id];
    if (tail_lines > 0) {
      std::vector<const LogLineRef*> picked;
      for (auto it = d.ring.rbegin(); it != d.ring.rend() && picked.size() < tail_lines; ++it) {
        if (!sub->filter_ || sub->filter_(it->line())) picked.push_back(&*it);
      }
      for (auto it = picked.rbegin(); it != picked.rend(); ++it) (void)sub->Offer(**it);
    }
    first = d.subs.empty();
    if (first && d.ring.empty() && tail_lines > 0) {
      phone_tail = options_.ring_lines;
      sub->awaits_phone_tail_ = true;
    }
    d.subs.push_back(sub.get());
    ++subscribers_;
  }
  if (first && on_interest_) on_interest_(device_id, true, phone_tail);
  return sub;
}

void LogHub::Unsubscribe(LogSubscription* sub) {
  bool last = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = devices_.find(sub->device_id_);
    if (it == devices_.end()) return;
    auto& subs = it->second.subs;
    subs.erase(std::remove(subs.begin(), subs.end(), sub), subs.end());
    --subscribers_;
    last = subs.empty();
  }
  if (last && on_interest_) on_interest_(sub->device_id_, false, 0);
}

std::vector<std::string> LogHub::WithSubscribers(const std::vector<std::string>& device_ids) const {
  std::vector<std::string> out;
  absl::MutexLock lock(&mu_);
  for (const auto& id : device_ids) {
    auto it = devices_.find(id);
    if (it != devices_.end() && !it->second.subs.empty()) out.push_back(id);
  }
  return out;
}

size_t LogHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return subscribers_;
}

}  // namespace benchlab::coordinator
