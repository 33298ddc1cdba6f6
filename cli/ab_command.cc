// `benchlab ab MODEL_A MODEL_B --apk APK [--devices SEL] [--repeat N] [--until-decided]
// [--max-repeats N] [--threshold PCT] [--fail-on V] [--json]`: one job with two variants
// run alternately (ABBA) on each phone, then one verdict per phone, B relative to A.
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/job_submit.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct AbFlags {
  JobFlags job;
  std::string model_a;
  std::string model_b;
  double threshold_pct = 0;  // 0 = the coordinator's default (2 %)
  std::string fail_on;
  bool detach = false;
  bool json = false;
};

int RunAb(const AbFlags& f, const CliIo& io) {
  auto spec = BuildSpec(f.job);
  if (!spec.ok()) return ReportUsageError("ab", spec.status().message(), io);
  spec->set_verdict_threshold_pct(f.threshold_pct);  // --until-decided decides with it
  auto conn = LabConnection::Open(f.job.lab);
  if (!conn.ok()) return ReportUsageError("ab", conn.status().message(), io);
  std::ostream* progress = f.json ? nullptr : io.out;
  for (const std::string* path : {&f.model_a, &f.model_b}) {
    v1::Variant* v = spec->add_variants();
    v->set_label(*path);
    if (int rc = UploadPath(**conn, "ab", *path, v1::ARTIFACT_KIND_MODEL, f.job.lab, progress, io,
                            v->mutable_model_sha256());
        rc != kExitOk) {
      return rc;
    }
  }
  if (int rc = UploadPath(**conn, "ab", f.job.apk, v1::ARTIFACT_KIND_APK, f.job.lab, progress, io,
                          spec->mutable_apk_sha256());
      rc != kExitOk) {
    return rc;
  }
  v1::SubmitJobResponse submitted;
  if (int rc = SubmitSpec(**conn, "ab", *spec, f.job.lab, io, &submitted); rc != kExitOk) return rc;
  const v1::Job& job = submitted.job();
  if (f.detach) {
    if (f.json) {
      *io.out << ToJson(submitted) << "\n";
    } else {
      *io.out << "submitted job " << job.job_id() << ": " << job.runs_total() << " runs on " << job.device_ids_size()
              << " devices\n  follow: benchlab job " << job.job_id() << "\n";
    }
    return kExitOk;
  }
  if (progress != nullptr) {
    *progress << "submitted job " << job.job_id() << ": " << job.runs_total() << " runs (A and B interleaved) on "
              << job.device_ids_size() << " devices (Ctrl-C stops watching; the job keeps running)\n"
              << std::flush;
  }
  if (grpc::Status st = FollowJob(**conn, job.job_id(), progress, io.err); !st.ok()) {
    return ReportRpcError(st, "ab", absl::StrCat("following job ", job.job_id()), f.job.lab, io);
  }
  return ReportVariantJob(**conn, "ab", job.job_id(), f.threshold_pct, f.json, f.fail_on, f.job.lab, io);
}

}  // namespace

void RegisterAbCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto f = std::make_shared<AbFlags>();
  CLI::App* cmd = app.add_subcommand(
      "ab", "Run two models alternately (ABBA) on each phone and print one verdict per phone: B vs A");
  cmd->add_option("model_a", f->model_a, "A: the baseline .tflite model")->required();
  cmd->add_option("model_b", f->model_b, "B: the candidate .tflite model")->required();
  AddJobOptions(cmd, &f->job);
  cmd->add_option("--threshold", f->threshold_pct,
                  "PCT: a change whose confidence interval lies inside +-PCT is `same` (default 2)")
      ->check(CLI::Range(0.01, 50.0));
  cmd->add_option("--fail-on", f->fail_on, "exit 6 when any phone's verdict is this (e.g. slower)")
      ->check(CLI::IsMember({"slower", "faster", "inconclusive", "same"}));
  cmd->add_flag("--detach", f->detach, "print the job id and exit after submitting");
  cmd->add_flag("--json", f->json, "print only JSON: the CompareJobsResponse (with --detach the SubmitJobResponse)");
  cmd->footer(
      "--repeat N runs each model N times per phone, in the order A B B A A B B A ... so drift hits both.\n"
      "Verdicts as `benchlab compare`: faster, slower, same or inconclusive (with about how many more\n"
      "repeats would decide). Exit codes: 0 ok, 6 a phone's verdict is --fail-on, 4 runs failed,\n"
      "5 refused by the coordinator, 3 coordinator unreachable, 2 usage error.");
  cmd->callback([f, io, exit_code] { *exit_code = RunAb(*f, io); });
}

}  // namespace benchlab::cli
