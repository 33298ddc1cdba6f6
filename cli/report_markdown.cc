// RenderMarkdownReport: GitHub-flavoured Markdown for a pull-request comment: the summary,
// the verdicts first (what a reviewer looks for), per-phone medians, failures. Every lab
// string goes through EscapeMarkdown; evidence lines sit in fenced blocks whose fence is
// longer than any run of backticks inside.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/lab_format.h"
#include "cli/report.h"
#include "cli/report_chart.h"
#include "cli/results_view.h"
#include "common/markup_text.h"
#include "common/terminal_text.h"

namespace benchlab::cli {

namespace v1 = benchlab::v1;

namespace {

// "| a | b |" with each cell escaped.
std::string Row(const std::vector<std::string>& cells) {
  std::vector<std::string> escaped;
  escaped.reserve(cells.size());
  for (const auto& c : cells) escaped.push_back(EscapeMarkdown(c));
  return absl::StrCat("| ", absl::StrJoin(escaped, " | "), " |\n");
}

void AppendTable(const DocTable& t, std::string* out, const std::string& empty_note) {
  if (t.rows.empty()) return absl::StrAppend(out, "_", EscapeMarkdown(empty_note), "_\n\n");
  absl::StrAppend(out, Row(t.header), "|", absl::StrJoin(std::vector<std::string>(t.header.size(), "---"), "|"),
                  "|\n");
  for (const auto& row : t.rows) absl::StrAppend(out, Row(row));
  absl::StrAppend(out, "\n");
}

// A fenced code block that `text` cannot close: the fence is one backtick longer than the
// longest run of backticks in it (CommonMark), and control characters are shown escaped.
void AppendFenced(const std::string& text, std::string* out) {
  const std::string shown = EscapeLinesForTerminal(text);
  size_t longest = 0, run = 0;
  for (char c : shown) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<size_t>(3, longest + 1), '`');
  absl::StrAppend(out, fence, "text\n", shown, "\n", fence, "\n\n");
}

}  // namespace

std::string RenderMarkdownReport(const ReportInput& in) {
  const v1::Job& job = in.results.job();
  std::string out = absl::StrCat("## benchlab report: job ", EscapeMarkdown(job.job_id()), "\n\n",
                                 EscapeMarkdown(FormatJobSummary(job)), "\n\n");
  if (!job.spec().description().empty()) absl::StrAppend(&out, EscapeMarkdown(job.spec().description()), "\n\n");

  if (!in.baseline_job_id.empty()) {
    absl::StrAppend(&out, "### Verdicts against job ", EscapeMarkdown(in.baseline_job_id), "\n\n",
                    "Baseline ", EscapeMarkdown(in.baseline_job_id), ", candidate ", EscapeMarkdown(job.job_id()),
                    "; change \\= candidate vs baseline\\.\n\n");
    AppendTable(VerdictsTable(in.comparison), &out, "no device has results in both jobs");
    for (const auto& d : in.comparison.baseline_only()) {
      absl::StrAppend(&out, "- only in the baseline: ", EscapeMarkdown(d), "\n");
    }
    for (const auto& d : in.comparison.candidate_only()) {
      absl::StrAppend(&out, "- only in the candidate: ", EscapeMarkdown(d), "\n");
    }
    for (const auto& w : in.comparison.warnings()) absl::StrAppend(&out, "- warning: ", EscapeMarkdown(w), "\n");
    absl::StrAppend(&out, "\n");
  }

  const std::string metric = ChartMetric(in.results);
  absl::StrAppend(&out, "### Runs per phone (", EscapeMarkdown(metric), ")\n\n");
  DocTable phones{{"DEVICE", "RUNS", "PLOTTED", "MEDIAN", "Q1", "Q3"}, {}};
  for (const PhoneRuns& p : RunsByPhone(in.results, metric)) {
    std::vector<double> values;
    for (const v1::Run* r : p.plotted) values.push_back(*MetricValue(r->metrics(), metric));
    const Spread s = SpreadOf(values);
    const bool any = !values.empty();
    phones.rows.push_back({p.device_id, absl::StrCat(p.runs.size()), absl::StrCat(p.plotted.size()),
                           any ? FormatNumber(s.median) : "-", any ? FormatNumber(s.q1) : "-",
                           any ? FormatNumber(s.q3) : "-"});
  }
  AppendTable(phones, &out, "no runs");

  absl::StrAppend(&out, "### Aggregates\n\n");
  AppendTable(AggregatesTable(in.results), &out, "no run finished with metrics");

  absl::StrAppend(&out, "### Failures\n\n");
  AppendTable(FailuresTable(in.results), &out, "no run failed");
  for (const v1::Run* r : FailedRuns(in.results)) {
    absl::StrAppend(&out, "**", EscapeMarkdown(r->run_id()), "** on ", EscapeMarkdown(r->device_id()), ":\n\n");
    AppendFenced(r->error_message(), &out);
  }
  absl::StrAppend(&out, "<details><summary>Spec</summary>\n\n");
  AppendTable(SpecTable(job.spec()), &out, "empty spec");
  absl::StrAppend(&out, "</details>\n");
  return out;
}

}  // namespace benchlab::cli
