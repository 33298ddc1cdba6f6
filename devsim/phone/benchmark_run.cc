// PlanBenchmarkRun: the benchmark tool's run as timed lines, for the APK and the native
// tools alike: flag echo, model load, delegates, warm-up and timed stats, then the classic
// summary or (LiteRT) its BENCHMARK RESULTS block; failures from the args, the model file
// and the phone's fault (tflite-benchmark.md §1.4, §2).
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/benchmark_app.h"
#include "devsim/phone/benchmark_flags.h"
#include "devsim/phone/digest.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/latency_model.h"
#include "devsim/phone/op_profile.h"
#include "devsim/phone/package_manager.h"
#include "devsim/phone/perf_knobs.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/result_file.h"
#include "devsim/phone/run_plan.h"
#include "devsim/phone/thermal.h"

namespace benchlab::devsim {
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

// LiteRT's environment (litert/tools/benchmark_litert_model.cc, CreateDefaultEnvironment):
// it logs both library directories, then, with --use_npu, the NPU's dispatch library and any
// compiler plugin are looked up by name in them (litert/core/dynamic_loading.cc: a
// directory that does not exist is an error; libLiteRtDispatch*.so,
// libLiteRtCompilerPlugin*.so). A failure ends Init with "Failed to compile model.".
bool LitertEnvironmentReady(PhoneState& phone, RunPlan& plan, PlannedBatch& b, const ParsedFlags& flags) {
  const std::string dispatch = flags.String("dispatch_library_path");
  const std::string plugin = flags.String("compiler_plugin_library_path");
  plan.Litert(b, 'I', absl::StrCat("dispatch_library_path: ", dispatch));
  plan.Litert(b, 'I', absl::StrCat("compiler_plugin_library_path: ", plugin));
  if (!flags.Bool("use_npu", false)) return true;
  auto holds = [&](const std::string& dir, absl::string_view prefix) {
    auto entries = phone.fs().List(dir);
    if (!entries.ok()) return false;
    for (const VfsEntry& e : *entries) {
      if (!e.stat.is_dir && absl::StartsWith(e.name, prefix) && absl::EndsWith(e.name, ".so")) return true;
    }
    return false;
  };
  const bool ok = holds(dispatch, "libLiteRtDispatch") && (plugin.empty() || holds(plugin, "libLiteRtCompilerPlugin"));
  if (!ok) plan.Litert(b, 'E', "Failed to compile model.");
  return ok;
}

// The crash sequence of fixture 06: stack in the crash buffer, the activity force-finished,
// the process killed, ActivityManager's "has died". `kill` removes the pid.
void AddCrashAt(RunPlan& plan, absl::Duration at, int32_t pid, absl::string_view cause,
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


double MeanMs(const std::vector<int64_t>& us) {
  if (us.empty()) return 0;
  double s = 0;
  for (int64_t v : us) s += static_cast<double>(v);
  return s / static_cast<double>(us.size()) / 1000.0;
}

// The LiteRT tool's results block, as BenchmarkLoggingListener::OnBenchmarkEnd prints it
// (google-ai-edge/LiteRT litert/tools/benchmark_litert_model.h): each message through
// LITERT_LOG, times in ms with two decimals, std without a unit.
std::vector<std::string> LitertResultsBlock(const RunNumbers& n, const RunConfig& cfg,
                                            const ParsedFlags& flags) {
  std::vector<std::string> out;
  out.push_back("\n========== BENCHMARK RESULTS ==========");
  out.push_back(absl::StrFormat("Model initialization: %.2f ms", static_cast<double>(n.init_us) / 1000.0));
  out.push_back(absl::StrFormat("Warmup (first):       %.2f ms",
                                n.warmup_us.empty() ? 0.0 : static_cast<double>(n.warmup_us.front()) / 1000.0));
  out.push_back(absl::StrFormat("Warmup (avg):         %.2f ms (%d runs)", MeanMs(n.warmup_us),
                                static_cast<int>(n.warmup_us.size())));
  out.push_back(absl::StrFormat("Inference (avg):      %.2f ms (%d runs)", MeanMs(n.timed_us),
                                static_cast<int>(n.timed_us.size())));
  if (!n.timed_us.empty()) {
    const auto [mn, mx] = std::minmax_element(n.timed_us.begin(), n.timed_us.end());
    const double mean = MeanMs(n.timed_us);
    double var = 0;
    for (int64_t v : n.timed_us) var += std::pow(static_cast<double>(v) / 1000.0 - mean, 2);
    out.push_back(absl::StrFormat("Inference (min):      %.2f ms", static_cast<double>(*mn) / 1000.0));
    out.push_back(absl::StrFormat("Inference (max):      %.2f ms", static_cast<double>(*mx) / 1000.0));
    out.push_back(absl::StrFormat("Inference (std):      %.2f", std::sqrt(var / static_cast<double>(n.timed_us.size()))));
  } else {
    out.push_back("No inference runs were performed.");
  }
  const double mean_ms = MeanMs(n.timed_us);
  if (mean_ms > 0) {
    // Input bytes per second; devsim takes the model's size as a stand-in for the inputs.
    out.push_back(absl::StrFormat("Throughput:           %.2f MB/s",
                                  static_cast<double>(cfg.model_size_bytes) / 1e6 / (mean_ms / 1000.0)));
  } else {
    out.push_back("No throughput data available (throughput <= 0).");
  }
  out.push_back("\nMemory Usage:");
  out.push_back(absl::StrFormat("Init footprint:       %.2f MB", n.mem_init_mb));
  out.push_back(absl::StrFormat("Overall footprint:    %.2f MB", n.mem_overall_mb));
  if (flags.Bool("report_peak_memory_footprint", false)) {
    out.push_back(absl::StrFormat("Peak memory:          %.2f MB", n.peak_mb));
  } else {
    out.push_back("Peak memory usage not available. (peak_mem_mb <= 0)");
  }
  out.push_back("======================================\n");
  return out;
}

// How much slower a run pinned to `mask` is than one free on every core: the fastest
// core it may use against the phone's fastest (max frequency).
double CpuMaskSlowdown(const PhoneProfile& profile, uint64_t mask) {
  if (mask == 0) return 1.0;
  int64_t phone_max = 0, mask_max = 0;
  for (const CpuCluster& c : profile.clusters) {
    phone_max = std::max<int64_t>(phone_max, c.max_khz);
    for (int cpu = c.first_cpu; cpu < c.first_cpu + c.count && cpu < 64; ++cpu) {
      if (mask & (uint64_t{1} << cpu)) mask_max = std::max<int64_t>(mask_max, c.max_khz);
    }
  }
  if (mask_max <= 0 || phone_max <= 0) return 1.0;
  return static_cast<double>(phone_max) / static_cast<double>(mask_max);
}

}  // namespace

void AddAppCrash(RunPlan& plan, absl::Duration at, absl::string_view cause, bool in_native_run,
                 std::function<void()> kill) {
  AddCrashAt(plan, at, plan.pid(), cause, in_native_run, std::move(kill));
}

PlannedEnd PlanBenchmarkRun(PhoneState& phone, RunPlan& plan, const std::optional<std::string>& args,
                            int run_number, uint64_t cpu_mask) {
  // Timeline: the run is spread over run_duration (D); warm-up ends ~35% in, the timed
  // phase near the end, summary and memory lines in the same millisecond.
  const absl::Duration d = std::max(phone.run_duration(), absl::Milliseconds(300));
  const absl::Duration t_activity = std::min(absl::Milliseconds(90), d * 0.05);
  const absl::Duration t_params = d * 0.10;
  const absl::Duration t_load = d * 0.11;
  const absl::Duration t_session = d * 0.14;
  const absl::Duration t_warm = d * 0.35;
  const absl::Duration t_end = d * 0.97;

  const int32_t pid = plan.pid();
  ProcessTable* procs = &phone.procs();
  auto kill = [procs, pid] { procs->Kill(pid); };
  const Fault fault = phone.fault();
  PlannedEnd end_state;
  end_state.hangs = fault == Fault::kHang && args.has_value();
  std::optional<InstalledPackage> pkg = phone.packages().Find(std::string(kBenchmarkPackage));

  if (!args.has_value()) {
    // getExtras() is null: onCreate throws before any benchmark line (fixture 06).
    AddCrashAt(plan, t_activity, pid,
             "java.lang.NullPointerException: Attempt to invoke virtual method "
             "'java.lang.String android.os.Bundle.getString(java.lang.String, "
             "java.lang.String)' on a null object reference",
             false, kill);
  } else {
    std::string app_args = *args;
    const bool litert = plan.flavor() == ToolFlavor::kLitert;
    ParsedFlags flags = ParseBenchmarkArgs(app_args, litert);
    if (!plan.native() && flags.Bool("use_hexagon", false) && pkg) {
      // The activity appends the native library dir when Hexagon is requested.
      absl::StrAppend(&app_args, " --hexagon_lib_path=", Vfs::Normalize(pkg->apk_path + "/.."),
                      "/lib/arm64");
      flags = ParseBenchmarkArgs(app_args);
    }
    PlannedBatch& start = plan.At(t_activity);
    if (plan.native()) {
      plan.Tflite(start, 'I', "STARTING!");  // the native main's first line
    } else {
      start.lines.push_back(
          PlannedLine{LogId::kMain, pid, pid, 'I', "tflite_BenchmarkModelActivity",
                      absl::StrCat("Running TensorFlow Lite benchmark with args: ", app_args)});
    }
    if (fault == Fault::kInvalidFlag && flags.parse_error.empty()) {
      // Make the first flag unparsable, as a typo in a pass-through flag would.
      flags.parse_error = "Failed to parse flag 'num_runs' against argv '--num_runs=fifty'";
    }
    PlannedBatch& params = plan.At(t_params);
    const std::string graph = flags.String("graph");
    auto E = [&](PlannedBatch& b, std::string m) { plan.Tflite(b, 'E', std::move(m)); };
    auto I = [&](PlannedBatch& b, std::string m) { plan.Tflite(b, 'I', std::move(m)); };
    // A native main ends a failed run with this line and EXIT_FAILURE; the APK just
    // stays (tflite-benchmark.md §2).
    auto failed = [&](PlannedBatch& b) {
      if (!plan.native()) return;
      E(b, "Benchmarking failed.");
      end_state.exit_status = 1;
    };
    if (!flags.parse_error.empty()) {
      E(params, flags.parse_error);
      E(params, UsageText());
      failed(params);
    } else if (flags.Bool("help", false)) {
      E(params, UsageText());
      failed(params);
    } else {
      if (!flags.unconsumed.empty()) {
        plan.Tflite(
            params, 'W',
            absl::StrCat("Unconsumed cmdline flags: ", absl::StrJoin(flags.unconsumed, " ")));
      }
      if (graph.empty()) {
        E(params, "Please specify the name of your TF Lite input file with --graph");
        failed(params);
      } else {
        for (std::string& l : ParamEchoLines(flags)) I(params, std::move(l));
        absl::StatusOr<std::shared_ptr<const std::string>> model = phone.fs().Read(graph);
        if (fault == Fault::kHang) {
          // Start line and parameters, then silence; the process stays alive.
        } else if (fault == Fault::kGraphMissing || !model.ok()) {
          E(params, absl::StrCat("Could not open '", graph, "'."));
          E(params, absl::StrCat("Failed to load model ", graph));
          failed(params);
          PlannedBatch& w = plan.At(t_params + absl::Milliseconds(9));
          w.epilogue = true;
          if (!plan.native()) w.lines.push_back(
              PlannedLine{LogId::kSystem, kPidSystemServer, 1468, 'W', "ActivityTaskManager",
                          "Activity top resumed state loss timeout for ActivityRecord{"
                          "8c1f2a0 u0 org.tensorflow.lite.benchmark/"
                          ".BenchmarkModelActivity t212 f}}"});
        } else if (fault == Fault::kBadModel || (*model)->size() < 8 ||
                   (*model)->compare(4, 4, "TFL3") != 0) {
          E(params, "The model is not a valid Flatbuffer buffer");
          E(params, absl::StrCat("Failed to load model ", graph));
          failed(params);
        } else if (litert && !LitertEnvironmentReady(phone, plan, params, flags)) {
          failed(params);
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
          perf.big_freq_factor = phone.thermal().big_freq_factor();
          perf.noise_cv = phone.knobs().noise_cv();
          perf.drift_factor = phone.knobs().DriftFactor(phone.SimUptimeS());
          perf.slowdown_factor = CpuMaskSlowdown(phone.profile(), cpu_mask);
          if (phone.knobs().HasSlowdowns()) {
            perf.slowdown_factor *= phone.knobs().SlowdownFactor(HexDigest(EVP_sha256(), **model));
          }
          // delegate-none: the delegate is created and applied but claims no node, so
          // the CPU runs the whole graph (and sets the times).
          const bool delegate_none = fault == Fault::kDelegateNone;
          RunConfig timed_cfg = cfg;
          if (delegate_none) timed_cfg.use_gpu = timed_cfg.use_nnapi = false;
          const RunNumbers n = ComputeRun(
              phone.profile(), RunSeed(phone.seed(), phone.profile(), run_number), perf, timed_cfg);
          if (flags.Bool("list_signatures", false)) {
            // The tool lists the keys and then stops with an error status on purpose.
            PlannedBatch& sig = plan.At(t_load);
            I(sig, absl::StrCat("Loaded model ", graph));
            I(sig, "The Model contains 1 signature key(s).");
            I(sig, "They are listed below: ");
            I(sig, "-> Signature Key: serving_default");
            failed(sig);
            return end_state;
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
            const std::string soc = phone.profile().soc_model;
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
          // The runtime's line for a delegate that took `nodes` of the graph's nodes.
          auto replacing = [&](const char* kernel, int nodes, int partitions) {
            I(dl, absl::StrFormat("Replacing %d out of %d node(s) with delegate (%s) node, yielding %d "
                                  "partitions for subgraph 0.",
                                  nodes, n.total_nodes, kernel, partitions));
          };
          // A delegate that claims nothing: TFLite's Subgraph::ReplaceNodeSubsetsWithDelegateKernels
          // returns early on an empty node set (no "Replacing" line, no delegate kernel), and
          // benchmark_tflite_model.cc says so (tensorflow/lite/tools/benchmark).
          auto took_nothing = [&](const char* name) {
            I(dl, absl::StrCat("Though ", name,
                               " delegate is explicitly applied, the model graph will not be "
                               "executed by the delegate."));
          };
          if (cfg.use_gpu && delegate_none) {
            I(dl, "Created TensorFlow Lite delegate for GPU.");
            created("GPU");
            took_nothing("GPU");
          } else if (cfg.use_gpu) {
            I(dl, "Created TensorFlow Lite delegate for GPU.");
            created("GPU");
            replacing("TfLiteGpuDelegateV2", n.total_nodes, 1);
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
            failed(dl);
            return end_state;
          }
          if (cfg.use_nnapi && delegate_none) {
            I(dl, "Created TensorFlow Lite delegate for NNAPI.");
            created("NNAPI");
            took_nothing("NNAPI");
          } else if (cfg.use_nnapi) {
            I(dl, "Created TensorFlow Lite delegate for NNAPI.");
            created("NNAPI");
            replacing("TfLiteNnapiDelegate", n.delegated_nodes, n.partitions);
            I(dl, absl::StrFormat("Explicitly applied NNAPI delegate, and the model graph will "
                                  "be partially executed by the delegate w/ %d delegate "
                                  "kernels.",
                                  n.partitions));
          }
          if (!cfg.use_gpu && !cfg.use_nnapi && cfg.use_xnnpack) {
            I(dl, "Created TensorFlow Lite XNNPACK delegate for CPU.");
            if (explicit_xnn) created("XNNPACK");
            if (delegate_none && explicit_xnn) {
              took_nothing("XNNPACK");
            } else if (!delegate_none) {
              replacing("TfLiteXNNPackDelegate", n.total_nodes, 1);
            }
            if (explicit_xnn && !delegate_none) {
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
          if (fault == Fault::kCrash && plan.native()) {
            // A native crash: the kernel's signal, libc's line in logcat, no more output.
            PlannedBatch& crash = plan.At(t_warm);
            crash.lines.push_back(PlannedLine{
                LogId::kCrash, pid, pid, 'F', "libc",
                absl::StrFormat("Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr "
                                "0x0 in tid %d (benchmark_model), pid %d (benchmark_model)",
                                pid, pid)});
            crash.dies_with = 128 + 11;
          } else if (fault == Fault::kCrash) {
            AddCrashAt(plan, t_warm, pid,
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
            if (plan.flavor() == ToolFlavor::kLitert) {
              for (std::string& m : LitertResultsBlock(n, cfg, flags)) plan.Litert(end, 'I', std::move(m));
            } else {
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
            }  // classic report
            if (flags.Bool("enable_op_profiling", false) &&
                flags.String("op_profiling_output_file").empty() &&
                flags.String("profiling_output_csv_file").empty()) {
              const std::string kernel = delegate_none     ? ""
                                         : cfg.use_gpu     ? "TfLiteGpuDelegateV2"
                                         : cfg.use_nnapi   ? "TfLiteNnapiDelegate"
                                         : cfg.use_xnnpack ? "TfLiteXNNPackDelegate"
                                                           : "";
              for (std::string& m : OpProfileMessages(
                       n, kernel, RunSeed(phone.seed(), phone.profile(), run_number))) {
                I(end, std::move(m));
              }
            }
            Battery* battery = &phone.battery();
            Thermal* thermal = &phone.thermal();
            const double load = cfg.use_gpu ? 0.6
                                : cfg.use_nnapi
                                    ? 0.5
                                    : std::min(1.0, std::max(1, cfg.num_threads) / 4.0 + 0.2);
            const double busy = n.busy_secs;
            // --result_file_path: the tool writes its result file as the run ends, before
            // its last log lines (result_file.h). The APK's app user can only write below
            // its data directory; elsewhere nothing is written and the log says nothing.
            std::string result_path = flags.String("result_file_path");
            if (!result_path.empty() && !plan.native()) {
              const std::string data_dir = pkg ? pkg->data_dir : AppDataDir(std::string(kBenchmarkPackage));
              if (!AppMayWrite(result_path, data_dir, std::string(kBenchmarkPackage))) {
                result_path.clear();
              } else {
                // /data/user/0/PKG is /data/data/PKG (one directory, two names).
                std::string norm = Vfs::Normalize(result_path);
                const std::string user_dir = absl::StrCat("/data/user/0/", kBenchmarkPackage);
                if (absl::StartsWith(norm, user_dir + "/")) norm = data_dir + norm.substr(user_dir.size());
                result_path = norm;
              }
            }
            std::string result_bytes;
            if (!result_path.empty()) {
              result_bytes = ToolResultFileBytes(n, cfg.model_size_bytes,
                                                 flags.Bool("report_peak_memory_footprint", false),
                                                 fault == Fault::kResultSkew ? 1.25 : 1.0);
            }
            Vfs* fs = &phone.fs();
            end.action = [battery, thermal, busy, load, fs, result_path = Vfs::Normalize(result_path),
                          result_bytes = std::move(result_bytes)] {
              thermal->Heat(busy, load);
              battery->Drain(busy, load);
              // std::ofstream does not make directories: a missing parent means no file.
              if (!result_bytes.empty()) (void)fs->Write(result_path, result_bytes, 0600);
            };
            PlannedBatch& after = plan.At(t_end + absl::Milliseconds(5));
            after.epilogue = true;
            if (!plan.native()) after.lines.push_back(PlannedLine{
                LogId::kMain, pid, pid, 'I', "Choreographer",
                absl::StrFormat("Skipped %d frames!  The application may be doing too much "
                                "work on its main thread.",
                                static_cast<int>(absl::ToDoubleMilliseconds(d) / 16.7))});
          }
        }
      }
    }
  }
  return end_state;
}

}  // namespace benchlab::devsim
