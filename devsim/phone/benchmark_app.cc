// The benchmark app's run, planned up front as timed batches of log lines (and actions
// such as the process dying), then handed to the Scheduler. Lines in one batch share a
// timestamp, as the tool's summary block does on a phone.
#include "devsim/phone/benchmark_app.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/digest.h"
#include "devsim/phone/perf_knobs.h"
#include "devsim/phone/thermal.h"
#include "devsim/phone/benchmark_flags.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/latency_model.h"
#include "devsim/phone/op_profile.h"
#include "devsim/phone/package_manager.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/scheduler.h"
#include "spdlog/spdlog.h"

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
};

// Builds the run's timeline. Times are offsets from the launch.
class RunPlan {
 public:
  explicit RunPlan(int32_t pid) : pid_(pid) {}
  PlannedBatch& At(absl::Duration at) {
    batches_.push_back(PlannedBatch{at, {}, nullptr, false});
    return batches_.back();
  }
  // A tflite line from the app's main thread.
  void Tflite(PlannedBatch& b, char prio, std::string msg) {
    b.lines.push_back(PlannedLine{LogId::kMain, pid_, pid_, prio, "tflite", std::move(msg)});
  }
  std::deque<PlannedBatch>& batches() { return batches_; }

 private:
  int32_t pid_;
  std::deque<PlannedBatch> batches_;  // a deque: At()'s references stay valid
};

namespace {

std::string JavaCrashStack(int32_t pid, absl::string_view cause, bool in_native_run) {
  std::string s = absl::StrCat(
      "FATAL EXCEPTION: main\nProcess: org.tensorflow.lite.benchmark, PID: ", pid,
      "\njava.lang.RuntimeException: Unable to start activity "
      "ComponentInfo{org.tensorflow.lite.benchmark/"
      "org.tensorflow.lite.benchmark.BenchmarkModelActivity}: ",
      cause,
      "\n\tat android.app.ActivityThread.performLaunchActivity(ActivityThread.java:3782)"
      "\n\tat android.app.ActivityThread.handleLaunchActivity(ActivityThread.java:3922)"
      "\n\tat android.app.servertransaction.LaunchActivityItem.execute(LaunchActivityItem.java:103)"
      "\n\tat "
      "android.app.servertransaction.TransactionExecutor.executeCallbacks(TransactionExecutor.java:"
      "139)"
      "\n\tat "
      "android.app.servertransaction.TransactionExecutor.execute(TransactionExecutor.java:96)"
      "\n\tat android.app.ActivityThread$H.handleMessage(ActivityThread.java:2443)"
      "\n\tat android.os.Handler.dispatchMessage(Handler.java:106)"
      "\n\tat android.os.Looper.loopOnce(Looper.java:205)"
      "\n\tat android.os.Looper.loop(Looper.java:294)"
      "\n\tat android.app.ActivityThread.main(ActivityThread.java:8177)"
      "\n\tat java.lang.reflect.Method.invoke(Native Method)"
      "\n\tat com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:552)"
      "\n\tat com.android.internal.os.ZygoteInit.main(ZygoteInit.java:971)"
      "\nCaused by: ",
      cause);
  if (in_native_run) {
    absl::StrAppend(
        &s,
        "\n\tat org.tensorflow.lite.benchmark.BenchmarkModel.nativeRun(Native Method)"
        "\n\tat org.tensorflow.lite.benchmark.BenchmarkModel.run(BenchmarkModel.java:31)"
        "\n\tat "
        "org.tensorflow.lite.benchmark.BenchmarkModelActivity.onCreate(BenchmarkModelActivity.java:"
        "48)");
  } else {
    absl::StrAppend(&s,
                    "\n\tat "
                    "org.tensorflow.lite.benchmark.BenchmarkModelActivity.onCreate("
                    "BenchmarkModelActivity.java:37)");
  }
  absl::StrAppend(
      &s,
      "\n\tat android.app.Activity.performCreate(Activity.java:8595)"
      "\n\tat android.app.Activity.performCreate(Activity.java:8573)"
      "\n\tat android.app.Instrumentation.callActivityOnCreate(Instrumentation.java:1456)"
      "\n\tat android.app.ActivityThread.performLaunchActivity(ActivityThread.java:3764)"
      "\n\t... 12 more");
  return s;
}

// The crash sequence of fixture 06: stack in the crash buffer, the activity force-finished,
// the process killed, ActivityManager's "has died". `kill` removes the pid.
void AddCrash(RunPlan& plan, absl::Duration at, int32_t pid, absl::string_view cause,
              bool in_native_run, std::function<void()> kill) {
  PlannedBatch& b = plan.At(at);
  b.lines.push_back(PlannedLine{LogId::kCrash, pid, pid, 'E', "AndroidRuntime",
                                JavaCrashStack(pid, cause, in_native_run)});
  PlannedBatch& f = plan.At(at + absl::Milliseconds(6));
  f.lines.push_back(PlannedLine{LogId::kSystem, kPidSystemServer, 2210, 'W', "ActivityTaskManager",
                                "  Force finishing activity "
                                "org.tensorflow.lite.benchmark/.BenchmarkModelActivity"});
  PlannedBatch& s = plan.At(at + absl::Milliseconds(11));
  s.lines.push_back(PlannedLine{LogId::kMain, pid, pid, 'I', "Process",
                                absl::StrCat("Sending signal. PID: ", pid, " SIG: 9")});
  PlannedBatch& d = plan.At(at + absl::Milliseconds(72));
  d.lines.push_back(PlannedLine{
      LogId::kSystem, kPidSystemServer, 1544, 'I', "ActivityManager",
      absl::StrCat("Process org.tensorflow.lite.benchmark (pid ", pid, ") has died: fg  TOP ")});
  d.lines.push_back(PlannedLine{LogId::kMain, kPidZygote, kPidZygote, 'I', "Zygote",
                                absl::StrCat("Process ", pid, " exited due to signal 9 (Killed)")});
  d.action = std::move(kill);
}

}  // namespace

