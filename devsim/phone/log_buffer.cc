// Bounded per-buffer deques with one global sequence number, so readers can merge the
// buffers in write order and resume from "everything after seq N".
#include "devsim/phone/log_buffer.h"

#include <algorithm>

namespace benchlab::devsim {

absl::string_view LogIdName(LogId id) {
  switch (id) {
    case LogId::kMain:
      return "main";
    case LogId::kRadio:
      return "radio";
    case LogId::kEvents:
      return "events";
    case LogId::kSystem:
      return "system";
    case LogId::kCrash:
      return "crash";
  }
  return "main";
}

LogBuffer::LogBuffer(size_t max_entries) { SetMaxEntries(max_entries); }

void LogBuffer::SetMaxEntries(size_t max_entries) {
  max_entries = std::max<size_t>(max_entries, 16);
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < kNumLogIds; ++i) max_entries_[i] = max_entries / 8;
  max_entries_[static_cast<size_t>(LogId::kMain)] = max_entries;
  max_entries_[static_cast<size_t>(LogId::kSystem)] = max_entries / 2;
  for (int i = 0; i < kNumLogIds; ++i) {
    while (buffers_[i].size() > max_entries_[i]) buffers_[i].pop_front();
  }
}

uint64_t LogBuffer::Write(LogId id, int32_t pid, int32_t tid, char priority, absl::string_view tag,
                          absl::string_view message, absl::Time time) {
  absl::MutexLock lock(&mu_);
  if (time == absl::InfiniteFuture()) time = absl::Now();
  if (time < last_time_) time = last_time_;
  last_time_ = time;
  auto& buf = buffers_[static_cast<size_t>(id)];
  if (buf.size() >= max_entries_[static_cast<size_t>(id)]) buf.pop_front();
  LogEntry e;
  e.seq = ++last_seq_;
  e.id = id;
  e.time = time;
  e.pid = pid;
  e.tid = tid;
  e.priority = priority;
  e.tag = std::string(tag);
  // liblog's payload (priority byte, tag, NUL, message, NUL) is at most 4068 bytes: longer
  // messages are cut, as the op-profile tables and usage text are on a phone.
  constexpr size_t kMaxPayload = 4068;
  const size_t max_message = kMaxPayload - std::min(kMaxPayload - 1, tag.size() + 3);
  e.message = std::string(message.substr(0, max_message));
  buf.push_back(std::move(e));
  return last_seq_;
}

std::vector<LogEntry> LogBuffer::Read(uint32_t mask, uint64_t after_seq) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<LogEntry> out;
  for (int i = 0; i < kNumLogIds; ++i) {
    if (!(mask & (1u << i))) continue;
    const auto& buf = buffers_[i];
    // Entries are in seq order within a buffer: binary-search the first newer one.
    auto it = std::upper_bound(buf.begin(), buf.end(), after_seq,
                               [](uint64_t s, const LogEntry& e) { return s < e.seq; });
    out.insert(out.end(), it, buf.end());
  }
  std::sort(out.begin(), out.end(),
            [](const LogEntry& a, const LogEntry& b) { return a.seq < b.seq; });
  return out;
}

std::vector<LogEntry> LogBuffer::Tail(uint32_t mask, size_t n) const {
  std::vector<LogEntry> all = Read(mask, 0);
  if (all.size() > n) all.erase(all.begin(), all.end() - static_cast<ptrdiff_t>(n));
  return all;
}

uint64_t LogBuffer::last_seq() const {
  absl::ReaderMutexLock lock(&mu_);
  return last_seq_;
}

void LogBuffer::Clear(uint32_t mask) {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < kNumLogIds; ++i) {
    if (mask & (1u << i)) buffers_[i].clear();
  }
}

bool LogBuffer::HasNewerLocked(uint32_t mask, uint64_t after_seq) const {
  for (int i = 0; i < kNumLogIds; ++i) {
    if ((mask & (1u << i)) && !buffers_[i].empty() && buffers_[i].back().seq > after_seq) {
      return true;
    }
  }
  return false;
}

bool LogBuffer::WaitNewer(uint32_t mask, uint64_t after_seq, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto cond = [this, mask, after_seq]()
                  ABSL_SHARED_LOCKS_REQUIRED(mu_) { return HasNewerLocked(mask, after_seq); };
  return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
}

}  // namespace benchlab::devsim
