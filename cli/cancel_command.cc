// `benchlab cancel JOB [--json]`: CancelJob; runs in flight are stopped on their phones.
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/results_view.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct CancelFlags {
  LabOptions lab;
  std::string job_id;
  bool json = false;
};

int RunCancel(const CancelFlags& flags, const CliIo& io) {
  v1::CancelJobRequest req;
  req.set_job_id(flags.job_id);
  v1::CancelJobResponse resp;
  if (int code = CallLab(flags.lab, "cancel", absl::StrCat("cancelling ", flags.job_id), &v1::Lab::Stub::CancelJob,
                         req, &resp, io);
      code != kExitOk) {
    return code;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
  } else {
    *io.out << FormatJobSummary(resp.job()) << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterCancelCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<CancelFlags>();
  CLI::App* cmd = app.add_subcommand("cancel", "Cancel a job's unfinished runs (running ones stop on the phone)");
  cmd->add_option("job_id", flags->job_id, "the job, e.g. j000042")->required();
  cmd->add_flag("--json", flags->json, "print the CancelJobResponse as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunCancel(*flags, io); });
}

}  // namespace benchlab::cli
