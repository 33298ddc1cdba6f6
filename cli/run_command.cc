// `benchlab run MODEL --apk APK ...`: hashes and uploads the model and the APK, submits a
// job, follows it (WatchJob) printing one line per run state change, then prints the
// results. With --detach it stops after the submit. Exit 4 when runs failed.
// `--baseline JOB` makes it an A/B job (as `benchlab ab`): A is that job's model, APK and
// flags, B the new model; the runs interleave ABBA and the answer is one verdict per phone.
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/job_submit.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/results_view.h"
#include "common/flags/tool_kind.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct RunFlags {
  JobFlags job;
  std::string model;
  std::string baseline;
  double threshold_pct = 0;
  bool detach = false;
  bool json = false;
};

// Makes `spec` an A/B job: A = the baseline job's model, APK and flags; B = `spec`'s.
int AddBaselineVariants(const LabConnection& conn, const RunFlags& f, const CliIo& io, v1::JobSpec* spec) {
  v1::GetJobRequest req;
  req.set_job_id(f.baseline);
  v1::GetJobResponse base;
  grpc::ClientContext ctx;
  conn.PrepareUnary(&ctx);
  grpc::Status st = conn.lab()->GetJob(&ctx, req, &base);
  if (!st.ok()) return ReportRpcError(st, "run", absl::StrCat("reading baseline job ", f.baseline), f.job.lab, io);
  const v1::JobSpec& b = base.job().spec();
  v1::Variant* a = spec->add_variants();
  a->set_label(absl::StrCat("job ", f.baseline));
  a->set_model_sha256(b.model_sha256());
  a->set_apk_sha256(b.apk_sha256());
  *a->mutable_flags() = b.flags();
  v1::Variant* v = spec->add_variants();
  v->set_label(f.model);
  v->set_model_sha256(spec->model_sha256());
  v->set_apk_sha256(spec->apk_sha256());
  *v->mutable_flags() = spec->flags();
  // The job-level fields are A's (variant 0); SubmitJob fills them.
  spec->clear_model_sha256();
  spec->clear_apk_sha256();
  *spec->mutable_flags() = b.flags();
  return kExitOk;
}

int RunRun(const RunFlags& f, const CliIo& io) {
  if (f.job.until_decided && f.baseline.empty()) {
    return ReportUsageError("run",
                            "--until-decided needs something to decide against: use `benchlab ab MODEL_A MODEL_B` "
                            "or `benchlab run MODEL --baseline JOB`",
                            io);
  }
  auto spec = BuildSpec(f.job);
  if (!spec.ok()) return ReportUsageError("run", spec.status().message(), io);
  auto conn = LabConnection::Open(f.job.lab);
  if (!conn.ok()) return ReportUsageError("run", conn.status().message(), io);

  // People see progress on stdout; with --json stdout holds only the JSON document.
  std::ostream* progress = f.json ? nullptr : io.out;
  if (int rc = UploadPath(**conn, "run", f.model, v1::ARTIFACT_KIND_MODEL, f.job.lab, progress, io,
                          spec->mutable_model_sha256());
      rc != kExitOk) {
    return rc;
  }
  // The tool's artifact: the APK, or a native tool's binary (--tool native|litert).
  const bool native = IsNativeTool(spec->tool());
  if (int rc = UploadPath(**conn, "run", native ? f.job.binary : f.job.apk,
                          native ? v1::ARTIFACT_KIND_BINARY : v1::ARTIFACT_KIND_APK, f.job.lab, progress, io,
                          native ? spec->mutable_binary_sha256() : spec->mutable_apk_sha256());
      rc != kExitOk) {
    return rc;
  }
  if (int rc = UploadToolFiles(**conn, "run", f.job, progress, io, &*spec); rc != kExitOk) return rc;
  if (!f.baseline.empty()) {
    if (int rc = AddBaselineVariants(**conn, f, io, &*spec); rc != kExitOk) return rc;
    spec->set_verdict_threshold_pct(f.threshold_pct);  // --until-decided decides with it
  }

  v1::SubmitJobResponse submitted;
  if (int rc = SubmitSpec(**conn, "run", *spec, f.job.lab, io, &submitted); rc != kExitOk) return rc;
  const v1::Job& job = submitted.job();
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
    return ReportRpcError(st, "run", absl::StrCat("following job ", job.job_id()), f.job.lab, io);
  }
  if (!f.baseline.empty()) {
    return ReportVariantJob(**conn, "run", job.job_id(), f.threshold_pct, f.json, "", f.job.lab, io);
  }

  v1::GetResultsRequest req;
  req.set_job_id(job.job_id());
  v1::GetResultsResponse results;
  grpc::Status st = ReadAllResults(**conn, req, &results);
  if (!st.ok()) return ReportRpcError(st, "run", absl::StrCat("reading results of ", job.job_id()), f.job.lab, io);
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
  cmd->add_option("--baseline", f->baseline,
                  "JOB: an A/B job against that job's model, APK and flags (interleaved ABBA; prints one verdict "
                  "per phone, as `benchlab ab`)");
  cmd->add_option("--threshold", f->threshold_pct,
                  "with --baseline, PCT: a change whose confidence interval lies inside +-PCT is `same` (default 2)")
      ->check(CLI::Range(0.01, 50.0));
  AddJobOptions(cmd, &f->job);
  cmd->add_flag("--detach", f->detach, "print the job id and exit after submitting");
  cmd->add_flag("--json", f->json,
                "print only JSON: the results (GetResultsResponse; with --baseline the CompareJobsResponse), or "
                "with --detach the SubmitJobResponse");
  cmd->footer("Exit codes: 0 every run done, 4 some runs failed or were cancelled, 5 refused by the\n"
              "coordinator (token, role, invalid flags), 3 coordinator unreachable, 2 usage error.");
  cmd->callback([f, io, exit_code] { *exit_code = RunRun(*f, io); });
}

}  // namespace benchlab::cli
