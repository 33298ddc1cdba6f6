// Shared by `run` and `ab`: job options, upload, submit, follow, variant verdicts; see
// job_submit.h.
#include "cli/job_submit.h"

#include <filesystem>
#include <random>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/artifact_upload.h"
#include "cli/compare_view.h"
#include "cli/device_selector.h"
#include "cli/lab_format.h"
#include "common/flags/cpu_set.h"
#include "common/flags/benchmark_flags.h"
#include "common/flags/tool_files.h"
#include "common/flags/tool_flag_table.h"
#include "common/flags/tool_kind.h"
#include "common/sha256.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

// A key that makes a retried SubmitJob return the same job instead of a second one.
std::string NewRequestId() {
  std::random_device rd;
  return absl::StrFormat("cli-%08x%08x%08x", rd(), rd(), rd());
}

// "30 min", "2 h", "45 s": how long runs wait for an offline phone.
std::string FormatWait(int seconds) {
  if (seconds >= 3600 && seconds % 3600 == 0) return absl::StrCat(seconds / 3600, " h");
  if (seconds >= 60 && seconds % 60 == 0) return absl::StrCat(seconds / 60, " min");
  return absl::StrCat(seconds, " s");
}

// Tells the submitter which selected phones are offline and how long their runs wait.
void ReportOfflinePhones(const std::string& command, const v1::SubmitJobResponse& submitted, std::ostream& err) {
  const int offline = submitted.offline_device_ids_size();
  if (offline == 0) return;
  const int wait_s = submitted.job().spec().queue_timeout_s();
  err << "benchlab " << command << ": " << offline << " of " << submitted.job().device_ids_size()
      << " phones are offline (" << absl::StrJoin(submitted.offline_device_ids(), ", ") << "); their runs wait "
      << (wait_s > 0 ? absl::StrCat("up to ", FormatWait(wait_s)) : std::string("until they come back")) << "\n";
}

// How long following keeps trying when the coordinator went away.
constexpr absl::Duration kReconnectFor = absl::Seconds(60);

}  // namespace

void AddJobOptions(CLI::App* cmd, JobFlags* f) {
  cmd->add_option("--apk", f->apk, "the benchmark APK (e.g. android_aarch64_benchmark_model.apk); --tool apk");
  cmd->add_option("--tool", f->tool_kind,
                  "which benchmark tool: apk (the APK's activity, default), native (the benchmark_model "
                  "binary, --binary) or litert (LiteRT's CompiledModel benchmark_model, --binary)")
      ->check(CLI::IsMember({"apk", "native", "litert"}))
      ->capture_default_str();
  cmd->add_option("--binary", f->binary, "the tool's executable for --tool native|litert (pushed to the phone)");
  cmd->add_option("--cpus", f->cpus,
                  "run the native tool on these CPUs (taskset), resolved per phone: big (cores of the highest "
                  "max frequency), little (of the lowest), all, or a hex mask 0xMASK (bit N = cpuN); "
                  "--tool native|litert only");
  cmd->add_option("--dispatch-library", f->dispatch_library,
                  "--tool litert: the NPU's dispatch library (libLiteRtDispatch*.so); pushed next to the binary, "
                  "the tool gets --dispatch_library_path=<its directory on the phone>");
  cmd->add_option("--compiler-plugin", f->compiler_plugin,
                  "--tool litert: the compiler plugin (libLiteRtCompilerPlugin*.so) for JIT compilation; pushed "
                  "next to the binary, the tool gets --compiler_plugin_library_path=<its directory>");
  cmd->add_flag("--result-file,!--no-result-file", f->result_file,
                "have the tool write its BenchmarkResult file (--result_file_path) and take each run's "
                "numbers from it, checked against the log (on by default; --no-result-file or "
                "--result-file=false: the log's numbers only)");
  cmd->add_option("--devices", f->devices,
                  "where: comma list of all, agent:NAME, KEY=VALUE (model=Pixel 7, soc=...), device ids "
                  "(<agent>/<serial>) or bare serials; kinds combine with AND")
      ->capture_default_str();
  cmd->add_option("--description", f->description, "free text shown with the job");
  const char* tool = "Benchmark tool";
  AddToolOptions(cmd, &f->tool, tool);
  cmd->add_option("--flag", f->tool_flags,
                  "any tool flag as --name=value (repeatable), e.g. --flag --max_secs=20; checked against "
                  "the --tool's flags (a flag of another tool is refused) and the shell-safe characters")
      ->allow_extra_args(false)  // one value per --flag, so a following MODEL stays positional
      ->group(tool);
  const char* job = "Job";
  cmd->add_option("--repeat", f->repeat, "runs per device (1-1000; per variant in A/B jobs)")
      ->capture_default_str()
      ->group(job);
  cmd->add_option("--timeout", f->timeout_s, "per-run deadline in seconds (0 = coordinator default, 600)")
      ->group(job);
  cmd->add_option("--retries", f->retries, "extra attempts after a retryable failure (0-10)")->group(job);
  cmd->add_option("--cooldown", f->cooldown_s, "pause on a phone after each run, seconds")->group(job);
  cmd->add_option("--priority", f->priority, "-100..100; higher runs first")->group(job);
  cmd->add_option("--queue-timeout", f->queue_timeout_s,
                  "seconds a run waits for its phone while the phone is offline, then fails queue_timed_out "
                  "(0 = coordinator default, 1800)")
      ->check(CLI::Range(0, 7 * 86400))
      ->group(job);
  cmd->add_flag("--until-decided", f->until_decided,
                "A/B jobs: add ABBA blocks on a phone while its verdict is inconclusive, up to --max-repeats")
      ->group(job);
  cmd->add_option("--max-repeats", f->max_repeats,
                  "with --until-decided: at most N runs per variant and phone (default 30)")
      ->check(CLI::Range(1, 1000))
      ->group(job);
  const char* gate = "Run conditions (a phone waits, shown as cooling, until it meets them; unset: the lab's defaults, 0: off)";
  cmd->add_option("--max-battery-temp", f->max_battery_temp_c, "battery temperature at most C degrees Celsius")
      ->check(CLI::Range(0.0, 100.0))
      ->group(gate);
  cmd->add_option("--min-battery", f->min_battery_pct, "battery at least PCT percent, unless charging")
      ->check(CLI::Range(0, 100))
      ->group(gate);
  cmd->add_option("--min-idle", f->min_idle_s, "seconds since the phone's last run (any job)")
      ->check(CLI::Range(0, 86400))
      ->group(gate);
  cmd->add_option("--max-thermal-status", f->max_thermal_status,
                  "Android thermal status at most N (1 light, 2 moderate, 3 severe, ...; Android 10+)")
      ->check(CLI::Range(0, 6))
      ->group(gate);
  cmd->add_option("--gate-timeout", f->gate_timeout_s, "seconds a run waits at the gate, then --gate-policy")
      ->check(CLI::Range(0, 86400))
      ->group(gate);
  cmd->add_option("--gate-policy", f->gate_policy,
                  "past --gate-timeout: proceed (the run starts, marked conditions_not_met) or fail")
      ->check(CLI::IsMember({"proceed", "fail"}))
      ->group(gate);
  cmd->add_flag("--include-offline", f->include_offline,
                "also select phones that are offline now; their runs wait for them (see --queue-timeout)")
      ->group(job);
  AddLabOptions(cmd, &f->lab);
}

