// RenderHtmlReport: one HTML5 file, inline <style> and <svg>, no <script>, no link to
// anything outside the file. Every lab string goes through EscapeHtml.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/lab_format.h"
#include "cli/report.h"
#include "cli/report_chart.h"
#include "cli/results_view.h"
#include "common/markup_text.h"
#include "common/version.h"

namespace benchlab::cli {

namespace v1 = benchlab::v1;

namespace {

constexpr char kStyle[] = R"(
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
pre { background: #f7f7f7; padding: 0.5em; overflow-x: auto; white-space: pre-wrap; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
.runs-chart .frame { fill: none; stroke: #999; }
.runs-chart .spread { fill: #cfe3f7; }
.runs-chart .median { stroke: #1f5fa8; stroke-width: 2; }
.runs-chart .run { fill: #d2691e; stroke: #fff; }
.runs-chart text { font-size: 11px; fill: #444; }
.note { color: #666; font-size: 0.9em; }
)";

void AppendTable(const DocTable& t, std::string* out, const std::string& empty_note) {
  if (t.rows.empty()) {
    absl::StrAppend(out, "<p class=\"note\">", EscapeHtml(empty_note), "</p>\n");
    return;
  }
  absl::StrAppend(out, "<table>\n<tr>");
  for (const auto& h : t.header) absl::StrAppend(out, "<th>", EscapeHtml(h), "</th>");
  absl::StrAppend(out, "</tr>\n");
  for (const auto& row : t.rows) {
    absl::StrAppend(out, "<tr>");
    for (const auto& cell : row) absl::StrAppend(out, "<td>", EscapeHtml(cell), "</td>");
    absl::StrAppend(out, "</tr>\n");
  }
  absl::StrAppend(out, "</table>\n");
}

}  // namespace

std::string RenderHtmlReport(const ReportInput& in) {
  const v1::Job& job = in.results.job();
  const std::string job_id = EscapeHtml(job.job_id());
  std::string out = absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                                 "<title>benchlab report: job ", job_id, "</title>\n<style>", kStyle,
                                 "</style>\n</head>\n<body>\n<h1>benchlab report: job ", job_id, "</h1>\n");
  absl::StrAppend(&out, "<p>", EscapeHtml(FormatJobSummary(job)), "</p>\n");
  if (!job.spec().description().empty()) {
    absl::StrAppend(&out, "<p>", EscapeHtml(job.spec().description()), "</p>\n");
  }

  absl::StrAppend(&out, "<h2>Spec</h2>\n");
  AppendTable(SpecTable(job.spec()), &out, "empty spec");

  const std::string metric = ChartMetric(in.results);
  absl::StrAppend(&out, "<h2>Runs per phone</h2>\n<p class=\"note\">Each point is one run's ", EscapeHtml(metric),
                  " (lower is better); the line is the median, the band the middle half of the runs.</p>\n"
                  "<div class=\"charts\">\n");
  for (const PhoneRuns& p : RunsByPhone(in.results, metric)) {
    RunsChart chart{p.device_id, metric, {}};
    for (const v1::Run* r : p.plotted) {
      const double v = *MetricValue(r->metrics(), metric);
      chart.points.push_back({v, absl::StrCat(r->run_id(), ": ", FormatNumber(v))});
    }
    absl::StrAppend(&out, "<figure>\n");
    if (chart.points.empty()) {
      absl::StrAppend(&out, "<p class=\"note\">", EscapeHtml(p.device_id), ": no run with ", EscapeHtml(metric),
                      "</p>\n");
    } else {
      absl::StrAppend(&out, RenderRunsChart(chart));
    }
    absl::StrAppend(&out, "<figcaption>", EscapeHtml(p.device_id), ": ", p.plotted.size(), " of ", p.runs.size(),
                    " runs plotted</figcaption>\n</figure>\n");
  }
  absl::StrAppend(&out, "</div>\n");

  absl::StrAppend(&out, "<h2>Aggregates</h2>\n");
  AppendTable(AggregatesTable(in.results), &out, "no run finished with metrics");

  absl::StrAppend(&out, "<h2>Conditions</h2>\n");
  AppendTable(ConditionsTable(in.results), &out, "no run reported its phone's conditions");

  if (!in.baseline_job_id.empty()) {
    absl::StrAppend(&out, "<h2>Compared with job ", EscapeHtml(in.baseline_job_id), "</h2>\n",
                    "<p class=\"note\">Baseline ", EscapeHtml(in.baseline_job_id), ", candidate ", job_id,
                    "; change = candidate vs baseline (Hodges-Lehmann shift, Mann-Whitney U, Holm-adjusted).</p>\n");
    DocTable verdicts = VerdictsTable(in.comparison);
    AppendTable(verdicts, &out, "no device has results in both jobs");
    for (const auto& d : in.comparison.baseline_only()) {
      absl::StrAppend(&out, "<p class=\"note\">only in the baseline: ", EscapeHtml(d), "</p>\n");
    }
    for (const auto& d : in.comparison.candidate_only()) {
      absl::StrAppend(&out, "<p class=\"note\">only in the candidate: ", EscapeHtml(d), "</p>\n");
    }
    for (const auto& w : in.comparison.warnings()) {
      absl::StrAppend(&out, "<p class=\"note\">warning: ", EscapeHtml(w), "</p>\n");
    }
  }

  absl::StrAppend(&out, "<h2>Failures</h2>\n");
  AppendTable(FailuresTable(in.results), &out, "no run failed");
  for (const v1::Run* r : FailedRuns(in.results)) {
    absl::StrAppend(&out, "<h3>", EscapeHtml(r->run_id()), " on ", EscapeHtml(r->device_id()), ": ",
                    EscapeHtml(ErrorClassName(r->error_class())), "</h3>\n<pre class=\"evidence\">",
                    EscapeHtmlLines(r->error_message()), "</pre>\n");
  }

  absl::StrAppend(&out, "<p class=\"note\">Written by benchlab ", EscapeHtml(kVersion));
  if (!in.coordinator_version.empty()) {
    absl::StrAppend(&out, " from coordinator ", EscapeHtml(in.coordinator_version));
  }
  absl::StrAppend(&out, ".</p>\n</body>\n</html>\n");
  return out;
}

}  // namespace benchlab::cli
