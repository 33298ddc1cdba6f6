// The run: install (skipped when the phone's hash of the installed APK matches), push
// (skipped by size), am start, logcat -> parser until the result / an error / process
// death / the deadline, force-stop, cooldown.
#include "agent/run/benchmark_runner.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/run/device_info.h"
#include "agent/run/metrics_proto.h"
#include "agent/run/runner_steps.h"
#include "agent/run/phone_clock.h"
#include "agent/run/phone_tools.h"
#include "agent/run/run_conditions.h"
#include "common/flags/benchmark_flags.h"
#include "common/flags/tool_kind.h"
#include "common/logcat_line.h"
#include "common/shell_quote.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

// Raw-log batches: a full batch goes out at once, a partial one when this old.
constexpr size_t kLogBatchLines = 64;
constexpr absl::Duration kLogBatchAge = absl::Milliseconds(200);
constexpr absl::Duration kCooldownPoll = absl::Seconds(2);
// Between two liveness probes after a failed step.
constexpr absl::Duration kLivenessPause = absl::Milliseconds(500);

// Tail of a capture kept for a timeout's evidence.
constexpr size_t kTailLines = 20;

void Fail(RunOutcome* out, v1::ErrorClass error, std::string message) { FailRun(out, error, std::move(message)); }

// What the tool's error lines say, for a one-sentence message.
std::string FirstEvidence(const std::vector<std::string>& lines) {
  if (lines.empty()) return "";
  LogcatLine l;
  if (ParseLogcatLine(lines.front(), &l) && !l.message.empty()) return std::string(l.message);
  return lines.front();
}

}  // namespace

// How long the tool may stay silent after its figures while an op profile is unfinished
// before the profile is taken as cut off by logcat (it prints the whole table at once).
constexpr absl::Duration kProfileGrace = absl::Seconds(3);

// Shared between Run()'s thread and the logcat thread; guarded by mu.
struct BenchmarkRunner::Watch {
  absl::Mutex mu;
  BenchmarkParser parser ABSL_GUARDED_BY(mu);
  int phases_reported ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::string> pending_lines ABSL_GUARDED_BY(mu);
  absl::Time pending_since ABSL_GUARDED_BY(mu);
  std::vector<std::string> tail ABSL_GUARDED_BY(mu);  // ring of the last kTailLines kept lines
  bool logcat_ended ABSL_GUARDED_BY(mu) = false;
  absl::Status logcat_status ABSL_GUARDED_BY(mu);
  int64_t lines_seen ABSL_GUARDED_BY(mu) = 0;
  absl::Time last_line ABSL_GUARDED_BY(mu) = absl::Now();  // the tool's last line
  // What logcat itself said (lines that are no log entry): why a stream ended early.
  std::vector<std::string> logcat_said ABSL_GUARDED_BY(mu);
};

std::string BenchmarkRunner::RemoteModelPath(const std::string& model_sha256) {
  return absl::StrCat(kRemoteModelDir, "/", model_sha256, ".tflite");
}

std::string BenchmarkRunner::StartCommand(const std::string& remote_model,
                                          const std::vector<std::string>& args) {
  std::vector<std::string> tool_args = {absl::StrCat("--graph=", remote_model)};
  tool_args.insert(tool_args.end(), args.begin(), args.end());
  // `am start --es args <one word>`: the app splits the string on spaces itself. Every
  // element passed CheckToolArg (no spaces, no quotes), and ShellQuote makes the whole
  // string one word whatever it holds.
  return absl::StrCat("am start -S -n ", ShellQuote(absl::StrCat(kBenchmarkPackage, "/",
                                                                 kBenchmarkActivity)),
                      " --es args ", ShellQuote(absl::StrJoin(tool_args, " ")));
}

void BenchmarkRunner::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (logcat_cancel_ != nullptr) logcat_cancel_->Cancel();
}

bool BenchmarkRunner::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool BenchmarkRunner::SleepUnlessCancelled(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&cancelled_), d);
}

