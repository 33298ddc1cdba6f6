// `benchlab results JOB [--json|--csv] [--raw-log] [--ops [--top N]]`: GetResults (every page) as
// per-device aggregates and per-run metrics (table), the per-device operator table (--ops), the
// API's message (JSON, op rows included) or one CSV row per run.
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/ops_view.h"
#include "cli/results_view.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct ResultsFlags {
  LabOptions lab;
  std::string job_id;
  bool json = false;
  bool csv = false;
  bool raw_log = false;
  bool ops = false;  // the per-device operator table instead of the metrics
  int top = 20;      // operators per device in that table (0 = all)
};

int RunResults(const ResultsFlags& flags, const CliIo& io) {
  v1::GetResultsRequest req;
  req.set_job_id(flags.job_id);
  req.set_include_raw_log(flags.raw_log);
  // JSON carries every field, the op rows (DeviceResults.ops, Run.ops) included.
  req.set_include_ops(flags.ops || flags.json);
  v1::GetResultsResponse resp;
  if (int code = ReadAllResults(flags.lab, "results", absl::StrCat("reading results of ", flags.job_id), req,
                                &resp, io);
      code != kExitOk) {
    return code;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
  } else if (flags.ops) {
    *io.out << FormatJobSummary(resp.job()) << "\n\n" << FormatOpsTable(resp, flags.top)
            << FormatRunWarnings(resp.runs());
  } else if (flags.csv) {
    *io.out << FormatResultsCsv(resp);
  } else {
    *io.out << FormatResults(resp);
    if (flags.raw_log) {
      for (const auto& run : resp.runs()) {
        *io.out << "\n--- " << EscapeForTerminal(run.run_id()) << " (" << EscapeForTerminal(run.device_id())
                << ") raw log ---\n";
        for (const auto& line : run.raw_log()) *io.out << EscapeForTerminal(line) << "\n";
      }
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterResultsCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<ResultsFlags>();
  CLI::App* cmd = app.add_subcommand("results", "Per-device aggregates and per-run metrics of a job");
  cmd->add_option("job_id", flags->job_id, "the job, e.g. j000042")->required();
  CLI::Option* json = cmd->add_flag("--json", flags->json, "print the GetResultsResponse as JSON");
  cmd->add_flag("--csv", flags->csv, "one CSV row per run, metric columns named as in the API")->excludes(json);
  cmd->add_flag("--raw-log", flags->raw_log, "include each run's raw benchmark log lines");
  CLI::Option* ops = cmd->add_flag("--ops", flags->ops,
                                   "per device, the operators of the op profile (--enable_op_profiling=true), "
                                   "slowest first, averaged across repeats");
  ops->excludes("--csv");
  cmd->add_option("--top", flags->top, "with --ops: the N slowest operators per device (default 20, 0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->needs(ops);
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunResults(*flags, io); });
}

}  // namespace benchlab::cli
