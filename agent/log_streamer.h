// Live logcat of one phone as LogBatch messages, for the coordinator's log subscriptions
// (`benchlab logs --follow`). Runs only while subscribed; never blocks on its sink.
#ifndef BENCHLAB_AGENT_LOG_STREAMER_H_
#define BENCHLAB_AGENT_LOG_STREAMER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_cancel.h"
#include "agent/adb/adb_client.h"
#include "benchlab/v1/common.pb.h"
#include "common/logcat_line.h"

namespace benchlab::agent {

// The last date seen and its midnight (UTC), so most lines need no calendar arithmetic.
struct LogDateCache {
  int year = 0;
  int month = 0;
  int day = 0;
  absl::Time midnight;
};

// A split logcat line in the API's terms. `now` supplies the year threadtime lacks.
// `cache` (optional) is reused across the lines of one stream.
benchlab::v1::LogLine ToLogLine(const LogcatLine& entry, absl::Time now,
                                LogDateCache* cache = nullptr);

struct LogStreamerOptions {
  // A full batch goes out at once. Messages of a few hundred lines keep the per-message
  // cost of each hop (agent, coordinator, reader) small at flood rates.
  size_t batch_lines = 256;
  // Start with up to this many of the phone's newest lines (`logcat -T N`); 0: from now.
  // Only the first connection: after a phone comes back, lines follow from then on.
  size_t tail_lines = 0;
  absl::Duration max_delay = absl::Milliseconds(50);  // a partial one after this
};

// Threads: a reader thread (adb logcat, from now on) and a flusher thread that sends a
// partial batch once it is max_delay old. `sink` runs on either, one call at a time; it
// must not block (the link's SendLogs only queues). Stop() is prompt and idempotent.
class LogStreamer {
 public:
  using Sink = std::function<void(benchlab::v1::LogBatch batch)>;
  LogStreamer(adb::AdbClient* adb, std::string serial, Sink sink, LogStreamerOptions options = {});
  ~LogStreamer();
  LogStreamer(const LogStreamer&) = delete;
  LogStreamer& operator=(const LogStreamer&) = delete;

  void Start();
  void Stop();

 private:
  void ReadLoop();
  // Moves `lines` (then empty) to the pending batch; flushes it once full.
  void HandOver(benchlab::v1::LogBatch* lines, absl::Time now);
  void FlushLoop();
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  adb::AdbClient* adb_;
  const std::string serial_;
  Sink sink_;
  const LogStreamerOptions options_;
  adb::AdbCancel cancel_;
  std::thread reader_;
  std::thread flusher_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  benchlab::v1::LogBatch pending_ ABSL_GUARDED_BY(mu_);
  absl::Time pending_since_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_LOG_STREAMER_H_
