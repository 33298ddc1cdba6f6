// How `benchlab compare` shows a CompareJobsResponse: one table row per device and
// metric with the medians, repeats, change and its interval, p-values and the verdict.
#ifndef BENCHLAB_CLI_COMPARE_VIEW_H_
#define BENCHLAB_CLI_COMPARE_VIEW_H_

#include <string>
#include <vector>

#include "benchlab/v1/lab.pb.h"

namespace benchlab::cli {

// The verdict cell: "faster", "slower", "same", or "inconclusive, about N more repeats
// would decide" (the word first, exactly as in JSON).
std::string VerdictCell(const benchlab::v1::MetricComparison& m);

// The table's header and rows, unescaped (the report escapes them for HTML/Markdown):
// device, metric, medians, repeats, change, its interval, p-values, VerdictCell.
std::vector<std::string> ComparisonHeader(const benchlab::v1::CompareJobsResponse& resp);
std::vector<std::vector<std::string>> ComparisonRows(const benchlab::v1::CompareJobsResponse& resp);

// The table (header and rows; control characters escaped), the devices only one job
// has, and one "warning: ..." line per warning. "no device has results in both jobs"
// when there is nothing to compare.
std::string RenderComparison(const benchlab::v1::CompareJobsResponse& resp);

// Whether any device's metric has this verdict word.
bool AnyVerdict(const benchlab::v1::CompareJobsResponse& resp, const std::string& word);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_COMPARE_VIEW_H_
