// Reader: adb logcat -T <now>, lines split and handed to the pending batch per read.
// Flusher: waits (condition, no polling) for a pending batch to fill or age.
#include "agent/log_streamer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "spdlog/spdlog.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

v1::LogPriority Priority(char p) {
  switch (p) {
    case 'V': return v1::LOG_PRIORITY_VERBOSE;
    case 'D': return v1::LOG_PRIORITY_DEBUG;
    case 'I': return v1::LOG_PRIORITY_INFO;
    case 'W': return v1::LOG_PRIORITY_WARN;
    case 'E': return v1::LOG_PRIORITY_ERROR;
    case 'F':
    case 'A': return v1::LOG_PRIORITY_FATAL;
    default: return v1::LOG_PRIORITY_UNSPECIFIED;
  }
}

}  // namespace

v1::LogLine ToLogLine(const LogcatLine& e, absl::Time now, LogDateCache* cache) {
  v1::LogLine l;
  if (e.has_time && e.month > 0) {
    int year = e.year;
    if (year == 0) {
      year = static_cast<int>(absl::ToCivilYear(now, absl::UTCTimeZone()).year());
    }
    absl::Time midnight;
    if (cache != nullptr && cache->year == year && cache->month == e.month && cache->day == e.day) {
      midnight = cache->midnight;
    } else {
      midnight = absl::FromCivil(absl::CivilDay(year, e.month, e.day), absl::UTCTimeZone());
      if (cache != nullptr) *cache = {year, e.month, e.day, midnight};
    }
    absl::Time t = midnight + absl::Hours(e.hour) + absl::Minutes(e.minute) +
                   absl::Seconds(e.second) + absl::Milliseconds(e.millis);
    // A line from late December read in early January belongs to last year.
    if (!e.year && t > now + absl::Hours(24 * 30)) {
      t = absl::FromCivil(absl::CivilSecond(year - 1, e.month, e.day, e.hour, e.minute, e.second),
                          absl::UTCTimeZone()) +
          absl::Milliseconds(e.millis);
    }
    l.set_time_unix_us(absl::ToUnixMicros(t));
  }
  l.set_pid(static_cast<int32_t>(e.pid));
  l.set_tid(static_cast<int32_t>(e.tid));
  l.set_priority(Priority(e.priority));
  l.set_tag(std::string(e.tag));
  l.set_message(std::string(e.message));
  return l;
}

LogStreamer::LogStreamer(adb::AdbClient* adb, std::string serial, Sink sink,
                         LogStreamerOptions options)
    : adb_(adb), serial_(std::move(serial)), sink_(std::move(sink)), options_(options) {}

LogStreamer::~LogStreamer() { Stop(); }

void LogStreamer::Start() {
  reader_ = std::thread([this] { ReadLoop(); });
  flusher_ = std::thread([this] { FlushLoop(); });
}

void LogStreamer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  cancel_.Cancel();
  if (reader_.joinable()) reader_.join();
  if (flusher_.joinable()) flusher_.join();
}

void LogStreamer::FlushLocked() {
  if (pending_.lines_size() == 0) return;
  v1::LogBatch batch;
  batch.Swap(&pending_);
  batch.set_device_id(serial_);
  sink_(std::move(batch));
}

void LogStreamer::HandOver(v1::LogBatch* lines, absl::Time now) {
  if (lines->lines_size() == 0) return;
  absl::MutexLock lock(&mu_);
  if (pending_.lines_size() == 0) {
    pending_.Swap(lines);
    pending_since_ = now;
  } else {
    for (v1::LogLine& line : *lines->mutable_lines()) *pending_.add_lines() = std::move(line);
  }
  lines->Clear();
  if (static_cast<size_t>(pending_.lines_size()) >= options_.batch_lines) FlushLocked();
}

void LogStreamer::ReadLoop() {
  // Lines are split and converted without the lock, then handed over once per read from
  // the phone (or per full batch): a flood costs one lock per batch, not per line.
  v1::LogBatch lines;
  LogDateCache dates;
  absl::Time now = absl::Now();  // for the year threadtime lacks; per read is precise enough
  adb::LogcatOptions logcat;
  // -T takes a line count as well as a time.
  if (options_.tail_lines > 0) logcat.since = absl::StrCat(options_.tail_lines);
  logcat.after_each_read = [&] {
    HandOver(&lines, now);
    now = absl::Now();
  };
  // From now on; a phone that drops and comes back is followed again after a pause.
  while (true) {
    absl::Status s = adb_->LogcatEntries(
        serial_, logcat,
        [&](const LogcatLine& entry) {
          *lines.add_lines() = ToLogLine(entry, now, &dates);
          if (static_cast<size_t>(lines.lines_size()) >= options_.batch_lines) HandOver(&lines, now);
        },
        &cancel_, absl::InfiniteFuture());
    HandOver(&lines, now);
    logcat.since.clear();
    if (cancel_.cancelled()) return;
    spdlog::info("event=log_stream_ended serial={} status=\"{}\"", serial_, s.ToString());
    if (cancel_.SleepFor(absl::Seconds(2))) return;
  }
}

void LogStreamer::FlushLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    auto has_lines = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || pending_.lines_size() > 0;
    };
    mu_.Await(absl::Condition(&has_lines));
    if (stopping_) break;
    // Give the batch until max_delay after its first line to fill up.
    const absl::Time due = pending_since_ + options_.max_delay;
    mu_.AwaitWithDeadline(absl::Condition(&stopping_), due);
    FlushLocked();
  }
  FlushLocked();
}

}  // namespace benchlab::agent