int UploadToolFiles(const LabConnection& conn, const std::string& command, const JobFlags& f,
                    std::ostream* progress, const CliIo& io, v1::JobSpec* spec) {
  // BuildSpec added one entry per file given, in this order.
  int i = 0;
  for (const std::string* path : {&f.dispatch_library, &f.compiler_plugin}) {
    if (path->empty()) continue;
    if (int rc = UploadPath(conn, command, *path, v1::ARTIFACT_KIND_TOOL_LIBRARY, f.lab, progress, io,
                            spec->mutable_tool_files(i++)->mutable_sha256());
        rc != kExitOk) {
      return rc;
    }
  }
  return kExitOk;
}

absl::StatusOr<v1::JobSpec> BuildSpec(const JobFlags& f) {
  v1::JobSpec spec;
  spec.set_description(f.description);
  auto tool = ParseToolKind(f.tool_kind);
  if (!tool.ok()) return absl::InvalidArgumentError(absl::StrCat("--tool: ", tool.status().message()));
  if (IsNativeTool(*tool)) {
    if (f.binary.empty()) return absl::InvalidArgumentError(absl::StrCat("--tool ", f.tool_kind, " needs --binary FILE"));
    if (!f.apk.empty()) return absl::InvalidArgumentError(absl::StrCat("--tool ", f.tool_kind, " runs --binary; drop --apk"));
    spec.set_tool(*tool);
  } else {
    if (f.apk.empty()) return absl::InvalidArgumentError("--apk APK is required (or --tool native|litert --binary FILE)");
    if (!f.binary.empty()) return absl::InvalidArgumentError("--binary is for --tool native or litert");
  }
  spec.set_cpus(f.cpus);
  if (auto st = CheckJobCpus(spec); !st.ok()) return absl::InvalidArgumentError(absl::StrCat("--", st.message()));
  // Tool files: LiteRT's, named as LiteRT looks them up (common/flags/tool_files.h).
  for (const auto& [path, flag, option] :
       {std::tuple{f.dispatch_library, "dispatch_library_path", "--dispatch-library"},
        std::tuple{f.compiler_plugin, "compiler_plugin_library_path", "--compiler-plugin"}}) {
    if (path.empty()) continue;
    if (spec.tool() != v1::TOOL_KIND_LITERT) {
      return absl::InvalidArgumentError(absl::StrCat(option, " is for --tool litert"));
    }
    if (auto st = CheckToolFileName(flag, std::filesystem::path(path).filename().string()); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(option, ": ", st.message()));
    }
    v1::ToolFile* tf = spec.add_tool_files();
    tf->set_flag(flag);
  }
  spec.set_result_file(f.result_file);
  auto selector = ParseDeviceSelector(f.devices);
  if (!selector.ok()) return absl::InvalidArgumentError(absl::StrCat("--devices: ", selector.status().message()));
  *spec.mutable_selector() = *selector;
  spec.mutable_selector()->set_skip_offline(!f.include_offline);
  v1::BenchmarkFlags* flags = spec.mutable_flags();
  // The short options first, so an explicit --flag of the same name wins.
  ApplyToolOptions(f.tool, flags);
  for (const auto& arg : f.tool_flags) {
    if (auto st = ParseToolFlag(arg, flags); !st.ok()) return st;
  }
  // The flag tables (common/flags/tool_flag_table.h): a flag of another tool is a usage error.
  if (auto st = CheckFlagsForTool(spec.tool(), *flags); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tool ", f.tool_kind, ": ", st.message()));
  }
  for (const v1::ToolFile& tf : spec.tool_files()) {
    for (const v1::ExtraFlag& e : flags->extra()) {
      if (e.name() == tf.flag()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--flag --", tf.flag(), ": benchlab sets it to where it pushes the library; give the file only"));
      }
    }
  }
  spec.set_repeats(f.repeat);
  spec.set_timeout_s(f.timeout_s);
  spec.set_retries(f.retries);
  spec.set_cooldown_s(f.cooldown_s);
  spec.set_priority(f.priority);
  spec.set_queue_timeout_s(f.queue_timeout_s);
  spec.set_until_decided(f.until_decided);
  spec.set_max_repeats(f.max_repeats);
  if (f.max_battery_temp_c) spec.set_max_battery_temp_c(*f.max_battery_temp_c);
  if (f.min_battery_pct) spec.set_min_battery_pct(*f.min_battery_pct);
  if (f.min_idle_s) spec.set_min_idle_s(*f.min_idle_s);
  if (f.max_thermal_status) spec.set_max_thermal_status(*f.max_thermal_status);
  if (f.gate_timeout_s) spec.set_gate_timeout_s(*f.gate_timeout_s);
  if (f.gate_policy == "proceed") spec.set_gate_policy(v1::GATE_POLICY_PROCEED);
  if (f.gate_policy == "fail") spec.set_gate_policy(v1::GATE_POLICY_FAIL);
  return spec;
}

