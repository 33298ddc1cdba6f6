// `benchlab job ID [--json]`: the job's counters, every run and its conditions, read as
// GetResults pages (bounded messages, however many runs) and shown as a GetJobResponse.
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/conditions_view.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/ops_view.h"
#include "cli/provenance_view.h"
#include "cli/results_view.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct JobFlags {
  LabOptions lab;
  std::string job_id;
  bool json = false;
};

int RunJob(const JobFlags& flags, const CliIo& io) {
  v1::GetResultsRequest req;
  req.set_job_id(flags.job_id);
  v1::GetResultsResponse results;
  if (int code = ReadAllResults(flags.lab, "job", absl::StrCat("reading job ", flags.job_id), req, &results, io);
      code != kExitOk) {
    return code;
  }
  v1::GetJobResponse resp;
  resp.mutable_job()->Swap(results.mutable_job());
  resp.mutable_runs()->Swap(results.mutable_runs());
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  const v1::JobSpec& spec = resp.job().spec();
  *io.out << FormatJobSummary(resp.job()) << "\n"
          << "  model " << spec.model_sha256() << "\n  apk   " << spec.apk_sha256() << "\n  repeats "
          << spec.repeats() << ", timeout " << spec.timeout_s() << " s, retries " << spec.retries() << ", priority "
          << spec.priority() << (spec.cpus().empty() ? "" : ", cpus ") << EscapeForTerminal(spec.cpus())
          << "\n  devices " << EscapeForTerminal(absl::StrJoin(resp.job().device_ids(), ", ")) << "\n\n"
          << FormatRunsTable(spec, resp.runs()) << FormatRunWarnings(resp.runs());
  if (std::string conditions = FormatConditionsTable(resp.runs()); !conditions.empty()) {
    *io.out << "\nConditions (before->after):\n" << conditions;
  }
  if (std::string provenance = FormatProvenanceTable(resp.runs()); !provenance.empty()) {
    *io.out << "\nProvenance:\n" << provenance;
  }
  return kExitOk;
}

}  // namespace

void RegisterJobCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<JobFlags>();
  CLI::App* cmd = app.add_subcommand("job", "Show one job and all its runs");
  cmd->add_option("job_id", flags->job_id, "the job, e.g. j000042")->required();
  cmd->add_flag("--json", flags->json, "print the GetJobResponse as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunJob(*flags, io); });
}

}  // namespace benchlab::cli
