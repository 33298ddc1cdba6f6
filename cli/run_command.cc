// `benchlab run MODEL --apk APK ...`: hashes and uploads the model and the APK, submits a
// job, follows it (WatchJob) printing one line per run state change, then prints the
// results. With --detach it stops after the submit. Exit 4 when runs failed.
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/flags/tool_options.h"
#include "cli/artifact_upload.h"
#include "cli/commands.h"
#include "cli/device_selector.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/results_view.h"
#include "cli/tool_flags.h"
#include "common/sha256.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct RunFlags {
  LabOptions lab;
  std::string model;
  std::string apk;
  std::string devices = "all";
  std::string description;
  ToolOptions tool;
  int repeat = 1;
  int timeout_s = 0;
  int retries = 0;
  int cooldown_s = 0;
  int priority = 0;
  int queue_timeout_s = 0;
  // Gate (unset: the lab's defaults); see JobSpec.
  std::optional<double> max_battery_temp_c;
  std::optional<int> min_battery_pct;
  std::optional<int> min_idle_s;
  std::optional<int> max_thermal_status;
  std::optional<int> gate_timeout_s;
  std::string gate_policy;
  bool include_offline = false;
  std::vector<std::string> tool_flags;
  bool detach = false;
  bool json = false;
};

// A key that makes a retried SubmitJob return the same job instead of a second one.
std::string NewRequestId() {
  std::random_device rd;
  return absl::StrFormat("cli-%08x%08x%08x", rd(), rd(), rd());
}

absl::StatusOr<v1::JobSpec> BuildSpec(const RunFlags& f) {
  v1::JobSpec spec;
  spec.set_description(f.description);
  auto selector = ParseDeviceSelector(f.devices);
  if (!selector.ok()) return absl::InvalidArgumentError(absl::StrCat("--devices: ", selector.status().message()));
  *spec.mutable_selector() = *selector;
  spec.mutable_selector()->set_skip_offline(!f.include_offline);
  v1::BenchmarkFlags* flags = spec.mutable_flags();
  // The short options first, so an explicit --flag of the same name wins.
  ApplyToolOptions(f.tool, flags);
  for (const auto& arg : f.tool_flags) {
    if (auto st = ParseFlagArg(arg, flags); !st.ok()) return st;
  }
  spec.set_repeats(f.repeat);
  spec.set_timeout_s(f.timeout_s);
  spec.set_retries(f.retries);
  spec.set_cooldown_s(f.cooldown_s);
  spec.set_priority(f.priority);
  spec.set_queue_timeout_s(f.queue_timeout_s);
  if (f.max_battery_temp_c) spec.set_max_battery_temp_c(*f.max_battery_temp_c);
  if (f.min_battery_pct) spec.set_min_battery_pct(*f.min_battery_pct);
  if (f.min_idle_s) spec.set_min_idle_s(*f.min_idle_s);
  if (f.max_thermal_status) spec.set_max_thermal_status(*f.max_thermal_status);
  if (f.gate_timeout_s) spec.set_gate_timeout_s(*f.gate_timeout_s);
  if (f.gate_policy == "proceed") spec.set_gate_policy(v1::GATE_POLICY_PROCEED);
  if (f.gate_policy == "fail") spec.set_gate_policy(v1::GATE_POLICY_FAIL);
  return spec;
}

// "30 min", "2 h", "45 s": how long runs wait for an offline phone.
std::string FormatWait(int seconds) {
  if (seconds >= 3600 && seconds % 3600 == 0) return absl::StrCat(seconds / 3600, " h");
  if (seconds >= 60 && seconds % 60 == 0) return absl::StrCat(seconds / 60, " min");
  return absl::StrCat(seconds, " s");
}

// Tells the submitter which selected phones are offline and how long their runs wait.
void ReportOfflinePhones(const v1::SubmitJobResponse& submitted, std::ostream& err) {
  const int offline = submitted.offline_device_ids_size();
  if (offline == 0) return;
  const int wait_s = submitted.job().spec().queue_timeout_s();
  err << "benchlab run: " << offline << " of " << submitted.job().device_ids_size() << " phones are offline ("
      << absl::StrJoin(submitted.offline_device_ids(), ", ") << "); their runs wait "
      << (wait_s > 0 ? absl::StrCat("up to ", FormatWait(wait_s)) : std::string("until they come back")) << "\n";
}

// How long `run` keeps trying to follow a job whose coordinator went away (a restart keeps
// jobs, so following can resume where it was).
constexpr absl::Duration kReconnectFor = absl::Seconds(60);

// Follows the job until every run is final, printing each run's state changes (to `out`).
// When the stream breaks (UNAVAILABLE, or CANCELLED by a stopping server) after it had worked, re-watches for up to
// kReconnectFor; the snapshot that opens each watch fills in what was missed.
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
      *err << "benchlab run: lost the coordinator (" << EscapeForTerminal(st.error_message()) << "); retrying for up to "
           << absl::FormatDuration(kReconnectFor) << "\n";
    }
    if (absl::Now() >= give_up) return st;
    absl::SleepFor(absl::Milliseconds(500));  // the channel redials on its own; this paces the re-watch
  }
}

