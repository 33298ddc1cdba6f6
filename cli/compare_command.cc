// `benchlab compare BASELINE CANDIDATE [--metric M ...] [--threshold PCT] [--fail-on V]
// [--json] [--ops [--top N]]`: CompareJobs as one row per device and metric with the
// coordinator's verdict (common/stats/verdict.h); exit 6 when --fail-on names a verdict some
// phone got. --ops adds the operators whose time changed most (both jobs' op aggregates).
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/compare_view.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/ops_view.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct CompareFlags {
  LabOptions lab;
  std::string baseline;
  std::string candidate;
  std::vector<std::string> metrics;
  double threshold_pct = 0;  // 0 = the coordinator's default (2 %)
  std::string fail_on;
  bool json = false;
  bool ops = false;  // also the operators whose time changed most
  int top = 10;
};

// Both jobs' results with their op aggregates, then the operators that changed most.
int PrintOpsComparison(const CompareFlags& flags, const CliIo& io) {
  v1::GetResultsResponse sides[2];
  const std::string* ids[2] = {&flags.baseline, &flags.candidate};
  for (int i = 0; i < 2; ++i) {
    v1::GetResultsRequest req;
    req.set_job_id(*ids[i]);
    req.set_include_ops(true);
    if (int rc = ReadAllResults(flags.lab, "compare", absl::StrCat("reading the op profiles of ", *ids[i]), req,
                                &sides[i], io);
        rc != kExitOk) {
      return rc;
    }
  }
  *io.out << "\n" << FormatOpsComparison(sides[0], sides[1], flags.top);
  return kExitOk;
}

int RunCompare(const CompareFlags& flags, const CliIo& io) {
  v1::CompareJobsRequest req;
  req.set_baseline_job_id(flags.baseline);
  req.set_candidate_job_id(flags.candidate);
  for (const auto& m : flags.metrics) req.add_metrics(m);
  req.set_threshold_pct(flags.threshold_pct);
  v1::CompareJobsResponse resp;
  if (int rc = CallLab(flags.lab, "compare", absl::StrCat("comparing ", flags.baseline, " with ", flags.candidate),
                       &v1::Lab::Stub::CompareJobs, req, &resp, io);
      rc != kExitOk) {
    return rc;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
  } else {
    *io.out << "baseline " << EscapeForTerminal(flags.baseline) << ", candidate "
            << EscapeForTerminal(flags.candidate) << " (medians across repeats; change = candidate vs baseline)\n"
            << RenderComparison(resp);
    if (flags.ops) {
      if (int rc = PrintOpsComparison(flags, io); rc != kExitOk) return rc;
    }
  }
  if (!flags.fail_on.empty() && AnyVerdict(resp, flags.fail_on)) {
    *io.err << "benchlab compare: a phone's verdict is " << flags.fail_on << " (--fail-on " << flags.fail_on
            << "): exit " << kExitVerdict << "\n";
    return kExitVerdict;
  }
  return kExitOk;
}

}  // namespace

void RegisterCompareCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare two jobs device by device: faster, slower, same or inconclusive");
  cmd->add_option("baseline", flags->baseline, "the reference job")->required();
  cmd->add_option("candidate", flags->candidate, "the job to judge against it")->required();
  cmd->add_option("--metric", flags->metrics,
                  "metric to compare (repeatable; default inference_avg_us; avg_us is the same measurement)");
  cmd->add_option("--threshold", flags->threshold_pct,
                  "PCT: a change whose confidence interval lies inside +-PCT is `same` (default 2)")
      ->check(CLI::Range(0.01, 50.0));
  cmd->add_option("--fail-on", flags->fail_on, "exit 6 when any phone's verdict is this (e.g. slower)")
      ->check(CLI::IsMember({"slower", "faster", "inconclusive", "same"}));
  CLI::Option* json = cmd->add_flag("--json", flags->json, "print the CompareJobsResponse as JSON");
  CLI::Option* ops = cmd->add_flag("--ops", flags->ops,
                                   "also the operators (op profiles) whose mean time changed most, per device");
  ops->excludes(json);
  cmd->add_option("--top", flags->top, "with --ops: the N operators that changed most per device (default 10, 0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->needs(ops);
  AddLabOptions(cmd, &flags->lab);
  cmd->footer(
      "Per device: Mann-Whitney U test of the repeats and the Hodges-Lehmann change with its 95% interval,\n"
      "p-values Holm-corrected over every row. same: the interval lies inside +-threshold (needs >= 4\n"
      "repeats a side); slower/faster: corrected p < 0.01 and the interval above/below 0; otherwise\n"
      "inconclusive, with about how many more repeats per side would decide. Warnings say when the\n"
      "jobs differ in more than the model (flags, APK, cooldown).");
  cmd->callback([flags, io, exit_code] { *exit_code = RunCompare(*flags, io); });
}

}  // namespace benchlab::cli
