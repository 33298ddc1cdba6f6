// BenchmarkApp: the simulated org.tensorflow.lite.benchmark APK. `am start` launches it:
// a new process (new pid) whose log lines (tflite-benchmark.md §1.4) are written to the
// phone's logcat over the run duration by the shared Scheduler; numbers come from
// latency_model, failures from the args, the model file and the phone's fault.
//
// Threading: thread-safe. Launch/ForceStop run on shell threads; the planned lines run
// on the Scheduler thread and touch only the log buffer, process table and battery.
#ifndef BENCHLAB_DEVSIM_PHONE_BENCHMARK_APP_H_
#define BENCHLAB_DEVSIM_PHONE_BENCHMARK_APP_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "devsim/phone/phone_state.h"

namespace benchlab::devsim {

class RunPlan;  // benchmark_app.cc: a run's timed log lines

inline constexpr absl::string_view kBenchmarkActivity =
    "org.tensorflow.lite.benchmark.BenchmarkModelActivity";

class BenchmarkApp {
 public:
  explicit BenchmarkApp(PhoneState& phone);
  ~BenchmarkApp();  // drops pending lines (waits for one being written)

  // Starts the activity as `am start` does after resolving it: force-stops first when
  // `stop_first` (-S) or when a previous run's process is alive, spawns a new process and
  // plans the run. `args` is the "args" string extra (nullopt: absent -> Java crash);
  // `has_extras` says whether the intent had any extras. Returns the new pid.
  int32_t Launch(const std::optional<std::string>& args, bool has_extras, bool stop_first,
                 int32_t caller_pid);
  // `am force-stop`: kills the process (if any) and drops its pending lines.
  void ForceStop(int32_t caller_pid);
  // A fault set while a run is in progress (devsimctl fault ...): kCrash crashes the run
  // now, kHang silences the rest of it; other faults wait for the next launch.
  void InjectFault(Fault fault);
  // The app's pid if its process is alive, else 0.
  int32_t pid() const;
  int runs_started() const;

 private:
  void StopLocked(int32_t caller_pid, bool log_force_stop) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Schedules a planned run (see benchmark_app.cc) and records when it ends.
  void ScheduleLocked(RunPlan& plan, bool in_progress_forever) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  PhoneState& phone_;
  mutable absl::Mutex mu_;
  int32_t pid_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t group_ ABSL_GUARDED_BY(mu_) = 0;
  int runs_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time run_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();  // last planned line
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_BENCHMARK_APP_H_
