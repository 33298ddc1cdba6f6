// JobCounters: per-job run counts maintained on each state change; see job_counters.h.
#include "coordinator/job_counters.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

JobCounters::Bucket JobCounters::BucketOf(v1::RunState state) {
  switch (state) {
    case v1::RUN_STATE_QUEUED: return kQueued;
    case v1::RUN_STATE_DONE: return kDone;
    case v1::RUN_STATE_FAILED: return kFailed;
    case v1::RUN_STATE_CANCELLED: return kCancelled;
    default: return kActive;  // assigned, installing, pushing, running
  }
}

void JobCounters::Set(const std::string& run_id, v1::RunState state) {
  auto [it, added] = state_.try_emplace(run_id, state);
  if (!added) {
    if (it->second == state) return;
    --counts_[BucketOf(it->second)];
    it->second = state;
  }
  ++counts_[BucketOf(state)];
}

void JobCounters::Fill(v1::Job* job) const {
  job->set_runs_total(total());
  job->set_runs_queued(queued());
  job->set_runs_active(active());
  job->set_runs_done(done());
  job->set_runs_failed(failed());
  job->set_runs_cancelled(cancelled());
}

}  // namespace benchlab::coordinator
