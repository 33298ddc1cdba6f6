// The native tools' run (issue 11): the binary pushed to the phone by hash and made
// executable, then `echo $$; exec BINARY --graph=... ARGS` over `adb shell`, its stdout and
// stderr fed live to the parser, its exit status kept. A cancel or the deadline kills
// exactly that pid with `kill -9` (the shell user owns it) before Run() returns.
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/metrics_proto.h"
#include "agent/run/runner_steps.h"
#include "common/flags/cpu_set.h"
#include "common/line_splitter.h"
#include "common/shell_quote.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

constexpr absl::Duration kPoll = absl::Milliseconds(50);
// After `kill -9`, the shell stream ends within moments; past this it is cut.
constexpr absl::Duration kKillGrace = absl::Seconds(3);
constexpr size_t kLogBatchLines = 64;

void Fail(RunOutcome* out, v1::ErrorClass error, std::string message) { FailRun(out, error, std::move(message)); }

}  // namespace

std::string BenchmarkRunner::RemoteBinaryPath(const std::string& binary_sha256) {
  return absl::StrCat(kRemoteBinaryDir, "/", binary_sha256);
}

std::string BenchmarkRunner::NativeCommand(const std::string& remote_binary,
                                           const std::string& remote_model,
                                           const std::vector<std::string>& args,
                                           const std::string& taskset_mask) {
  std::vector<std::string> words;
  // toybox taskset (toys/other/taskset.c) sets its own affinity and execs the command.
  if (!taskset_mask.empty()) words = {"taskset", ShellQuote(taskset_mask)};
  words.push_back(ShellQuote(remote_binary));
  words.push_back(ShellQuote(absl::StrCat("--graph=", remote_model)));
  for (const std::string& a : args) words.push_back(ShellQuote(a));
  // `exec` keeps the shell's pid, printed first: the agent kills exactly this process.
  return absl::StrCat("echo $$; exec ", absl::StrJoin(words, " "));
}

absl::Status BenchmarkRunner::EnsureBinary(const RunRequest& request, absl::Time deadline,
                                           RunOutcome* out) {
  const absl::Time t0 = absl::Now();
  const std::string remote = RemoteBinaryPath(request.binary_sha256);
  auto stat = adb_->Stat(request.serial, remote, deadline);
  if (!stat.ok()) return stat.status();
  // Named by hash: the right size and the execute bits mean the right, ready file.
  if (stat->exists && stat->size_bytes == request.binary_size_bytes && (stat->mode & 0111) == 0111) {
    out->timings.install_skipped = true;
    out->timings.install = absl::Now() - t0;
    return EnsureToolFiles(request, deadline);  // a new library may come with a known binary
  }
  if (cancelled()) return absl::CancelledError("cancelled before pushing the binary");
  auto mkdir = adb_->Shell(request.serial, absl::StrCat("mkdir -p ", ShellQuote(kRemoteBinaryDir)), deadline);
  if (!mkdir.ok()) return mkdir.status();
  if (absl::Status s = adb_->Push(request.serial, request.binary_path, remote, deadline); !s.ok()) return s;
  auto chmod = adb_->Shell(request.serial, absl::StrCat("chmod 755 ", ShellQuote(remote)), deadline);
  if (!chmod.ok()) return chmod.status();
  if (chmod->exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "chmod 755 ", remote, " failed: ", absl::StripAsciiWhitespace(chmod->stdout_data + chmod->stderr_data)));
  }
  out->timings.install = absl::Now() - t0;
  return EnsureToolFiles(request, deadline);
}