BenchmarkApp::BenchmarkApp(PhoneState& phone) : phone_(phone) {}

BenchmarkApp::~BenchmarkApp() {
  absl::MutexLock lock(&mu_);
  if (group_ != 0) Scheduler::Get().CancelGroup(group_);
}

int32_t BenchmarkApp::pid() const {
  absl::MutexLock lock(&mu_);
  return pid_ != 0 && phone_.procs().Alive(pid_) ? pid_ : 0;
}

int BenchmarkApp::runs_started() const {
  absl::MutexLock lock(&mu_);
  return runs_;
}

void BenchmarkApp::StopLocked(int32_t caller_pid, bool log_force_stop) {
  LogBuffer& logs = phone_.logs();
  std::optional<InstalledPackage> pkg = phone_.packages().Find(std::string(kBenchmarkPackage));
  const int uid = pkg ? pkg->uid : 10241;
  if (group_ != 0) {
    // Scheduler tasks never take mu_, so waiting for a running one here cannot deadlock.
    Scheduler::Get().CancelGroup(group_);
    group_ = 0;
  }
  if (log_force_stop) {
    logs.Write(LogId::kSystem, kPidSystemServer, 1460, 'I', "ActivityManager",
               absl::StrCat("Force stopping org.tensorflow.lite.benchmark appid=", uid,
                            " user=0: from pid ", caller_pid));
  }
  if (pid_ != 0 && phone_.procs().Kill(pid_)) {
    logs.Write(
        LogId::kSystem, kPidSystemServer, 1460, 'I', "ActivityManager",
        absl::StrCat("Killing ", pid_, ":org.tensorflow.lite.benchmark/u0a", uid - 10000,
                     " (adj 0): stop org.tensorflow.lite.benchmark due to from pid ", caller_pid));
  }
  pid_ = 0;
}

