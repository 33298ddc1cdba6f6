// `benchlab compare BASELINE CANDIDATE [--metric M ...] [--json]`: CompareJobs as one row
// per device and metric, with the coordinator's noise verdict (coordinator/aggregation.h).
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct CompareFlags {
  LabOptions lab;
  std::string baseline;
  std::string candidate;
  std::vector<std::string> metrics;
  bool json = false;
};

std::string Verdict(const v1::MetricComparison& m) {
  if (m.baseline().n() < 2 || m.candidate().n() < 2) return "too few repeats to judge";
  if (!m.significant()) return "within noise";
  return m.change_pct() < 0 ? "lower, beyond noise" : "higher, beyond noise";
}

int RunCompare(const CompareFlags& flags, const CliIo& io) {
  auto conn = LabConnection::Open(flags.lab);
  if (!conn.ok()) return ReportUsageError("compare", conn.status().message(), io);
  grpc::ClientContext ctx;
  (*conn)->PrepareUnary(&ctx);
  v1::CompareJobsRequest req;
  req.set_baseline_job_id(flags.baseline);
  req.set_candidate_job_id(flags.candidate);
  for (const auto& m : flags.metrics) req.add_metrics(m);
  v1::CompareJobsResponse resp;
  grpc::Status st = (*conn)->lab()->CompareJobs(&ctx, req, &resp);
  if (!st.ok()) {
    return ReportRpcError(st, "compare", absl::StrCat("comparing ", flags.baseline, " with ", flags.candidate),
                          flags.lab, io);
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  *io.out << "baseline " << EscapeForTerminal(flags.baseline) << ", candidate " << EscapeForTerminal(flags.candidate) << " (medians across repeats)\n";
  Table table({"DEVICE", "METRIC", "BASELINE", "CANDIDATE", "CHANGE", "NOISE", "VERDICT"});
  for (const auto& d : resp.devices()) {
    for (const auto& m : d.metrics()) {
      table.AddRow({d.device_id(), m.metric(), FormatNumber(m.baseline().median()), FormatNumber(m.candidate().median()),
                    absl::StrFormat("%+.1f%%", m.change_pct()), absl::StrFormat("%.1f%%", m.noise_pct()), Verdict(m)});
    }
  }
  if (table.empty()) {
    *io.out << "no device has results in both jobs\n";
  } else {
    *io.out << table.Render();
  }
  if (!resp.baseline_only().empty()) *io.out << "only in the baseline: " << EscapeForTerminal(absl::StrJoin(resp.baseline_only(), ", ")) << "\n";
  if (!resp.candidate_only().empty()) *io.out << "only in the candidate: " << EscapeForTerminal(absl::StrJoin(resp.candidate_only(), ", ")) << "\n";
  return kExitOk;
}

}  // namespace

void RegisterCompareCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare two jobs device by device (change and noise)");
  cmd->add_option("baseline", flags->baseline, "the reference job")->required();
  cmd->add_option("candidate", flags->candidate, "the job to judge against it")->required();
  cmd->add_option("--metric", flags->metrics,
                  "metric to compare (repeatable; default avg_us, init_us, inference_avg_us, peak_memory_mb)");
  cmd->add_flag("--json", flags->json, "print the CompareJobsResponse as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->footer("A change counts (\"beyond noise\") when |change| > noise, the larger of 1% and twice the pooled\n"
              "relative standard deviation of both jobs' repeats, and both sides have at least 2 repeats.");
  cmd->callback([flags, io, exit_code] { *exit_code = RunCompare(*flags, io); });
}

}  // namespace benchlab::cli
