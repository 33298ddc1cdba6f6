// Rendering of CompareJobs for people; the numbers' meaning is in lab.proto
// (MetricComparison) and the rule in common/stats/verdict.h.
#include "cli/compare_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/lab_format.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {

namespace v1 = benchlab::v1;

std::string VerdictCell(const v1::MetricComparison& m) {
  if (m.verdict() == "inconclusive" && m.more_repeats() > 0) {
    return absl::StrCat("inconclusive, about ", m.more_repeats(), " more repeats would decide");
  }
  return m.verdict().empty() ? "-" : m.verdict();
}

std::vector<std::string> ComparisonHeader(const v1::CompareJobsResponse& resp) {
  return {"DEVICE", "METRIC", "BASELINE", "CANDIDATE", "N", "CHANGE",
          absl::StrFormat("%.0f%% CI", 100 * resp.ci_level()), "P (ADJ)", "VERDICT"};
}

std::vector<std::vector<std::string>> ComparisonRows(const v1::CompareJobsResponse& resp) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : resp.devices()) {
    for (const auto& m : d.metrics()) {
      rows.push_back({d.device_id(), m.metric(), FormatNumber(m.baseline().median()),
                      FormatNumber(m.candidate().median()), absl::StrCat(m.baseline().n(), "/", m.candidate().n()),
                      absl::StrFormat("%+.1f%%", m.shift_pct()),
                      absl::StrFormat("[%+.1f%%, %+.1f%%]", m.ci_low_pct(), m.ci_high_pct()),
                      absl::StrFormat("%.2g (%.2g)", m.p_value(), m.p_adjusted()), VerdictCell(m)});
    }
  }
  return rows;
}

std::string RenderComparison(const v1::CompareJobsResponse& resp) {
  Table table(ComparisonHeader(resp));
  for (auto& row : ComparisonRows(resp)) table.AddRow(std::move(row));
  std::string out = table.empty() ? "no device has results in both jobs\n" : table.Render();
  if (!resp.baseline_only().empty()) {
    absl::StrAppend(&out, EscapeForTerminal(absl::StrCat("only in the baseline: ", absl::StrJoin(resp.baseline_only(), ", "))), "\n");
  }
  if (!resp.candidate_only().empty()) {
    absl::StrAppend(&out, EscapeForTerminal(absl::StrCat("only in the candidate: ", absl::StrJoin(resp.candidate_only(), ", "))), "\n");
  }
  for (const auto& w : resp.warnings()) absl::StrAppend(&out, EscapeForTerminal(absl::StrCat("warning: ", w)), "\n");
  return out;
}

bool AnyVerdict(const v1::CompareJobsResponse& resp, const std::string& word) {
  for (const auto& d : resp.devices()) {
    for (const auto& m : d.metrics()) {
      if (m.verdict() == word) return true;
    }
  }
  return false;
}

}  // namespace benchlab::cli