int UploadPath(const LabConnection& conn, const std::string& command, const std::string& path,
               v1::ArtifactKind kind, const LabOptions& lab, std::ostream* progress, const CliIo& io,
               std::string* sha256) {
  auto digest = Sha256File(path);
  if (!digest.ok()) return ReportUsageError(command, absl::StrCat(path, ": ", digest.status().message()), io);
  v1::UploadArtifactResponse resp;
  grpc::Status st = UploadArtifactFile(conn, path, *digest, kind, &resp);
  if (!st.ok()) return ReportRpcError(st, command, absl::StrCat("uploading ", path), lab, io);
  *sha256 = resp.artifact().sha256();
  if (progress != nullptr) {
    *progress << (resp.deduplicated() ? "already on the coordinator: " : "uploaded: ") << EscapeForTerminal(path)
              << " (" << digest->size_bytes << " bytes, sha256 " << resp.artifact().sha256().substr(0, 12) << ")\n";
  }
  return kExitOk;
}

int SubmitSpec(const LabConnection& conn, const std::string& command, const v1::JobSpec& spec,
               const LabOptions& lab, const CliIo& io, v1::SubmitJobResponse* submitted) {
  v1::SubmitJobRequest submit;
  *submit.mutable_spec() = spec;
  submit.set_request_id(NewRequestId());
  grpc::ClientContext ctx;
  conn.PrepareUnary(&ctx);
  grpc::Status st = conn.lab()->SubmitJob(&ctx, submit, submitted);
  if (!st.ok()) return ReportRpcError(st, command, "submitting the job", lab, io);
  ReportOfflinePhones(command, *submitted, *io.err);
  return kExitOk;
}

