// One benchmark run on one phone, steps 3-7 of DESIGN.md "A run, step by step": install
// the APK unless the same one is there, push the model unless it is there, start the
// activity, follow logcat from just before the start, parse, stop the app, cool down.
#ifndef BENCHLAB_AGENT_RUN_BENCHMARK_RUNNER_H_
#define BENCHLAB_AGENT_RUN_BENCHMARK_RUNNER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_cancel.h"
#include "agent/adb/adb_client.h"
#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/metrics.pb.h"
#include "common/benchmark_parser.h"

namespace benchlab::agent {

inline constexpr char kBenchmarkPackage[] = "org.tensorflow.lite.benchmark";
inline constexpr char kBenchmarkActivity[] = ".BenchmarkModelActivity";
inline constexpr char kRemoteModelDir[] = "/data/local/tmp/benchlab";
// Native tools live here on the phone, named by their sha256 (issue 11).
inline constexpr char kRemoteBinaryDir[] = "/data/local/tmp/benchlab/bin";

struct RunRequest {
  std::string serial;
  // Which tool runs: the APK (apk_*), or a native binary (binary_*), NATIVE or LITERT.
  benchlab::v1::ToolKind tool = benchlab::v1::TOOL_KIND_APK;
  std::string binary_path;    // local file
  std::string binary_sha256;  // lower-case hex; names the file on the phone
  uint64_t binary_size_bytes = 0;
  // Files the native tool loads (issue 11): each pushed to remote_dir/remote_name unless a
  // file of that size is there already (named by hash, as the binary).
  struct ToolFilePush {
    std::string local_path;
    std::string remote_dir;
    std::string remote_name;
    uint64_t size_bytes = 0;
  };
  std::vector<ToolFilePush> tool_files;
  std::string apk_path;      // local file
  std::string apk_sha256;    // lower-case hex of apk_path's content
  std::string model_path;    // local file
  std::string model_sha256;  // lower-case hex; names the file on the phone
  uint64_t model_size_bytes = 0;
  // Tool arguments without --graph ("--num_threads=4", ...). Each is checked again with
  // CheckToolArg; one bad argument fails the run as BAD_FLAG before anything reaches the phone.
  std::vector<std::string> args;
  // JobSpec.cpus ("big", "little", "all", "0x..."; empty = no pinning): resolved from the
  // phone's CPU clusters just before the tool starts; native tools run under `taskset`.
  std::string cpus;
  // The whole run, install to result. DeadlineExceeded on the way ends it as TIMED_OUT.
  absl::Duration timeout = absl::Minutes(10);
  // After the run: wait until the battery is below cooldown_below_c (when > 0), for at
  // most cooldown_max; with cooldown_below_c == 0 simply pause cooldown_max.
  absl::Duration cooldown_max = absl::ZeroDuration();
  double cooldown_below_c = 0;
  // After a failure line the tool may print a few more evidence lines; read this long.
  absl::Duration evidence_grace = absl::Milliseconds(300);
  // Results as a file (issue 11): pass --result_file_path (native: in the run's folder
  // under /data/local/tmp/benchlab/run; APK: in the app's files dir), read the file back
  // after a DONE run and take its numbers (result_file.h).
  bool result_file = false;
};

// How long each step took; skipped steps report the check's cost.
struct StepTimings {
  bool install_skipped = false;
  bool push_skipped = false;
  absl::Duration install = absl::ZeroDuration();
  absl::Duration push = absl::ZeroDuration();
  absl::Duration start = absl::ZeroDuration();     // am start returned
  absl::Duration run = absl::ZeroDuration();       // am start to the end of the result
  absl::Duration cooldown = absl::ZeroDuration();
  absl::Duration total = absl::ZeroDuration();
};

struct RunOutcome {
  // DONE, FAILED or CANCELLED.
  benchlab::v1::RunState state = benchlab::v1::RUN_STATE_FAILED;
  benchlab::v1::ErrorClass error_class = benchlab::v1::ERROR_CLASS_UNSPECIFIED;
  std::string error_message;       // one sentence a person can act on
  std::vector<std::string> evidence;  // the lines that show why (tool E/F lines, adb output)
  benchlab::v1::BenchmarkMetrics metrics;  // set when DONE
  BenchmarkResult parsed;          // everything the parser saw
  StepTimings timings;
  // The phone's state just before `am start` (after install and push) and just after the
  // app was stopped (run_conditions.h); a part that could not be read stays unset.
  benchlab::v1::RunConditionsPair conditions;
  // A native tool's exit status (128+N when a signal ended it); unset for the APK or when
  // it never ran.
  std::optional<int> exit_code;
  // The native tool's pid on the phone (from the shell's `echo $$` before `exec`); 0 if
  // not known.
  int64_t native_pid = 0;
  // The mask the tool ran under, "0xf0" (common/flags/cpu_set.h); empty without pinning.
  std::string cpu_mask;
  // The result file's fate (issue 11): UNSPECIFIED when not asked for or not DONE.
  benchlab::v1::ResultFileStatus result_file_status = benchlab::v1::RESULT_FILE_STATUS_UNSPECIFIED;
  std::string result_file_note;
};

// Called from the runner's threads; must return quickly (queue, don't block).
struct RunObserver {
  std::function<void(benchlab::v1::RunState)> on_state;  // INSTALLING, PUSHING, RUNNING
  // The benchmark process's raw logcat lines, in batches (threadtime layout).
  std::function<void(std::vector<std::string>)> on_log_lines;
  // Metrics so far, each time a phase's stats land.
  std::function<void(const benchlab::v1::BenchmarkMetrics&)> on_partial_metrics;
};

// One object per run. Threads: Run() blocks its caller and uses one extra thread for
// logcat; Cancel() may be called from any thread. Several runners may run at once on
// different phones sharing one AdbClient.
class BenchmarkRunner {
 public:
  explicit BenchmarkRunner(adb::AdbClient* adb) : adb_(adb) {}
  BenchmarkRunner(const BenchmarkRunner&) = delete;
  BenchmarkRunner& operator=(const BenchmarkRunner&) = delete;