void BenchmarkApp::ForceStop(int32_t caller_pid) {
  absl::MutexLock lock(&mu_);
  StopLocked(caller_pid, /*log_force_stop=*/true);
}

int32_t BenchmarkApp::Launch(const std::optional<std::string>& args, bool has_extras,
                             bool stop_first, int32_t caller_pid) {
  absl::MutexLock lock(&mu_);
  if (stop_first || pid_ != 0) StopLocked(caller_pid, stop_first);
  LogBuffer& logs = phone_.logs();
  std::optional<InstalledPackage> pkg = phone_.packages().Find(std::string(kBenchmarkPackage));
  const int uid = pkg ? pkg->uid : 10241;
  const int run_number = ++runs_;

  logs.Write(LogId::kSystem, kPidSystemServer, 4711, 'I', "ActivityTaskManager",
             absl::StrCat("START u0 {flg=0x10000000 cmp=org.tensorflow.lite.benchmark/"
                          ".BenchmarkModelActivity",
                          has_extras ? " (has extras)" : "",
                          "} with LAUNCH_MULTIPLE from uid 2000 (BAL_ALLOW_PERMISSION) result "
                          "code=0"));
  const int32_t pid = phone_.procs().Spawn(std::string(kBenchmarkPackage));
  pid_ = pid;
  // The reason's wording changed across releases (tflite-benchmark.md §1.2).
  const int sdk = phone_.profile().sdk;
  const char* reason = sdk >= 33   ? "next-top-activity"
                       : sdk >= 31 ? "pre-top-activity"
                                   : "activity";
  logs.Write(
      LogId::kSystem, kPidSystemServer, 1471, 'I', "ActivityManager",
      absl::StrCat("Start proc ", pid, ":org.tensorflow.lite.benchmark/u0a", uid - 10000, " for ",
                   reason, " {org.tensorflow.lite.benchmark/", kBenchmarkActivity, "}"));

  // Timeline: the run is spread over run_duration (D); warm-up ends ~35% in, the timed
  // phase near the end, summary and memory lines in the same millisecond.
  const absl::Duration d = std::max(phone_.run_duration(), absl::Milliseconds(300));
  const absl::Duration t_activity = std::min(absl::Milliseconds(90), d * 0.05);
  const absl::Duration t_params = d * 0.10;
  const absl::Duration t_load = d * 0.11;
  const absl::Duration t_session = d * 0.14;
  const absl::Duration t_warm = d * 0.35;
  const absl::Duration t_end = d * 0.97;

  ProcessTable* procs = &phone_.procs();
  auto kill = [procs, pid] { procs->Kill(pid); };
  RunPlan plan(pid);
  const Fault fault = phone_.fault();

  if (!args.has_value()) {
    // getExtras() is null: onCreate throws before any benchmark line (fixture 06).
    AddCrash(plan, t_activity, pid,
             "java.lang.NullPointerException: Attempt to invoke virtual method "
             "'java.lang.String android.os.Bundle.getString(java.lang.String, "
             "java.lang.String)' on a null object reference",
             false, kill);
  } else {
    std::string app_args = *args;
    ParsedFlags flags = ParseBenchmarkArgs(app_args);
    if (flags.Bool("use_hexagon", false) && pkg) {
      // The activity appends the native library dir when Hexagon is requested.
      absl::StrAppend(&app_args, " --hexagon_lib_path=", Vfs::Normalize(pkg->apk_path + "/.."),
                      "/lib/arm64");
      flags = ParseBenchmarkArgs(app_args);
    }
    PlannedBatch& start = plan.At(t_activity);
    start.lines.push_back(
        PlannedLine{LogId::kMain, pid, pid, 'I', "tflite_BenchmarkModelActivity",
                    absl::StrCat("Running TensorFlow Lite benchmark with args: ", app_args)});
    if (fault == Fault::kInvalidFlag && flags.parse_error.empty()) {
      // Make the first flag unparsable, as a typo in a pass-through flag would.
      flags.parse_error = "Failed to parse flag 'num_runs' against argv '--num_runs=fifty'";
    }
    PlannedBatch& params = plan.At(t_params);
    const std::string graph = flags.String("graph");
    auto E = [&](PlannedBatch& b, std::string m) { plan.Tflite(b, 'E', std::move(m)); };
    auto I = [&](PlannedBatch& b, std::string m) { plan.Tflite(b, 'I', std::move(m)); };
    if (!flags.parse_error.empty()) {
      E(params, flags.parse_error);
      E(params, UsageText());
    } else if (flags.Bool("help", false)) {
      E(params, UsageText());
    } else {
      if (!flags.unconsumed.empty()) {
        plan.Tflite(
            params, 'W',
            absl::StrCat("Unconsumed cmdline flags: ", absl::StrJoin(flags.unconsumed, " ")));
      }
      if (graph.empty()) {
        E(params, "Please specify the name of your TF Lite input file with --graph");
      } else {
        for (std::string& l : ParamEchoLines(flags)) I(params, std::move(l));
        absl::StatusOr<std::shared_ptr<const std::string>> model = phone_.fs().Read(graph);
        if (fault == Fault::kHang) {
          // Start line and parameters, then silence; the process stays alive.
        } else if (fault == Fault::kGraphMissing || !model.ok()) {
          E(params, absl::StrCat("Could not open '", graph, "'."));
          E(params, absl::StrCat("Failed to load model ", graph));
          PlannedBatch& w = plan.At(t_params + absl::Milliseconds(9));
          w.epilogue = true;
          w.lines.push_back(
              PlannedLine{LogId::kSystem, kPidSystemServer, 1468, 'W', "ActivityTaskManager",
                          "Activity top resumed state loss timeout for ActivityRecord{"
                          "8c1f2a0 u0 org.tensorflow.lite.benchmark/"
                          ".BenchmarkModelActivity t212 f}}"});
        } else if (fault == Fault::kBadModel || (*model)->size() < 8 ||
                   (*model)->compare(4, 4, "TFL3") != 0) {
          E(params, "The model is not a valid Flatbuffer buffer");
          E(params, absl::StrCat("Failed to load model ", graph));
        } else {
          // A normal run.
          RunConfig cfg;
          cfg.model_size_bytes = static_cast<int64_t>((*model)->size());
          cfg.num_threads = flags.Int("num_threads", -1);
          cfg.use_gpu = flags.Bool("use_gpu", false);
          cfg.use_nnapi = flags.Bool("use_nnapi", false);
          cfg.use_xnnpack = !flags.Has("use_xnnpack") || flags.Bool("use_xnnpack", false);
          cfg.num_runs = flags.Int("num_runs", 50);
          cfg.min_secs = flags.Float("min_secs", 1.0);
          cfg.max_secs = flags.Float("max_secs", 150.0);
          cfg.warmup_runs = flags.Int("warmup_runs", 1);
          cfg.warmup_min_secs = flags.Float("warmup_min_secs", 0.5);
          cfg.run_delay_secs = flags.Float("run_delay", -1);
          RunPerf perf;
          perf.big_freq_factor = phone_.thermal().big_freq_factor();
          perf.noise_cv = phone_.knobs().noise_cv();
          perf.drift_factor = phone_.knobs().DriftFactor(phone_.SimUptimeS());
          if (phone_.knobs().HasSlowdowns()) {
            perf.slowdown_factor = phone_.knobs().SlowdownFactor(HexDigest(EVP_sha256(), **model));
          }
          const RunNumbers n = ComputeRun(
              phone_.profile(), RunSeed(phone_.seed(), phone_.profile(), run_number), perf, cfg);
          if (flags.Bool("list_signatures", false)) {
            // The tool lists the keys and then stops with an error status on purpose.
            PlannedBatch& sig = plan.At(t_load);
            I(sig, absl::StrCat("Loaded model ", graph));
            I(sig, "The Model contains 1 signature key(s).");
            I(sig, "They are listed below: ");
            I(sig, "-> Signature Key: serving_default");
            ScheduleLocked(plan, false);
            return pid;
          }
          PlannedBatch& load = plan.At(t_load);
          I(load, absl::StrCat("Loaded model ", graph));
          I(load, "Initialized TensorFlow Lite runtime.");
          const bool explicit_xnn = flags.Has("use_xnnpack") && cfg.use_xnnpack;
          const int delegates =
              (cfg.use_gpu ? 1 : 0) + (cfg.use_nnapi ? 1 : 0) + (explicit_xnn ? 1 : 0);
          PlannedBatch& dl = plan.At(t_load + absl::Milliseconds(2));
          if (delegates >= 2) {
            I(dl, absl::StrFormat("Going to apply %d delegates one after another.", delegates));
          }
          bool first_delegate = true;
          auto created = [&](absl::string_view name) {
            if (first_delegate) I(dl, absl::StrCat(name, " delegate created."));
            first_delegate = false;
          };
          // Driver and NNAPI runtime lines come from the app's pid under their own tags
          // (what `logcat --pid=N` shows besides tflite).
          auto other = [&](PlannedBatch& b, char prio, const char* tag, std::string msg) {
            b.lines.push_back(PlannedLine{LogId::kMain, pid, pid, prio, tag, std::move(msg)});
          };
          if (cfg.use_gpu) {
            const std::string soc = phone_.profile().soc_model;
            if (absl::StartsWith(soc, "SM")) {
              other(dl, 'I', "AdrenoGLES-0",
                    "QUALCOMM build                   : 2df12b3, I07da2d9908");
              other(dl, 'I', "AdrenoGLES-0",
                    "Build Config                     : S P 14.1.4 AArch64");
            } else {
              other(dl, 'I', "libEGL", "loaded /vendor/lib64/egl/libGLES_mali.so");
            }
          }
          if (cfg.use_nnapi) {
            other(dl, 'I', "Manager", "DeviceManager::DeviceManager");
            other(dl, 'I', "Manager", "findAvailableDevices");
            other(dl, 'I', "TypeManager",
                  "Failed to read /vendor/etc/nnapi_extensions_app_allowlist ; No app allowlisted "
                  "for vendor extensions use.");
          }
          if (cfg.use_gpu) {
            I(dl, "Created TensorFlow Lite delegate for GPU.");
            created("GPU");
            I(dl, absl::StrFormat("Replacing %d out of %d node(s) with delegate "
                                  "(TfLiteGpuDelegateV2) node, yielding 1 partitions for "
                                  "subgraph 0.",
                                  n.total_nodes, n.total_nodes));
            I(dl, flags.String("gpu_backend") == "gl" ? "Initialized OpenGL-based API."
                                                      : "Initialized OpenCL-based API.");
            I(dl, "Created 1 GPU delegate kernels.");
            I(dl,
              "Explicitly applied GPU delegate, and the model graph will be completely "
              "executed by the delegate.");
          }
          if (cfg.use_nnapi && flags.Bool("require_full_delegation", false)) {
            // NNAPI leaves some ops on the CPU, which this flag forbids.
            I(dl, "Created TensorFlow Lite delegate for NNAPI.");
            E(dl, "Disallowed CPU fallback detected.");
            E(dl, "Failed to apply NNAPI delegate.");
            ScheduleLocked(plan, false);
            return pid;
          }
          if (cfg.use_nnapi) {
            I(dl, "Created TensorFlow Lite delegate for NNAPI.");
            created("NNAPI");
            I(dl, absl::StrFormat("Replacing %d out of %d node(s) with delegate "
                                  "(TfLiteNnapiDelegate) node, yielding %d partitions for "
                                  "subgraph 0.",
                                  n.delegated_nodes, n.total_nodes, n.partitions));
            I(dl, absl::StrFormat("Explicitly applied NNAPI delegate, and the model graph will "
                                  "be partially executed by the delegate w/ %d delegate "
                                  "kernels.",
                                  n.partitions));
          }
          if (!cfg.use_gpu && !cfg.use_nnapi && cfg.use_xnnpack) {
            I(dl, "Created TensorFlow Lite XNNPACK delegate for CPU.");
            if (explicit_xnn) created("XNNPACK");
            I(dl, absl::StrFormat("Replacing %d out of %d node(s) with delegate "
                                  "(TfLiteXNNPackDelegate) node, yielding 1 partitions for "
                                  "subgraph 0.",
                                  n.total_nodes, n.total_nodes));
            if (explicit_xnn) {
              I(dl,
                "Explicitly applied XNNPACK delegate, and the model graph will be "
                "completely executed by the delegate.");
            }
          }
          PlannedBatch& session = plan.At(t_session);
          I(session, absl::StrCat("The input model file size (MB): ",
                                  FormatG(static_cast<double>(cfg.model_size_bytes) / 1e6)));
          I(session, absl::StrCat("Initialized session in ",
                                  FormatG(static_cast<double>(n.init_us) / 1000.0), "ms."));
          I(session, absl::StrCat("Running benchmark for at least ", cfg.warmup_runs,
                                  " iterations and at least ", FormatG(cfg.warmup_min_secs),
                                  " seconds but terminate if exceeding ", FormatG(cfg.max_secs),
                                  " seconds."));
          if (fault == Fault::kCrash) {
            AddCrash(plan, t_warm, pid,
                     "java.lang.OutOfMemoryError: Failed to allocate a 268435472 byte "
                     "allocation with 25165824 free bytes and 186MB until OOM, target "
                     "footprint 201326592, growth limit 402653184",
                     true, kill);
          } else {
            PlannedBatch& warm = plan.At(t_warm);
            I(warm, FormatStatsLine(n.warmup_us));
            I(warm, absl::StrCat("Running benchmark for at least ", cfg.num_runs,
                                 " iterations and at least ", FormatG(cfg.min_secs),
                                 " seconds but terminate if exceeding ", FormatG(cfg.max_secs),
                                 " seconds."));
            PlannedBatch& end = plan.At(t_end);
            I(end, FormatStatsLine(n.timed_us));
            I(end, absl::StrCat("Inference timings in us: Init: ", n.init_us, ", First inference: ",
                                n.warmup_us.empty() ? 0 : n.warmup_us.front(),
                                ", Warmup (avg): ", FormatAvg(n.warmup_us),
                                ", Inference (avg): ", FormatAvg(n.timed_us)));
            I(end,
              "Note: as the benchmark tool itself affects memory footprint, the following "
              "is only APPROXIMATE to the actual memory footprint of the model at "
              "runtime. Take the information at your discretion.");
            I(end, absl::StrCat("Memory footprint delta from the start of the tool (MB): init=",
                                FormatG(n.mem_init_mb), " overall=", FormatG(n.mem_overall_mb)));
            if (flags.Bool("report_peak_memory_footprint", false)) {
              I(end, absl::StrCat("Overall peak memory footprint (MB) via periodic monitoring: ",
                                  FormatG(n.peak_mb)));
              I(end, "Memory status at the end of exeution:");
              I(end, absl::StrFormat("- VmRSS              : %d MB", n.vm_rss_mb));
              I(end, absl::StrFormat("+ RssAnnon           : %d MB", n.rss_anon_mb));
              I(end, absl::StrFormat("+ RssFile + RssShmem : %d MB", n.rss_file_mb));
            }
            if (flags.Bool("enable_op_profiling", false) &&
                flags.String("op_profiling_output_file").empty() &&
                flags.String("profiling_output_csv_file").empty()) {
              const std::string kernel = cfg.use_gpu       ? "TfLiteGpuDelegateV2"
                                         : cfg.use_nnapi   ? "TfLiteNnapiDelegate"
                                         : cfg.use_xnnpack ? "TfLiteXNNPackDelegate"
                                                           : "";
              for (std::string& m : OpProfileMessages(
                       n, kernel, RunSeed(phone_.seed(), phone_.profile(), run_number))) {
                I(end, std::move(m));
              }
            }
            Battery* battery = &phone_.battery();
            Thermal* thermal = &phone_.thermal();
            const double load = cfg.use_gpu ? 0.6
                                : cfg.use_nnapi
                                    ? 0.5
                                    : std::min(1.0, std::max(1, cfg.num_threads) / 4.0 + 0.2);
            const double busy = n.busy_secs;
            end.action = [battery, thermal, busy, load] {
              thermal->Heat(busy, load);
              battery->Drain(busy, load);
            };
            PlannedBatch& after = plan.At(t_end + absl::Milliseconds(5));
            after.epilogue = true;
            after.lines.push_back(PlannedLine{
                LogId::kMain, pid, pid, 'I', "Choreographer",
                absl::StrFormat("Skipped %d frames!  The application may be doing too much "
                                "work on its main thread.",
                                static_cast<int>(absl::ToDoubleMilliseconds(d) / 16.7))});
          }
        }
      }
    }
  }

  spdlog::debug("devsim app launch serial={} pid={} run={} fault={} args=\"{}\"",
                phone_.profile().serialno, pid, run_number, std::string(FaultName(fault)),
                args.value_or("<none>"));
  const bool hangs = fault == Fault::kHang && args.has_value();
  ScheduleLocked(plan, hangs);
  return pid;
}

