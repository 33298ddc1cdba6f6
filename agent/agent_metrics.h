// The agent's /metrics (opt-in, --metrics-listen): counters the daemon bumps as runs,
// pushes and log batches happen (AgentMetrics), and gauges read at scrape time from the
// outbox, the adb client and the phones' last conditions (AgentGauges). Series and labels:
// agent/README.md. Every name starts with benchlab_agent_.
#ifndef BENCHLAB_AGENT_AGENT_METRICS_H_
#define BENCHLAB_AGENT_AGENT_METRICS_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "benchlab/v1/common.pb.h"
#include "common/exposition/families.h"
#include "common/exposition/histogram.h"

namespace benchlab::agent {

// Thread-safe; bumped from the phones' workers and the log streamers' sinks.
class AgentMetrics {
 public:
  // A run's final word as reported (done, failed, cancelled) and its error class.
  void CountRun(benchlab::v1::RunState state, benchlab::v1::ErrorClass error_class) ABSL_LOCKS_EXCLUDED(mu_);
  // A model push that completed (a skipped push, the file already there, is not one).
  void CountPush(uint64_t bytes, absl::Duration took) ABSL_LOCKS_EXCLUDED(mu_);
  // Live logcat lines handed to the link, and lines it could not take.
  void CountLogLines(uint64_t sent, uint64_t dropped) ABSL_LOCKS_EXCLUDED(mu_);
  void Collect(exposition::Families* out) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<benchlab::v1::RunState, benchlab::v1::ErrorClass>, uint64_t> runs_ ABSL_GUARDED_BY(mu_);
  uint64_t pushes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t push_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  exposition::BucketHistogram push_seconds_;  // self-locking
  uint64_t log_lines_sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t log_lines_dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

// What the daemon's parts say at scrape time.
struct AgentGauges {
  bool coordinator_connected = false;
  uint64_t outbox_events = 0;
  uint64_t outbox_bytes = 0;
  double outbox_oldest_age_s = 0;         // 0 when empty
  uint64_t outbox_dropped_log_lines = 0;  // run log lines the outbox's cap dropped
  uint64_t adb_host_errors = 0;
  uint64_t adb_transport_errors = 0;
  std::vector<benchlab::v1::DeviceInfo> devices;  // the phones adb lists, last read
};

// Every agent series but the build info (the endpoint adds that).
exposition::Families AgentFamilies(const AgentMetrics& counters, const AgentGauges& gauges);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_AGENT_METRICS_H_
