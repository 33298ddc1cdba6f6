// What `run` and `ab` share: the job options (devices, tool flags, repeats, gates, ...),
// building a JobSpec from them, uploading a file, submitting a job and following it
// until every run is final, and printing the B-vs-A verdicts of a variant job.
#ifndef BENCHLAB_CLI_JOB_SUBMIT_H_
#define BENCHLAB_CLI_JOB_SUBMIT_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "benchlab/v1/lab.pb.h"
#include "cli/cli.h"
#include "cli/lab_connection.h"
#include "common/flags/tool_options.h"

namespace benchlab::cli {

// The options of a job, as `run` and `ab` take them.
struct JobFlags {
  LabOptions lab;
  std::string apk;
  // Issue 11: apk (default), native or litert; native tools run `binary`.
  std::string tool_kind = "apk";
  std::string binary;
  // --cpus big|little|all|0xMASK (native tools; resolved per phone by its agent).
  std::string cpus;
  // Tool files for --tool litert (uploaded as TOOL_LIBRARY; the agent sets the flag).
  std::string dispatch_library;  // --dispatch_library_path
  std::string compiler_plugin;   // --compiler_plugin_library_path
  // Issue 11: the tool writes its result file and the run's numbers come from it.
  bool result_file = true;
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
  // Variant jobs: more ABBA blocks until every phone is decided, up to max_repeats.
  bool until_decided = false;
  int max_repeats = 0;
};

// Adds --apk, --devices, the tool options, the job options, the gates and the lab options.
void AddJobOptions(CLI::App* cmd, JobFlags* f);

// The spec from the options (artifacts not set yet). InvalidArgument for a bad
// --devices, --flag or --tool, or a tool without its --apk / --binary.
absl::StatusOr<benchlab::v1::JobSpec> BuildSpec(const JobFlags& f);

// Uploads the job's tool files (--dispatch-library, --compiler-plugin) as TOOL_LIBRARY and
// adds them to spec->tool_files. Returns an exit code.
int UploadToolFiles(const LabConnection& conn, const std::string& command, const JobFlags& f,
                    std::ostream* progress, const CliIo& io, benchlab::v1::JobSpec* spec);

// Hashes and uploads `path` as `kind`, printing one line to `progress` (may be null).
// Returns an exit code (kExitOk with *sha256 set).
int UploadPath(const LabConnection& conn, const std::string& command, const std::string& path,
               benchlab::v1::ArtifactKind kind, const LabOptions& lab, std::ostream* progress,
               const CliIo& io, std::string* sha256);

// Submits `spec` (with a fresh request id, so a retried submit does not make two jobs)
// and reports offline phones to io.err. Returns an exit code.
int SubmitSpec(const LabConnection& conn, const std::string& command, const benchlab::v1::JobSpec& spec,
               const LabOptions& lab, const CliIo& io, benchlab::v1::SubmitJobResponse* submitted);

// Follows the job until every run is final, printing each run's state changes to `out`
// (may be null). When the stream breaks after it had worked (a coordinator restart keeps
// jobs) it re-watches for up to a minute.
grpc::Status FollowJob(const LabConnection& conn, const std::string& job_id, std::ostream* out, std::ostream* err);

// CompareJobs of a variant job (B against A per phone) into *resp. Returns an exit code.
int CompareVariantJob(const LabConnection& conn, const std::string& command, const std::string& job_id,
                      double threshold_pct, const LabOptions& lab, const CliIo& io,
                      benchlab::v1::CompareJobsResponse* resp);

// "A: mobilenet.tflite (sha256 0123456789ab), B: ... (change = B vs A)" and the verdict
// table, one row per phone.
std::string RenderVariantVerdicts(const benchlab::v1::JobSpec& spec, const benchlab::v1::CompareJobsResponse& resp);

// After a variant job was followed: its verdicts (CompareJobs of the job), printed as
// RenderVariantVerdicts or with `json` as the CompareJobsResponse. Returns kExitVerdict
// when a phone's verdict is `fail_on` (empty: never), else kExitRunsFailed when runs
// failed or were cancelled, else kExitOk (or the error's code).
int ReportVariantJob(const LabConnection& conn, const std::string& command, const std::string& job_id,
                     double threshold_pct, bool json, const std::string& fail_on, const LabOptions& lab,
                     const CliIo& io);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_JOB_SUBMIT_H_
