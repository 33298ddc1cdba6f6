// Results as a file (issue 11), the runner's side: where the tool is told to write its
// BenchmarkResult, clearing a stale one before the run, and reading it back after it.
// Native tools run as the shell user and write below /data/local/tmp; the APK runs as its
// own app user, which cannot write there, so it writes into its files dir and the file is
// read with `run-as` (the APK is debuggable), over exec: so the bytes arrive unmangled
// (a pty would turn \n into \r\n).
#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/result_file.h"
#include "agent/run/runner_steps.h"
#include "common/flags/tool_kind.h"
#include "common/shell_quote.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

// The native run's folder; one run at a time per phone, so one name serves.
constexpr char kRemoteRunDir[] = "/data/local/tmp/benchlab/run";
constexpr char kResultName[] = "benchlab_result.pb";
// The app's files dir (Context.getFilesDir()), relative to the data dir run-as starts in.
constexpr char kAppFilesDir[] = "files";

std::string RunAs(absl::string_view command) {
  return absl::StrCat("run-as ", ShellQuote(kBenchmarkPackage), " ", command);
}

}  // namespace

std::string BenchmarkRunner::RemoteResultPath(bool native) {
  if (native) return absl::StrCat(kRemoteRunDir, "/", kResultName);
  return absl::StrCat("/data/data/", kBenchmarkPackage, "/", kAppFilesDir, "/", kResultName);
}

void BenchmarkRunner::ClearResultFile(const RunRequest& request, absl::Time deadline) {
  // A file left by an earlier run must not pass for this one's. Errors surface later,
  // when the file is read back.
  const absl::Time until = std::min(deadline, absl::Now() + kShortCall);
  if (IsNativeTool(request.tool)) {
    (void)adb_->Shell(request.serial,
                      absl::StrCat("mkdir -p ", kRemoteRunDir, " && rm -f ", RemoteResultPath(true)), until);
    return;
  }
  const std::string rel = absl::StrCat(kAppFilesDir, "/", kResultName);
  (void)adb_->Shell(request.serial,
                    absl::StrCat(RunAs(absl::StrCat("mkdir -p ", kAppFilesDir)), "; ",
                                 RunAs(absl::StrCat("rm -f ", rel))),
                    until);
}

void BenchmarkRunner::ReadResultFile(const RunRequest& request, RunOutcome* out) {
  const absl::Time until = absl::Now() + kShortCall;
  absl::StatusOr<std::string> bytes;
  if (IsNativeTool(request.tool)) {
    // sync RECV: binary-safe; NotFound when the tool wrote nothing.
    bytes = adb_->PullBytes(request.serial, RemoteResultPath(true), until);
    if (absl::IsNotFound(bytes.status())) {
      out->result_file_status = v1::RESULT_FILE_STATUS_MISSING;
      out->result_file_note = absl::StrCat("the tool wrote no result file at ", RemoteResultPath(true),
                                           " (a build without --result_file_path?); the log's numbers are kept");
      return;
    }
  } else {
    bytes = adb_->Exec(request.serial, RunAs(absl::StrCat("cat ", kAppFilesDir, "/", kResultName)), until);
    // exec: merges stderr: run-as's and cat's complaints come back as the output. A
    // BenchmarkResult never starts with these letters (its first byte is a field tag).
    if (bytes.ok() && absl::StartsWith(*bytes, "cat: ")) {
      out->result_file_status = v1::RESULT_FILE_STATUS_MISSING;
      out->result_file_note =
          absl::StrCat("the app wrote no result file at ", RemoteResultPath(false), " (",
                       absl::StripAsciiWhitespace(*bytes), "); the log's numbers are kept");
      return;
    }
    if (bytes.ok() && absl::StartsWith(*bytes, "run-as: ")) {
      bytes = absl::FailedPreconditionError(absl::StripAsciiWhitespace(*bytes));
    }
  }
  if (!bytes.ok()) {
    out->result_file_status = v1::RESULT_FILE_STATUS_UNREADABLE;
    out->result_file_note = absl::StrCat("the result file could not be read back: ", bytes.status().message(),
                                         "; the log's numbers are kept");
    return;
  }
  auto file = ParseResultFile(*bytes);
  if (!file.ok()) {
    out->result_file_status = v1::RESULT_FILE_STATUS_CORRUPT;
    out->result_file_note = absl::StrCat(file.status().message(), "; the log's numbers are kept");
    return;
  }
  ResultFileMerge merged = MergeResultFile(*file, &out->metrics);
  out->result_file_status = merged.status;
  out->result_file_note = std::move(merged.note);
}

}  // namespace benchlab::agent