void BenchmarkRunner::ClassifyAdbFailure(const absl::Status& status, const RunRequest& request,
                                         absl::Time deadline, v1::ErrorClass step_error,
                                         absl::string_view what, RunOutcome* out) {
  if (cancelled()) {
    out->state = v1::RUN_STATE_CANCELLED;
    out->error_message = "cancelled";
    return;
  }
  out->evidence.push_back(std::string(status.message()));
  const absl::Time check = absl::Now() + kShortCall;
  if (!adb_->ServerVersion(check).ok()) {
    Fail(out, v1::ERROR_CLASS_ADB_UNAVAILABLE,
         absl::StrCat(what, ": the host's adb server is unreachable (", status.message(),
                      ") — check `adb start-server` on the agent's host"));
    return;
  }
  auto state = adb_->GetState(request.serial, check);
  if (!state.ok() || *state != "device") {
    Fail(out, v1::ERROR_CLASS_DEVICE_LOST,
         absl::StrCat(what, ": phone ", request.serial, " went away (",
                      state.ok() ? *state : std::string(state.status().message()), ")"));
    return;
  }
  // A cut stream usually means the cable came out, yet adb may list the phone as
  // "device" until it notices. Round trips through its shell, one now and one a moment
  // later, are the real test.
  for (int probe = 0; probe < 2; ++probe) {
    if (probe > 0 && SleepUnlessCancelled(kLivenessPause)) break;
    auto alive = adb_->Shell(request.serial, "echo alive", absl::Now() + kShortCall);
    if (!alive.ok() || alive->stdout_data.find("alive") == std::string::npos) {
      Fail(out, v1::ERROR_CLASS_DEVICE_LOST,
           absl::StrCat(what, ": phone ", request.serial, " stopped answering (",
                        alive.ok() ? "no echo" : std::string(alive.status().message()), ")"));
      return;
    }
  }
  if (absl::Now() >= deadline) {
    Fail(out, v1::ERROR_CLASS_TIMED_OUT,
         absl::StrCat(what, ": the run's timeout of ", absl::FormatDuration(request.timeout),
                      " passed"));
    return;
  }
  Fail(out, step_error, absl::StrCat(what, ": ", status.message()));
}

absl::Status BenchmarkRunner::EnsureApk(const RunRequest& request, absl::Time deadline,
                                        RunOutcome* out) {
  const absl::Time t0 = absl::Now();
  // Same APK already there? `pm path` names the installed file; its hash decides.
  auto path = adb_->Shell(request.serial,
                          absl::StrCat("pm path ", ShellQuote(kBenchmarkPackage)), deadline);
  if (!path.ok()) return path.status();
  std::string installed;
  for (absl::string_view line : absl::StrSplit(path->stdout_data, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "package:")) {
      installed = std::string(line);
      break;
    }
  }
  // What the phone's release has (phone_tools.h): its hash tool (no sha256sum before 8.0)
  // and whether pm takes -g (6.0+).
  auto tools = PhoneToolsFor(*adb_, request.serial, deadline);
  if (!tools.ok()) return tools.status();
  if (!installed.empty() && !request.apk_sha256.empty()) {
    auto same = PhoneFileMatches(*adb_, request.serial, *tools, installed, request.apk_path,
                                 request.apk_sha256, deadline);
    if (!same.ok()) return same.status();
    if (*same) {
      out->timings.install_skipped = true;
      out->timings.install = absl::Now() - t0;
      return absl::OkStatus();
    }
  }
  // A cancelled attempt never installs: a replaced package kills whatever app of it runs.
  if (cancelled()) return absl::CancelledError("cancelled before installing");
  absl::Status s =
      adb_->Install(request.serial, request.apk_path, deadline, InstallArgsFor(*tools));
  out->timings.install = absl::Now() - t0;
  return s;
}