int RunRun(const RunFlags& f, const CliIo& io) {
  auto spec = BuildSpec(f);
  if (!spec.ok()) return ReportUsageError("run", spec.status().message(), io);
  auto model = Sha256File(f.model);
  if (!model.ok()) return ReportUsageError("run", absl::StrCat("model: ", model.status().message()), io);
  auto apk = Sha256File(f.apk);
  if (!apk.ok()) return ReportUsageError("run", absl::StrCat("--apk: ", apk.status().message()), io);
  auto conn = LabConnection::Open(f.lab);
  if (!conn.ok()) return ReportUsageError("run", conn.status().message(), io);

  // People see progress on stdout; with --json stdout holds only the JSON document.
  std::ostream* progress = f.json ? nullptr : io.out;
  struct Upload {
    const std::string& path;
    const FileDigest& digest;
    v1::ArtifactKind kind;
    std::string* sha256;
  };
  for (const Upload& u : {Upload{f.model, *model, v1::ARTIFACT_KIND_MODEL, spec->mutable_model_sha256()},
                          Upload{f.apk, *apk, v1::ARTIFACT_KIND_APK, spec->mutable_apk_sha256()}}) {
    v1::UploadArtifactResponse resp;
    grpc::Status st = UploadArtifactFile(**conn, u.path, u.digest, u.kind, &resp);
    if (!st.ok()) return ReportRpcError(st, "run", absl::StrCat("uploading ", u.path), f.lab, io);
    *u.sha256 = resp.artifact().sha256();
    if (progress != nullptr) {
      *progress << (resp.deduplicated() ? "already on the coordinator: " : "uploaded: ") << u.path << " ("
                << u.digest.size_bytes << " bytes, sha256 " << resp.artifact().sha256().substr(0, 12) << ")\n";
    }
  }

  v1::SubmitJobRequest submit;
  *submit.mutable_spec() = *spec;
  submit.set_request_id(NewRequestId());
  v1::SubmitJobResponse submitted;
  {
    grpc::ClientContext ctx;
    (*conn)->PrepareUnary(&ctx);
    grpc::Status st = (*conn)->lab()->SubmitJob(&ctx, submit, &submitted);
    if (!st.ok()) return ReportRpcError(st, "run", "submitting the job", f.lab, io);
  }
  const v1::Job& job = submitted.job();
  ReportOfflinePhones(submitted, *io.err);
  if (f.detach) {
    if (f.json) {
      *io.out << ToJson(submitted) << "\n";
    } else {
      *io.out << "submitted job " << job.job_id() << ": " << job.runs_total() << " runs on " << job.device_ids_size()
              << " devices\n  follow: benchlab job " << job.job_id() << "   results: benchlab results "
              << job.job_id() << "\n";
    }
    return kExitOk;
  }
  if (progress != nullptr) {
    *progress << "submitted job " << job.job_id() << ": " << job.runs_total() << " runs on " << job.device_ids_size()
              << " devices (Ctrl-C stops watching; the job keeps running)\n"
              << std::flush;
  }
  if (grpc::Status st = FollowJob(**conn, job.job_id(), progress, io.err); !st.ok()) {
    return ReportRpcError(st, "run", absl::StrCat("following job ", job.job_id()), f.lab, io);
  }

  v1::GetResultsRequest req;
  req.set_job_id(job.job_id());
  v1::GetResultsResponse results;
  grpc::Status st = ReadAllResults(**conn, req, &results);
  if (!st.ok()) return ReportRpcError(st, "run", absl::StrCat("reading results of ", job.job_id()), f.lab, io);
  if (f.json) {
    *io.out << ToJson(results) << "\n";
  } else {
    *io.out << "\n" << FormatResults(results);
  }
  int unfinished = results.job().runs_failed() + results.job().runs_cancelled();
  if (unfinished > 0) {
    *io.err << "benchlab run: job " << job.job_id() << ": " << results.job().runs_failed() << " failed and "
            << results.job().runs_cancelled() << " cancelled of " << results.job().runs_total() << " runs\n";
    return kExitRunsFailed;
  }
  return kExitOk;
}

}  // namespace

void RegisterRunCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "Upload a model and the benchmark APK, run them on lab phones, "
                                            "follow the job and print its results");
  cmd->add_option("model", f->model, "the .tflite model")->required();
  cmd->add_option("--apk", f->apk, "the benchmark APK (e.g. android_aarch64_benchmark_model.apk)")->required();
  cmd->add_option("--devices", f->devices,
                  "where: comma list of all, agent:NAME, KEY=VALUE (model=Pixel 7, soc=...), device ids "
                  "(<agent>/<serial>) or bare serials; kinds combine with AND")
      ->capture_default_str();
  cmd->add_option("--description", f->description, "free text shown with the job");
  const char* tool = "Benchmark tool";
  AddToolOptions(cmd, &f->tool, tool);
  cmd->add_option("--flag", f->tool_flags,
                  "any tool flag as --name=value (repeatable), e.g. --flag --max_secs=20; typed ones "
                  "(num_threads, use_gpu, ...) are checked here, the rest by the coordinator")
      ->allow_extra_args(false)  // one value per --flag, so a following MODEL stays positional
      ->group(tool);
  const char* job = "Job";
  cmd->add_option("--repeat", f->repeat, "runs per device (1-1000)")->capture_default_str()->group(job);
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
  cmd->add_flag("--detach", f->detach, "print the job id and exit after submitting");
  cmd->add_flag("--json", f->json,
                "print only JSON: the results (GetResultsResponse), or with --detach the SubmitJobResponse");
  AddLabOptions(cmd, &f->lab);
  cmd->footer("Exit codes: 0 every run done, 4 some runs failed or were cancelled, 5 refused by the\n"
              "coordinator (token, role, invalid flags), 3 coordinator unreachable, 2 usage error.");
  cmd->callback([f, io, exit_code] { *exit_code = RunRun(*f, io); });
}

}  // namespace benchlab::cli