grpc::Status FollowJob(const LabConnection& conn, const std::string& job_id, std::ostream* out, std::ostream* err) {
  absl::flat_hash_map<std::string, std::pair<v1::RunState, int>> seen;  // run -> state, attempt
  bool ever_read = false;
  absl::Time give_up = absl::InfiniteFuture();
  while (true) {
    grpc::ClientContext ctx;
    conn.PrepareStream(&ctx);  // as long as the job takes; Ctrl-C stops watching, not the job
    v1::WatchJobRequest req;
    req.set_job_id(job_id);
    auto stream = conn.lab()->WatchJob(&ctx, req);
    v1::WatchJobResponse msg;
    while (stream->Read(&msg)) {
      ever_read = true;
      give_up = absl::InfiniteFuture();
      for (const auto& run : msg.runs()) {
        auto now = std::make_pair(run.state(), run.attempt());
        auto it = seen.find(run.run_id());
        if (it != seen.end() && it->second == now) continue;
        seen[run.run_id()] = now;
        if (out != nullptr) *out << FormatRunProgress(run) << "\n" << std::flush;
      }
    }
    grpc::Status st = stream->Finish();
    // CANCELLED here comes from the server going down (this client never cancels the watch).
    bool server_gone =
        st.error_code() == grpc::StatusCode::UNAVAILABLE || st.error_code() == grpc::StatusCode::CANCELLED;
    if (st.ok() || !server_gone || !ever_read) return st;
    if (give_up == absl::InfiniteFuture()) {
      give_up = absl::Now() + kReconnectFor;
      *err << "benchlab: lost the coordinator (" << EscapeForTerminal(st.error_message()) << "); retrying for up to "
           << absl::FormatDuration(kReconnectFor) << "\n";
    }
    if (absl::Now() >= give_up) return st;
    absl::SleepFor(absl::Milliseconds(500));  // the channel redials on its own; this paces the re-watch
  }
}

int CompareVariantJob(const LabConnection& conn, const std::string& command, const std::string& job_id,
                      double threshold_pct, const LabOptions& lab, const CliIo& io, v1::CompareJobsResponse* resp) {
  v1::CompareJobsRequest req;
  req.set_variant_job_id(job_id);
  req.set_threshold_pct(threshold_pct);
  grpc::ClientContext ctx;
  conn.PrepareUnary(&ctx);
  grpc::Status st = conn.lab()->CompareJobs(&ctx, req, resp);
  if (!st.ok()) return ReportRpcError(st, command, absl::StrCat("comparing the variants of ", job_id), lab, io);
  return kExitOk;
}

std::string RenderVariantVerdicts(const v1::JobSpec& spec, const v1::CompareJobsResponse& resp) {
  std::string out;
  for (int i = 0; i < spec.variants_size() && i < 2; ++i) {
    const v1::Variant& v = spec.variants(i);
    absl::StrAppend(&out, i == 0 ? "A (baseline): " : "B (candidate): ", EscapeForTerminal(v.label()), " (sha256 ",
                    v.model_sha256().substr(0, 12), ")\n");
  }
  absl::StrAppend(&out, "change = B vs A, runs interleaved ABBA on each phone\n", RenderComparison(resp));
  return out;
}

int ReportVariantJob(const LabConnection& conn, const std::string& command, const std::string& job_id,
                     double threshold_pct, bool json, const std::string& fail_on, const LabOptions& lab,
                     const CliIo& io) {
  v1::GetJobRequest jreq;
  jreq.set_job_id(job_id);
  v1::GetJobResponse job;
  {
    grpc::ClientContext ctx;
    conn.PrepareUnary(&ctx);
    grpc::Status st = conn.lab()->GetJob(&ctx, jreq, &job);
    if (!st.ok()) return ReportRpcError(st, command, absl::StrCat("reading job ", job_id), lab, io);
  }
  v1::CompareJobsResponse resp;
  if (int rc = CompareVariantJob(conn, command, job_id, threshold_pct, lab, io, &resp); rc != kExitOk) return rc;
  if (json) {
    *io.out << ToJson(resp) << "\n";
  } else {
    *io.out << "\njob " << job_id << ": " << job.job().runs_done() << " runs done\n"
            << RenderVariantVerdicts(job.job().spec(), resp);
  }
  if (!fail_on.empty() && AnyVerdict(resp, fail_on)) {
    *io.err << "benchlab " << command << ": a phone's verdict is " << fail_on << " (--fail-on " << fail_on
            << "): exit " << kExitVerdict << "\n";
    return kExitVerdict;
  }
  const v1::Job& j = job.job();
  if (j.runs_failed() + j.runs_cancelled() > 0) {
    *io.err << "benchlab " << command << ": job " << job_id << ": " << j.runs_failed() << " failed and "
            << j.runs_cancelled() << " cancelled of " << j.runs_total() << " runs\n";
    return kExitRunsFailed;
  }
  return kExitOk;
}

}  // namespace benchlab::cli