absl::Status BenchmarkRunner::EnsureModel(const RunRequest& request, absl::Time deadline,
                                          RunOutcome* out) {
  const absl::Time t0 = absl::Now();
  const std::string remote = RemoteModelPath(request.model_sha256);
  auto stat = adb_->Stat(request.serial, remote, deadline);
  if (!stat.ok()) return stat.status();
  // Named by hash, so the right size means the right file (a cut push leaves it short).
  if (stat->exists && stat->size_bytes == request.model_size_bytes) {
    out->timings.push_skipped = true;
    out->timings.push = absl::Now() - t0;
    return absl::OkStatus();
  }
  if (cancelled()) return absl::CancelledError("cancelled before pushing");
  auto mkdir = adb_->Shell(request.serial, absl::StrCat("mkdir -p ", ShellQuote(kRemoteModelDir)),
                           deadline);
  if (!mkdir.ok()) return mkdir.status();
  absl::Status s = adb_->Push(request.serial, request.model_path, remote, deadline);
  out->timings.push = absl::Now() - t0;
  return s;
}

void BenchmarkRunner::StartAndWatch(const RunRequest& request, const RunObserver& observer,
                                    absl::Time deadline, RunOutcome* out, bool* app_started) {
  // Phone time just before the start: logcat -T replays from here, so nothing is missed
  // however late the logcat stream attaches, and the log is never cleared. The form
  // depends on what the phone's date and logcat can do (phone_clock.h).
  auto now = LogcatStartNow(*adb_, request.serial, deadline,
                            [this](absl::Duration d) { return SleepUnlessCancelled(d); });
  if (!now.ok()) {
    if (absl::IsCancelled(now.status())) {
      out->state = v1::RUN_STATE_CANCELLED;
      out->error_message = "cancelled";
    } else if (absl::IsFailedPrecondition(now.status())) {  // the phone's date is odd
      Fail(out, v1::ERROR_CLASS_TOOL_ERROR, std::string(now.status().message()));
    } else {
      ClassifyAdbFailure(now.status(), request, deadline, v1::ERROR_CLASS_TOOL_ERROR,
                         "reading the phone's clock", out);
    }
    return;
  }
  const std::string since = *now;

  Watch watch;
  auto flush_lines = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(watch.mu) {
    if (watch.pending_lines.empty()) return;
    if (observer.on_log_lines) observer.on_log_lines(std::move(watch.pending_lines));
    watch.pending_lines.clear();
  };
  auto on_line = [&](absl::string_view line) {
    absl::MutexLock lock(&watch.mu);
    ++watch.lines_seen;
    watch.parser.FeedLine(line);
    const BenchmarkResult& r = watch.parser.result();
    LogcatLine entry;
    bool parsed = ParseLogcatLine(line, &entry);
    if (!parsed && !absl::StartsWith(line, "--------- ") && watch.logcat_said.size() < 5) {
      watch.logcat_said.emplace_back(line);
    }
    // The run's process once known; before that, anything tagged like the tool.
    bool ours = parsed && (r.pid ? entry.pid == *r.pid : absl::StartsWith(entry.tag, "tflite"));
    if (ours) {
      watch.last_line = absl::Now();  // the tool's own lines: other apps keep logging
      if (watch.pending_lines.empty()) watch.pending_since = absl::Now();
      watch.pending_lines.emplace_back(line);
      if (watch.tail.size() == kTailLines) watch.tail.erase(watch.tail.begin());
      watch.tail.emplace_back(line);
      if (watch.pending_lines.size() >= kLogBatchLines ||
          absl::Now() - watch.pending_since >= kLogBatchAge) {
        flush_lines();
      }
    }
    int phases = (r.warmup ? 1 : 0) + (r.timed ? 1 : 0) + (r.inference_avg_us ? 1 : 0) +
                 (r.memory_overall_mb ? 1 : 0);
    if (phases > watch.phases_reported && !r.complete) {
      watch.phases_reported = phases;
      flush_lines();
      if (observer.on_partial_metrics) observer.on_partial_metrics(ToMetricsProto(r));
    }
  };

  adb::AdbCancel logcat_cancel;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) logcat_cancel.Cancel();
    logcat_cancel_ = &logcat_cancel;
  }
  std::thread logcat([&] {
    // No deadline of its own: Run() decides when the run is over and cancels it.
    absl::Status s = adb_->Logcat(request.serial, {.since = since, .extra_args = {}, .after_each_read = nullptr}, on_line, &logcat_cancel,
                                  absl::InfiniteFuture());
    absl::MutexLock lock(&watch.mu);
    watch.logcat_ended = true;
    watch.logcat_status = s;
  });
  auto stop_logcat = [&] {
    logcat_cancel.Cancel();
    logcat.join();
    absl::MutexLock lock(&mu_);
    logcat_cancel_ = nullptr;
  };

  if (cancelled()) {
    stop_logcat();
    out->state = v1::RUN_STATE_CANCELLED;
    out->error_message = "cancelled";
    return;
  }
  const absl::Time start_t0 = absl::Now();
  *app_started = true;
  auto started = adb_->Shell(request.serial, StartCommand(RemoteModelPath(request.model_sha256),
                                                          request.args),
                             deadline);
  out->timings.start = absl::Now() - start_t0;
  if (!started.ok()) {
    stop_logcat();
    ClassifyAdbFailure(started.status(), request, deadline, v1::ERROR_CLASS_INTERNAL,
                       "am start", out);
    return;
  }
  const std::string am_output = started->stdout_data + started->stderr_data;
  if (absl::StrContains(am_output, "Error")) {
    stop_logcat();
    for (absl::string_view l : absl::StrSplit(am_output, '\n', absl::SkipEmpty())) {
      out->evidence.emplace_back(l);
    }
    // "Activity class {...} does not exist": the APK is not (or no longer) installed.
    Fail(out,
         absl::StrContains(am_output, "does not exist") ? v1::ERROR_CLASS_INSTALL_FAILED
                                                        : v1::ERROR_CLASS_TOOL_ERROR,
         absl::StrCat("am start failed: ", absl::StripAsciiWhitespace(am_output)));
    return;
  }

  // Wait for the parser to call the run complete, logcat to end, a cancel or the deadline.
  bool finished;
  bool logcat_ended_by_itself;  // before stop_logcat() below ends it on purpose
  {
    absl::MutexLock lock(&watch.mu);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(watch.mu) {
      return watch.parser.result().complete || watch.logcat_ended;
    };
    auto done_or_only_profile = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(watch.mu) {
      return done() || watch.parser.awaiting_only_profile();
    };
    // Only the op profile missing, and the tool silent for kProfileGrace: logcat cut the
    // profile's message (its ~4 KB limit) and its end will never come. The run's figures
    // are all in; it ends DONE and the cut profile is a warning (op_profile_proto.cc).
    while (true) {
      finished = watch.mu.AwaitWithDeadline(absl::Condition(&done_or_only_profile), deadline);
      if (!finished || done()) break;
      const absl::Time give_up = std::min(deadline, watch.last_line + kProfileGrace);
      finished = watch.mu.AwaitWithDeadline(absl::Condition(&done), give_up);
      if (finished || absl::Now() >= deadline) break;
      if (absl::Now() >= watch.last_line + kProfileGrace) {  // no line since: the cut is final
        finished = true;
        break;
      }
    }
    if (finished && watch.parser.result().status == RunStatus::kFailed &&
        !watch.logcat_ended) {
      // Evidence lines often follow the failure line within milliseconds.
      watch.mu.AwaitWithTimeout(absl::Condition(&watch.logcat_ended), request.evidence_grace);
    }
    logcat_ended_by_itself = watch.logcat_ended;
  }
  const bool was_cancelled = cancelled();
  stop_logcat();
  out->timings.run = absl::Now() - start_t0;

  absl::MutexLock lock(&watch.mu);
  flush_lines();
  const BenchmarkResult& r = watch.parser.result();
  TakeParsed(r, out);
  if (was_cancelled) {
    MarkCancelled(out);
    return;
  }
  if ((r.complete || watch.parser.awaiting_only_profile()) && r.status == RunStatus::kOk) {
    out->state = v1::RUN_STATE_DONE;
    out->metrics = ToMetricsProto(r);
    return;
  }
  if (r.complete && r.status == RunStatus::kFailed) {
    std::string why = FirstEvidence(r.error_lines);
    Fail(out, ToErrorClassProto(r.error_class),
         absl::StrCat("the benchmark failed (", ErrorClassName(r.error_class), ")",
                      why.empty() ? "" : ": ", why));
    return;
  }
  if (logcat_ended_by_itself) {
    // The stream ended under us: the phone or the server went away.
    // When logcat itself complained (e.g. it refused the start time), that is the
    // phone's tool, not ours.
    const bool refused = !watch.logcat_said.empty();
    absl::Status why =
        refused ? absl::FailedPreconditionError(absl::StrCat(
                      "logcat on the phone stopped: ", watch.logcat_said.front()))
        : watch.logcat_status.ok() ? absl::UnavailableError("the logcat stream ended")
                                   : watch.logcat_status;
    if (refused) ForgetPhoneClock(request.serial);
    ClassifyAdbFailure(why, request, deadline,
                       refused ? v1::ERROR_CLASS_TOOL_ERROR : v1::ERROR_CLASS_INTERNAL,
                       "following logcat", out);
    out->evidence.insert(out->evidence.end(), watch.logcat_said.begin(), watch.logcat_said.end());
    return;
  }
  // The deadline passed with the tool still silent or busy. A phone that vanished without
  // ending the stream is device_lost rather than a slow model.
  ClassifyAdbFailure(absl::DeadlineExceededError("no result before the deadline"), request,
                     deadline, v1::ERROR_CLASS_TIMED_OUT, "waiting for the result", out);
  if (out->error_class == v1::ERROR_CLASS_TIMED_OUT) {
    out->evidence.clear();
    out->error_message = absl::StrCat("no result within the run's timeout of ",
                                      absl::FormatDuration(request.timeout), " (",
                                      watch.lines_seen, " log lines read)");
    out->evidence.insert(out->evidence.end(), watch.tail.begin(), watch.tail.end());
  }
}

