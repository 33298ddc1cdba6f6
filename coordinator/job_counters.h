// A job's run counters (queued, active, done, failed, cancelled) kept up to date as each
// run changes state, so a job's view and "are all runs final?" cost O(1) per event
// instead of a walk over the job's runs (which made a job's cost grow with its square).
#ifndef BENCHLAB_COORDINATOR_JOB_COUNTERS_H_
#define BENCHLAB_COORDINATOR_JOB_COUNTERS_H_

#include <array>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab::coordinator {

class JobCounters {
 public:
  // Records the run's current state (a run seen for the first time is added). Calling it
  // again with the same state changes nothing, so callers may report every change.
  void Set(const std::string& run_id, benchlab::v1::RunState state);

  int total() const { return static_cast<int>(state_.size()); }
  int queued() const { return counts_[kQueued]; }
  int active() const { return counts_[kActive]; }
  int done() const { return counts_[kDone]; }
  int failed() const { return counts_[kFailed]; }
  int cancelled() const { return counts_[kCancelled]; }
  // Every run is done, failed or cancelled (true for a job without runs).
  bool all_final() const { return done() + failed() + cancelled() == total(); }
  // Fills Job.runs_total/queued/active/done/failed/cancelled.
  void Fill(benchlab::v1::Job* job) const;

 private:
  enum Bucket { kQueued, kActive, kDone, kFailed, kCancelled, kBuckets };
  static Bucket BucketOf(benchlab::v1::RunState state);

  absl::flat_hash_map<std::string, benchlab::v1::RunState> state_;
  std::array<int, kBuckets> counts_{};
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_JOB_COUNTERS_H_
