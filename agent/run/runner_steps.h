// What the runner's two paths (the APK's, benchmark_runner.cc; the native tools',
// native_runner.cc) share: the small deadline of clean-up calls and how a failure is written.
#ifndef BENCHLAB_AGENT_RUN_RUNNER_STEPS_H_
#define BENCHLAB_AGENT_RUN_RUNNER_STEPS_H_

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "agent/run/benchmark_runner.h"

namespace benchlab::agent {

// Short calls around the run (state checks, force-stop, kill) get their own small
// deadline, so a run that timed out can still be cleaned up.
inline constexpr absl::Duration kShortCall = absl::Seconds(5);

inline void FailRun(RunOutcome* out, benchlab::v1::ErrorClass error, std::string message) {
  out->state = benchlab::v1::RUN_STATE_FAILED;
  out->error_class = error;
  out->error_message = std::move(message);
}

inline void MarkCancelled(RunOutcome* out) {
  out->state = benchlab::v1::RUN_STATE_CANCELLED;
  out->error_message = "cancelled";
}

// Keeps what the parser saw and its error lines as the outcome's evidence.
inline void TakeParsed(const BenchmarkResult& r, RunOutcome* out) {
  out->parsed = r;
  out->evidence.insert(out->evidence.end(), r.error_lines.begin(), r.error_lines.end());
}

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_RUNNER_STEPS_H_