  // Runs `request` once. Never returns an error status: every failure is a classified
  // RunOutcome (install_failed, push_failed, model_missing, bad_flag, app_crashed,
  // timed_out, device_lost, adb_unavailable, ...) with its evidence lines.
  RunOutcome Run(const RunRequest& request, const RunObserver& observer);

  // Ends a Run() in progress (or the next one) as CANCELLED: nothing more is installed,
  // pushed or started, and a started app is force-stopped before Run() returns.
  void Cancel();

  // The `am start` command line for `args` (already checked) and the model's path on
  // the phone. The whole argument string is one shell word.
  static std::string StartCommand(const std::string& remote_model,
                                  const std::vector<std::string>& args);
  static std::string RemoteModelPath(const std::string& model_sha256);
  static std::string RemoteBinaryPath(const std::string& binary_sha256);
  // The shell line of a native run: prints the shell's pid, then execs the tool (which
  // keeps that pid), so the agent can kill exactly it. Arguments are quoted. With a
  // `taskset_mask` (hex, cpu_set.h TasksetMask) it execs `taskset MASK TOOL ...`, which
  // sets its own affinity and execs the tool: still the same pid.
  static std::string NativeCommand(const std::string& remote_binary, const std::string& remote_model,
                                   const std::vector<std::string>& args,
                                   const std::string& taskset_mask = "");

 private:
  struct Watch;  // state shared with the logcat thread (benchmark_runner.cc)

  bool cancelled() const;
  // Turns a failed adb call into an outcome: adb_unavailable when the server is gone,
  // device_lost when the phone is, timed_out past the deadline, else `step_error`.
  void ClassifyAdbFailure(const absl::Status& status, const RunRequest& request,
                          absl::Time deadline, benchlab::v1::ErrorClass step_error,
                          absl::string_view what, RunOutcome* out);
  absl::Status EnsureApk(const RunRequest& request, absl::Time deadline, RunOutcome* out);
  absl::Status EnsureModel(const RunRequest& request, absl::Time deadline, RunOutcome* out);
  // Sets *app_started once `am start` was sent (the app then needs a force-stop).
  void StartAndWatch(const RunRequest& request, const RunObserver& observer, absl::Time deadline,
                     RunOutcome* out, bool* app_started);
  void CoolDown(const RunRequest& request, RunOutcome* out);
  // Native tools (native_runner.cc): push the binary by hash and make it executable;
  // run it over `adb shell`, parsing its stdout/stderr live; kill its pid on a cancel or
  // the deadline.
  absl::Status EnsureBinary(const RunRequest& request, absl::Time deadline, RunOutcome* out);
  // Pushes request.tool_files that are not on the phone yet (EnsureBinary's last step).
  absl::Status EnsureToolFiles(const RunRequest& request, absl::Time deadline);
  void RunNative(const RunRequest& request, const RunObserver& observer, absl::Time deadline,
                 RunOutcome* out);
  // Resolves request.cpus against the clusters in out->conditions.before into
  // out->cpu_mask; false (the run failed as CPUS_UNAVAILABLE) when it names no CPU.
  bool ResolveRunCpus(const RunRequest& request, RunOutcome* out);
  // Results as a file (result_file_runner.cc): where the tool writes it on the phone, the
  // step that clears a stale one before the run, and reading it back after a DONE run
  // (sets out->result_file_status and merges the file's numbers into out->metrics).
  static std::string RemoteResultPath(bool native);
  void ClearResultFile(const RunRequest& request, absl::Time deadline);
  void ReadResultFile(const RunRequest& request, RunOutcome* out);
  // Waits up to `d` unless cancelled; true when cancelled.
  bool SleepUnlessCancelled(absl::Duration d);

  adb::AdbClient* adb_;
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  adb::AdbCancel* logcat_cancel_ ABSL_GUARDED_BY(mu_) = nullptr;  // while logcat runs
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_BENCHMARK_RUNNER_H_
