// RunPlan: one benchmark run of a simulated tool, planned up front as timed batches of log
// lines (and actions such as the process dying). The APK (benchmark_app.cc) hands the
// batches to the Scheduler; a native binary (native_tool.cc) plays them on its shell.
//
// Threading: a plan is built and played by one thread.
#ifndef BENCHLAB_DEVSIM_PHONE_RUN_PLAN_H_
#define BENCHLAB_DEVSIM_PHONE_RUN_PLAN_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone_state.h"

namespace benchlab::devsim {

struct PlannedLine {
  LogId id;
  int32_t pid;
  int32_t tid;
  char prio;
  std::string tag;
  std::string msg;
};

struct PlannedBatch {
  absl::Duration at;
  std::vector<PlannedLine> lines;
  std::function<void()> action;  // runs just before the lines are written
  // Framework lines after the app's last line: not part of the run, so a fault set after
  // the run's final line does not hit it.
  bool epilogue = false;
  // A native tool's process dies here with this status (a fatal signal: 128+N).
  std::optional<int> dies_with;
};

// Which simulated tool runs the plan: what its output looks like.
enum class ToolFlavor {
  kApk,     // the benchmark APK's activity (logcat only)
  kTflite,  // the classic native benchmark_model (stdout/stderr, and logcat)
  kLitert,  // the LiteRT CompiledModel benchmark_model (its BENCHMARK RESULTS block)
};

// Builds the run's timeline. Times are offsets from the launch.
class RunPlan {
 public:
  RunPlan(int32_t pid, ToolFlavor flavor = ToolFlavor::kApk) : pid_(pid), flavor_(flavor) {}
  PlannedBatch& At(absl::Duration at) {
    batches_.push_back(PlannedBatch{at, {}, nullptr, false, std::nullopt});
    return batches_.back();
  }
  // A line of the tool's own logger, from the run's main thread.
  void Tflite(PlannedBatch& b, char prio, std::string msg) {
    b.lines.push_back(PlannedLine{LogId::kMain, pid_, pid_, prio, "tflite", std::move(msg)});
  }
  // A line of LiteRT's logger (LITERT_LOG: logcat tag "litert").
  void Litert(PlannedBatch& b, char prio, std::string msg) {
    b.lines.push_back(PlannedLine{LogId::kMain, pid_, pid_, prio, "litert", std::move(msg)});
  }
  std::deque<PlannedBatch>& batches() { return batches_; }
  int32_t pid() const { return pid_; }
  ToolFlavor flavor() const { return flavor_; }
  bool native() const { return flavor_ != ToolFlavor::kApk; }

 private:
  int32_t pid_;
  ToolFlavor flavor_;
  std::deque<PlannedBatch> batches_;  // a deque: At()'s references stay valid
};

// How a planned run ends.
struct PlannedEnd {
  // The tool prints nothing more after its last line and never exits (fault hang).
  bool hangs = false;
  // A native tool's exit status after its last line (0, or 1 after a failure: the
  // classic main returns EXIT_FAILURE once "Benchmarking failed.").
  int exit_status = 0;
};

// Plans a run of the tool on `phone` with the argument string `args` (nullopt: the APK's
// intent had no "args" extra, which crashes the activity). `run_number` seeds the numbers.
// `cpu_mask` is the run's affinity (taskset; 0 = every core): a mask without the phone's
// big cluster runs slower.
PlannedEnd PlanBenchmarkRun(PhoneState& phone, RunPlan& plan, const std::optional<std::string>& args,
                            int run_number, uint64_t cpu_mask = 0);

// The APK's crash sequence (fixture 06) at `at`: stack in the crash buffer, the activity
// force-finished, the process killed (`kill` runs then).
void AddAppCrash(RunPlan& plan, absl::Duration at, absl::string_view cause, bool in_native_run,
                 std::function<void()> kill);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_RUN_PLAN_H_