void BenchmarkApp::InjectFault(Fault fault) {
  if (fault != Fault::kCrash && fault != Fault::kHang) return;
  absl::MutexLock lock(&mu_);
  if (pid_ == 0 || !phone_.procs().Alive(pid_) || absl::Now() >= run_end_) return;
  Scheduler::Get().CancelGroup(group_);  // the rest of the run never comes
  group_ = 0;
  RunPlan plan(pid_);
  if (fault == Fault::kCrash) {
    ProcessTable* procs = &phone_.procs();
    const int32_t pid = pid_;
    AddCrash(plan, absl::Milliseconds(30), pid,
             "java.lang.OutOfMemoryError: Failed to allocate a 268435472 byte allocation with "
             "25165824 free bytes and 186MB until OOM, target footprint 201326592, growth "
             "limit 402653184",
             true, [procs, pid] { procs->Kill(pid); });
  }
  ScheduleLocked(plan, fault == Fault::kHang);
}

void BenchmarkApp::ScheduleLocked(RunPlan& plan, bool in_progress_forever) {
  // Hand the batches to the scheduler, in one group so a force-stop drops them all.
  group_ = Scheduler::Get().NewGroup();
  const absl::Time t0 = absl::Now();
  run_end_ = t0;
  LogBuffer* logs_ptr = &phone_.logs();
  for (PlannedBatch& b : plan.batches()) {
    if (b.lines.empty() && !b.action) continue;
    if (!b.epilogue) run_end_ = std::max(run_end_, t0 + b.at);
    // Stamped with the planned time, not the moment the scheduler gets to it, so a busy
    // machine delays lines but does not squeeze the run's timeline.
    const absl::Time due = t0 + b.at;
    Scheduler::Get().Add(group_, due,
                         [logs_ptr, due, lines = std::move(b.lines), action = std::move(b.action)] {
                           // The action first: whoever sees "has died" finds the pid gone.
                           if (action) action();
                           for (const PlannedLine& l : lines) {
                             logs_ptr->Write(l.id, l.pid, l.tid, l.prio, l.tag, l.msg, due);
                           }
                         });
  }
  if (in_progress_forever) run_end_ = absl::InfiniteFuture();
}

}  // namespace benchlab::devsim