void BenchmarkRunner::CoolDown(const RunRequest& request, RunOutcome* out) {
  if (request.cooldown_max <= absl::ZeroDuration()) return;
  const absl::Time t0 = absl::Now();
  const absl::Time until = t0 + request.cooldown_max;
  if (request.cooldown_below_c <= 0) {
    SleepUnlessCancelled(request.cooldown_max);
  } else {
    // No stream reports battery temperature; a reading every 2 s is cheap.
    while (absl::Now() < until) {
      auto battery = ReadBattery(*adb_, request.serial, absl::Now() + kShortCall);
      if (!battery.ok() || !battery->has_temp || battery->temp_c < request.cooldown_below_c) break;
      if (SleepUnlessCancelled(std::min(kCooldownPoll, until - absl::Now()))) break;
    }
  }
  out->timings.cooldown = absl::Now() - t0;
}

RunOutcome BenchmarkRunner::Run(const RunRequest& request_in, const RunObserver& observer) {
  // Results as a file: the tool is told where to write it (result_file_runner.cc).
  RunRequest request = request_in;
  if (request.result_file) {
    request.args.push_back(absl::StrCat("--result_file_path=", RemoteResultPath(IsNativeTool(request.tool))));
  }
  const absl::Time t0 = absl::Now();
  const absl::Time deadline = t0 + request.timeout;
  RunOutcome out;
  auto finish = [&]() -> RunOutcome {
    out.timings.total = absl::Now() - t0;
    return std::move(out);
  };
  auto enter = [&](v1::RunState state) {
    if (observer.on_state) observer.on_state(state);
  };

  // Nothing reaches the phone's shell unchecked, whoever rendered the arguments.
  for (const std::string& arg : request.args) {
    if (absl::Status s = CheckToolArg(arg); !s.ok()) {
      Fail(&out, v1::ERROR_CLASS_BAD_FLAG, std::string(s.message()));
      return finish();
    }
  }

  // A cancel is looked at before every step that changes the phone (install, push, am
  // start), so a run cancelled while its artifacts were fetched never touches the phone.
  auto stop_if_cancelled = [&] {
    if (!cancelled()) return false;
    out.state = v1::RUN_STATE_CANCELLED;
    out.error_message = "cancelled";
    return true;
  };
  if (stop_if_cancelled()) return finish();
  const bool native = request.tool == v1::TOOL_KIND_NATIVE || request.tool == v1::TOOL_KIND_LITERT;
  enter(v1::RUN_STATE_INSTALLING);
  if (absl::Status s = native ? EnsureBinary(request, deadline, &out) : EnsureApk(request, deadline, &out);
      !s.ok()) {
    ClassifyAdbFailure(s, request, deadline, v1::ERROR_CLASS_INSTALL_FAILED,
                       native ? "pushing the benchmark binary" : "installing the APK", &out);
    return finish();
  }
  if (stop_if_cancelled()) return finish();
  enter(v1::RUN_STATE_PUSHING);
  if (absl::Status s = EnsureModel(request, deadline, &out); !s.ok()) {
    ClassifyAdbFailure(s, request, deadline, v1::ERROR_CLASS_PUSH_FAILED, "pushing the model",
                       &out);
    return finish();
  }
  if (stop_if_cancelled()) return finish();
  // The conditions the benchmark starts in: after install and push, which heat the phone
  // too, and with the APK version that runs. A phone that does not answer leaves them
  // unset; the run goes on (its next step finds out what is wrong).
  auto before = ReadRunConditions(*adb_, request.serial, kBenchmarkPackage,
                                  std::min(deadline, absl::Now() + kShortCall));
  if (before.ok()) *out.conditions.mutable_before() = *std::move(before);
  // --cpus: this phone's mask from the clusters just read; nothing runs when it names no CPU.
  if (!ResolveRunCpus(request, &out)) return finish();
  if (request.result_file) ClearResultFile(request, deadline);
  // After a DONE run, the result file's numbers replace the log's (checked against them).
  auto read_result_file = [&] {
    if (request.result_file && out.state == v1::RUN_STATE_DONE) ReadResultFile(request, &out);
  };
  enter(v1::RUN_STATE_RUNNING);
  bool app_started = false;
  if (native) {
    // Returns once the tool's process has ended (killed on a cancel or the deadline).
    RunNative(request, observer, deadline, &out);
    read_result_file();
    const bool reachable = out.error_class != v1::ERROR_CLASS_DEVICE_LOST &&
                           out.error_class != v1::ERROR_CLASS_ADB_UNAVAILABLE;
    if (reachable) {
      auto after = ReadRunConditions(*adb_, request.serial, kBenchmarkPackage, absl::Now() + kShortCall);
      if (after.ok()) *out.conditions.mutable_after() = *std::move(after);
      CoolDown(request, &out);
    }
    return finish();
  }
  StartAndWatch(request, observer, deadline, &out, &app_started);

  // Stop the app whatever happened (a hung or timed-out tool keeps the CPU hot), and
  // before Run() returns: its caller reports the run over only once the app is stopped.
  // Errors are ignored: the phone may be gone.
  if (app_started) {
    (void)adb_->Shell(request.serial, absl::StrCat("am force-stop ", ShellQuote(kBenchmarkPackage)),
                      absl::Now() + kShortCall);
  }
  // The app writes its file as its run ends, maybe after its last log line: read it once
  // the app is stopped.
  read_result_file();
  const bool phone_reachable = out.error_class != v1::ERROR_CLASS_DEVICE_LOST &&
                               out.error_class != v1::ERROR_CLASS_ADB_UNAVAILABLE;
  // The state the run left the phone in, before any cooldown; also after a timeout.
  if (app_started && phone_reachable) {
    auto after = ReadRunConditions(*adb_, request.serial, kBenchmarkPackage, absl::Now() + kShortCall);
    if (after.ok()) *out.conditions.mutable_after() = *std::move(after);
  }
  if (phone_reachable) CoolDown(request, &out);
  return finish();
}

}  // namespace benchlab::agent
