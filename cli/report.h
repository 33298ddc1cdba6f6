// `benchlab report`'s documents: one job's results (and, with --compare, the verdicts of
// CompareJobs against a baseline job) as a self-contained HTML file (inline CSS and SVG,
// no script, nothing fetched) or as Markdown for a pull-request comment. Every string
// from the lab (device names, flags, messages, log lines) is escaped for its format.
#ifndef BENCHLAB_CLI_REPORT_H_
#define BENCHLAB_CLI_REPORT_H_

#include <string>
#include <vector>

#include "benchlab/v1/lab.pb.h"

namespace benchlab::cli {

struct ReportInput {
  benchlab::v1::GetResultsResponse results;  // every page's runs in one message
  // With --compare: the baseline job (the report's job is the candidate) and the verdicts.
  std::string baseline_job_id;
  benchlab::v1::CompareJobsResponse comparison;
  std::string coordinator_version;  // shown in the footer when known
};

// What the documents plot and list, derived once so HTML and Markdown agree.
struct PhoneRuns {
  std::string device_id;
  std::vector<const benchlab::v1::Run*> runs;  // the job's runs on this phone, in order
  std::vector<const benchlab::v1::Run*> plotted;  // DONE runs that have the chart metric
};
// The metric the charts show: inference_avg_us when some run has it, else avg_us.
std::string ChartMetric(const benchlab::v1::GetResultsResponse& results);
std::vector<PhoneRuns> RunsByPhone(const benchlab::v1::GetResultsResponse& results, const std::string& metric);

// A table's plain text (header, rows); each format escapes the cells its own way.
struct DocTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
// The job's spec, one row per field set (message fields as JSON).
DocTable SpecTable(const benchlab::v1::JobSpec& spec);
// One row per device and metric with its aggregates (n, median, mean, stddev, min, max).
DocTable AggregatesTable(const benchlab::v1::GetResultsResponse& results);
// One row per run with conditions: battery temperature and level, thermal status, big
// CPU clock, before -> after.
DocTable ConditionsTable(const benchlab::v1::GetResultsResponse& results);
// The CompareJobs verdicts (compare_view.h's columns).
DocTable VerdictsTable(const benchlab::v1::CompareJobsResponse& comparison);
// One row per failed run: run, device, attempt, error class, and the message's first line;
// each format shows the whole message (its evidence lines) below the table.
DocTable FailuresTable(const benchlab::v1::GetResultsResponse& results);
std::vector<const benchlab::v1::Run*> FailedRuns(const benchlab::v1::GetResultsResponse& results);

std::string RenderHtmlReport(const ReportInput& input);
std::string RenderMarkdownReport(const ReportInput& input);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_REPORT_H_
