// LogBuffer: a phone's logcat ring buffers (main, system, crash; radio/events exist but
// stay empty). Each entry is one message as liblog stores it; formatting into lines is
// the logcat command's job (logcat.cc).
//
// Threading: thread-safe. Writers are the app, the noise ticker and shell commands;
// readers are logcat commands, which block in WaitNewer (absl::Mutex condition, no polling).
#ifndef BENCHLAB_DEVSIM_PHONE_LOG_BUFFER_H_
#define BENCHLAB_DEVSIM_PHONE_LOG_BUFFER_H_

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace benchlab::devsim {

// liblog's log ids (the numbers matter only for the mask bits).
enum class LogId : uint8_t { kMain = 0, kRadio = 1, kEvents = 2, kSystem = 3, kCrash = 4 };
inline constexpr int kNumLogIds = 5;
inline constexpr uint32_t LogMask(LogId id) { return 1u << static_cast<uint32_t>(id); }
inline constexpr uint32_t kDefaultLogMask =
    LogMask(LogId::kMain) | LogMask(LogId::kSystem) | LogMask(LogId::kCrash);
inline constexpr uint32_t kAllLogMask = (1u << kNumLogIds) - 1;
absl::string_view LogIdName(LogId id);  // "main", "system", ...

struct LogEntry {
  uint64_t seq = 0;  // global write order across buffers, starting at 1
  LogId id = LogId::kMain;
  absl::Time time;  // wall clock, non-decreasing in seq order
  int32_t pid = 0;
  int32_t tid = 0;
  char priority = 'I';  // V D I W E F
  std::string tag;
  std::string message;  // may contain '\n' (one line per message line when printed)
};

class LogBuffer {
 public:
  // `max_entries` bounds the main buffer (system gets half, the others an eighth); the
  // oldest entries drop first, as in logd's ring buffers.
  explicit LogBuffer(size_t max_entries = 4096);

  // Appends one message stamped `time` (InfiniteFuture = now); a time earlier than the
  // newest entry is raised to it so entries stay ordered. Messages past liblog's 4068-byte
  // payload are cut. Returns its seq.
  uint64_t Write(LogId id, int32_t pid, int32_t tid, char priority, absl::string_view tag,
                 absl::string_view message, absl::Time time = absl::InfiniteFuture());

  // Resizes the rings as the constructor sizes them (`logcat -G` on a phone); shrinking
  // drops the oldest entries.
  void SetMaxEntries(size_t max_entries);

  // Entries with seq > after_seq in the buffers of `mask`, oldest first.
  std::vector<LogEntry> Read(uint32_t mask, uint64_t after_seq) const;
  // The last `n` entries (by seq) of the buffers of `mask`, oldest first.
  std::vector<LogEntry> Tail(uint32_t mask, size_t n) const;
  // Seq of the newest entry written so far (0 if none).
  uint64_t last_seq() const;
  // Empties the buffers of `mask` (logcat -c).
  void Clear(uint32_t mask);
  // Blocks until an entry with seq > after_seq exists in `mask` or `timeout` passes.
  // Returns true if one exists.
  bool WaitNewer(uint32_t mask, uint64_t after_seq, absl::Duration timeout) const;

 private:
  bool HasNewerLocked(uint32_t mask, uint64_t after_seq) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::array<size_t, kNumLogIds> max_entries_ ABSL_GUARDED_BY(mu_);
  std::array<std::deque<LogEntry>, kNumLogIds> buffers_ ABSL_GUARDED_BY(mu_);
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_LOG_BUFFER_H_