absl::Status BenchmarkRunner::EnsureToolFiles(const RunRequest& request, absl::Time deadline) {
  for (const RunRequest::ToolFilePush& f : request.tool_files) {
    const std::string remote = absl::StrCat(f.remote_dir, "/", f.remote_name);
    auto stat = adb_->Stat(request.serial, remote, deadline);
    if (!stat.ok()) return stat.status();
    if (stat->exists && stat->size_bytes == f.size_bytes) continue;  // its directory is its hash
    if (cancelled()) return absl::CancelledError("cancelled before pushing the tool's files");
    auto mkdir = adb_->Shell(request.serial, absl::StrCat("mkdir -p ", ShellQuote(f.remote_dir)), deadline);
    if (!mkdir.ok()) return mkdir.status();
    if (absl::Status s = adb_->Push(request.serial, f.local_path, remote, deadline); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool BenchmarkRunner::ResolveRunCpus(const RunRequest& request, RunOutcome* out) {
  if (request.cpus.empty()) return true;
  if (request.tool != v1::TOOL_KIND_NATIVE && request.tool != v1::TOOL_KIND_LITERT) {
    Fail(out, v1::ERROR_CLASS_CPUS_UNAVAILABLE,
         "cpus is for the native tools: the APK's activity runs as the app's uid, whose CPU affinity the "
         "shell user may not set");
    return false;
  }
  // The clusters just read with the run's conditions: this phone's topology, now.
  auto mask = ResolveCpus(request.cpus, out->conditions.before().cpu_clusters());
  if (!mask.ok()) {
    Fail(out, v1::ERROR_CLASS_CPUS_UNAVAILABLE, std::string(mask.status().message()));
    return false;
  }
  out->cpu_mask = FormatCpuMask(*mask);
  return true;
}

void BenchmarkRunner::RunNative(const RunRequest& request, const RunObserver& observer,
                                absl::Time deadline, RunOutcome* out) {
  // Shared with the stream's thread.
  struct Stream {
    absl::Mutex mu;
    BenchmarkParser parser ABSL_GUARDED_BY(mu);
    LineSplitter out_lines ABSL_GUARDED_BY(mu), err_lines ABSL_GUARDED_BY(mu);
    int64_t pid ABSL_GUARDED_BY(mu) = 0;  // from the first stdout line
    bool pid_line_seen ABSL_GUARDED_BY(mu) = false;
    std::vector<std::string> pending ABSL_GUARDED_BY(mu);
    int phases_reported ABSL_GUARDED_BY(mu) = 0;
    bool ended ABSL_GUARDED_BY(mu) = false;
    absl::StatusOr<int> exit = absl::UnknownError("running");
  } st;

  auto flush = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(st.mu) {
    if (st.pending.empty()) return;
    if (observer.on_log_lines) observer.on_log_lines(std::move(st.pending));
    st.pending.clear();
  };
  // Called with st.mu held, also through LineSplitter (which the analysis cannot follow).
  auto on_line = [&](absl::string_view line) {
    st.mu.AssertHeld();
    st.parser.FeedLine(line);
    st.pending.emplace_back(line);
    const BenchmarkResult& r = st.parser.result();
    const int phases = (r.warmup ? 1 : 0) + (r.timed ? 1 : 0) + (r.inference_avg_us ? 1 : 0);
    if (st.pending.size() >= kLogBatchLines || phases > st.phases_reported) flush();
    if (phases > st.phases_reported && !r.complete) {
      st.phases_reported = phases;
      if (observer.on_partial_metrics) observer.on_partial_metrics(ToMetricsProto(r));
    }
  };
  auto on_output = [&](adb::ShellStream which, absl::string_view chunk) {
    absl::MutexLock lock(&st.mu);
    if (which == adb::ShellStream::kStderr) {
      st.err_lines.Feed(chunk, on_line);
      return;
    }
    st.out_lines.Feed(chunk, [&](absl::string_view line) {
      st.mu.AssertHeld();
      if (!st.pid_line_seen) {  // `echo $$`
        st.pid_line_seen = true;
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &st.pid)) return;
      }
      on_line(line);
    });
  };

  adb::AdbCancel stream_cancel;
  uint64_t mask = 0;
  const std::string taskset_mask =
      !out->cpu_mask.empty() && absl::SimpleHexAtoi(absl::StripPrefix(out->cpu_mask, "0x"), &mask) ? TasksetMask(mask) : std::string();
  const std::string command = NativeCommand(RemoteBinaryPath(request.binary_sha256),
                                            RemoteModelPath(request.model_sha256), request.args, taskset_mask);
  const absl::Time t0 = absl::Now();
  std::thread shell([&] {
    // No deadline of its own: the loop below decides, and kills the tool first.
    absl::StatusOr<int> exit = adb_->ShellStreaming(request.serial, command, on_output, &stream_cancel,
                                                    absl::InfiniteFuture());
    absl::MutexLock lock(&st.mu);
    st.ended = true;
    st.exit = std::move(exit);
  });

  bool was_cancelled = false, timed_out = false;
  while (true) {
    {
      absl::MutexLock lock(&st.mu);
      if (st.mu.AwaitWithTimeout(absl::Condition(&st.ended), kPoll)) break;
    }
    if (cancelled()) {
      was_cancelled = true;
      break;
    }
    if (absl::Now() >= deadline) {
      timed_out = true;
      break;
    }
  }
  int64_t pid = 0;
  {
    absl::MutexLock lock(&st.mu);
    pid = st.pid;
  }
  if (was_cancelled || timed_out) {
    // Exactly the tool's process; the shell user owns it. Then the stream ends by itself.
    if (pid > 0) {
      (void)adb_->Shell(request.serial, absl::StrCat("kill -9 ", pid), absl::Now() + kShortCall);
    }
    absl::MutexLock lock(&st.mu);
    if (!st.mu.AwaitWithTimeout(absl::Condition(&st.ended), kKillGrace)) stream_cancel.Cancel();
  }
  shell.join();
  out->timings.run = absl::Now() - t0;
  out->native_pid = pid;

  absl::MutexLock lock(&st.mu);
  st.out_lines.Flush(on_line);
  st.err_lines.Flush(on_line);
  flush();
  if (st.exit.ok()) out->exit_code = *st.exit;
  if (!was_cancelled && !timed_out) st.parser.Finish();
  const BenchmarkResult& r = st.parser.result();
  TakeParsed(r, out);
  if (was_cancelled) {
    MarkCancelled(out);
    return;
  }
  if (timed_out) {
    Fail(out, v1::ERROR_CLASS_TIMED_OUT,
         absl::StrCat("no result within the run's timeout of ", absl::FormatDuration(request.timeout),
                      "; the tool (pid ", pid, ") was killed"));
    return;
  }
  if (!st.exit.ok()) {
    ClassifyAdbFailure(st.exit.status(), request, deadline, v1::ERROR_CLASS_INTERNAL, "running the binary", out);
    return;
  }
  const int code = *st.exit;
  if (r.status == RunStatus::kOk && code == 0) {
    out->state = v1::RUN_STATE_DONE;
    out->metrics = ToMetricsProto(r);
    return;
  }
  if (r.status == RunStatus::kFailed && r.error_class != ErrorClass::kToolError &&
      r.error_class != ErrorClass::kNoResult) {
    Fail(out, ToErrorClassProto(r.error_class),
         absl::StrCat("the benchmark failed (", ErrorClassName(r.error_class), "), exit status ", code,
                      r.error_lines.empty() ? "" : ": ", r.error_lines.empty() ? "" : r.error_lines.front()));
    return;
  }
  if (code == 126 || code == 127) {
    Fail(out, v1::ERROR_CLASS_INSTALL_FAILED,
         absl::StrCat("the phone's shell could not execute the binary (exit status ", code, ")"));
    return;
  }
  if (code > 128) {
    const int sig = code - 128;
    Fail(out, sig == 6 || sig == 11 || sig == 7 || sig == 4 ? v1::ERROR_CLASS_APP_CRASHED : v1::ERROR_CLASS_PROCESS_DIED,
         absl::StrCat("the tool died of signal ", sig, " (exit status ", code, ") before a result"));
    return;
  }
  Fail(out,
       r.status == RunStatus::kFailed ? ToErrorClassProto(r.error_class)
       : r.status == RunStatus::kOk   ? v1::ERROR_CLASS_TOOL_ERROR
                                      : v1::ERROR_CLASS_NO_RESULT,
       absl::StrCat("the tool exited with status ", code,
                    r.status == RunStatus::kOk ? " after its result" : " without a result",
                    r.error_lines.empty() ? "" : ": ", r.error_lines.empty() ? "" : r.error_lines.front()));
}

}  // namespace benchlab::agent
