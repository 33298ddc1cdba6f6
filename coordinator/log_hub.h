// Fans device logcat out to any number of readers without ever blocking the producer
// (the agent's stream). Each device keeps a ring buffer of recent lines (for "last N
// lines"); each subscriber has a bounded queue: when it is full, new lines for that
// subscriber are dropped and counted, and the next drain reports the count.
// A published batch is shared, not copied: the ring and every queue hold references to
// its lines, and a line is copied once, into the message a reader is sent.
// Thread-safety: every method may be called from any thread.
#ifndef BENCHLAB_COORDINATOR_LOG_HUB_H_
#define BENCHLAB_COORDINATOR_LOG_HUB_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::coordinator {

class LogHub;

// One line of a published batch; keeps the batch alive.
struct LogLineRef {
  std::shared_ptr<const benchlab::v1::LogBatch> batch;
  int index = 0;
  const benchlab::v1::LogLine& line() const { return batch->lines(index); }
  // What the line weighs in a queue: its text plus the fixed fields, roughly as sent.
  size_t bytes() const { return line().message().size() + line().tag().size() + 24; }
};

// One reader's view of one device. Created by LogHub::Subscribe; unsubscribes when
// destroyed.
class LogSubscription {
 public:
  using Filter = std::function<bool(const benchlab::v1::LogLine&)>;
  ~LogSubscription();
  // Copies up to `max_lines` queued lines, and no more than about `max_bytes` (at least
  // one line), into `out` (cleared first) and sets its missed_lines to the lines dropped
  // since the previous drain. Returns false when nothing was queued and nothing missed.
  bool Drain(size_t max_lines, size_t max_bytes, benchlab::v1::LogBatch* out);
  // True when this reader wanted a tail, the device had no buffered lines, and the hub
  // asked its agent for the phone's newest lines: they arrive shortly, oldest first.
  bool awaits_phone_tail() const { return awaits_phone_tail_; }
  // Lines offered to this subscriber so far (before its filter): tells when a phone's
  // tail has stopped arriving.
  uint64_t lines_offered() const { return offered_.load(std::memory_order_relaxed); }
  // Drops all but the newest `n` queued lines (older than a tail the reader asked for;
  // not counted as missed).
  void KeepNewest(size_t n);

 private:
  friend class LogHub;
  LogSubscription(LogHub* hub, std::string device_id, size_t capacity_lines,
                  size_t capacity_bytes, Filter filter, std::function<void()> notify)
      : hub_(hub), device_id_(std::move(device_id)), capacity_lines_(capacity_lines),
        capacity_bytes_(capacity_bytes), filter_(std::move(filter)), notify_(std::move(notify)) {}
  // Called by the hub under its lock; returns true when the reader should be woken.
  bool Offer(const LogLineRef& ref);
  // Lines lost before they reached the hub (the agent's own drops), told like ours.
  void AddMissed(uint64_t lines);

  bool awaits_phone_tail_ = false;  // set by Subscribe before the subscription is shared
  std::atomic<uint64_t> offered_{0};

  LogHub* hub_;
  const std::string device_id_;
  const size_t capacity_lines_;
  const size_t capacity_bytes_;
  const Filter filter_;
  // Called (on the producer's thread, without hub locks) when lines became available.
  const std::function<void()> notify_;
  absl::Mutex mu_;
  std::deque<LogLineRef> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t missed_ ABSL_GUARDED_BY(mu_) = 0;
};

class LogHub {
 public:
  struct Options {
    size_t ring_lines = 2000;  // per device
    // Per subscriber queue: 65 ms of a 500k lines/s flood, so a reader that is descheduled
    // for a moment on a busy host loses nothing; the byte bound caps the memory a stuck
    // reader of long lines can pin (with max_subscribers: 2 GB at the very worst).
    size_t subscriber_lines = 32768;
    size_t subscriber_bytes = 8 << 20;
    size_t max_subscribers = 256;  // across all devices
  };
  // `on_interest` is called (without locks) with (device_id, true, phone_tail) when a
  // device gets its first subscriber and (device_id, false, 0) when it loses its last one.
  // phone_tail > 0 asks for the phone's newest lines first: the hub has none buffered.
  using InterestFn = std::function<void(const std::string& device_id, bool on, size_t phone_tail)>;
  LogHub(Options options, InterestFn on_interest)
      : options_(options), on_interest_(std::move(on_interest)) {}

  // Adds lines of one device: appended to its ring and offered to its subscribers.
  // Never blocks on readers.
  void Publish(const std::string& device_id, benchlab::v1::LogBatch batch);

  // Subscribes to a device's lines. The newest `tail_lines` buffered lines that pass
  // `filter` are queued first. `notify` is called whenever lines become available.
  // Returns nullptr when the subscriber limit is reached.
  std::unique_ptr<LogSubscription> Subscribe(const std::string& device_id, size_t tail_lines,
                                             LogSubscription::Filter filter,
                                             std::function<void()> notify);
  size_t subscriber_count() const;
  // Devices (among `device_ids`) that have at least one subscriber.
  std::vector<std::string> WithSubscribers(const std::vector<std::string>& device_ids) const;
  // Lines dropped for slow subscribers since start (all devices).
  uint64_t dropped_lines_total() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  friend class LogSubscription;
  void Unsubscribe(LogSubscription* sub);

  struct DeviceLog {
    std::deque<LogLineRef> ring;
    std::vector<LogSubscription*> subs;
  };
  const Options options_;
  const InterestFn on_interest_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, DeviceLog> devices_ ABSL_GUARDED_BY(mu_);
  size_t subscribers_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_LOG_HUB_H_
