// Only metrics some run reported get a column, so a CPU-only job is not a wall of dashes.
#include "cli/results_view.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/conditions_view.h"
#include "cli/lab_format.h"
#include "cli/provenance_view.h"
#include "cli/ops_view.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace v1 = benchlab::v1;

namespace {

// RFC 4180 quoting, only when needed (ids normally need none), of the cell with its
// control characters escaped (CSV goes to terminals too).
std::string CsvCell(const std::string& raw) {
  const std::string cell = EscapeForTerminal(raw);
  if (cell.find_first_of(",\"") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string FormatJobSummary(const v1::Job& job) {
  std::string state = job.cancelled() ? "cancelled" : job.finished_unix_ms() != 0 ? "finished" : "running";
  std::string out = absl::StrCat("job ", EscapeForTerminal(job.job_id()), " ", state, ": ", job.runs_total(), " runs on ",
                                 job.device_ids_size(), " devices, ", job.runs_done(), " done, ",
                                 job.runs_failed(), " failed, ", job.runs_cancelled(), " cancelled");
  if (job.runs_active() > 0) absl::StrAppend(&out, ", ", job.runs_active(), " active");
  if (job.runs_queued() > 0) absl::StrAppend(&out, ", ", job.runs_queued(), " queued");
  absl::StrAppend(&out, " (submitted");
  if (!job.submitted_by().empty()) absl::StrAppend(&out, " by ", EscapeForTerminal(job.submitted_by()));
  absl::StrAppend(&out, " ", FormatUnixMs(job.created_unix_ms()), ")");
  if (!job.spec().description().empty()) absl::StrAppend(&out, "\n  ", EscapeForTerminal(job.spec().description()));
  return out;
}

namespace {

// The metrics a person compares at a glance; CSV and JSON carry all of MetricNames().
const std::vector<std::string>& TableMetrics() {
  static const auto* names = new std::vector<std::string>{"avg_us",           "std_us", "init_us", "first_inference_us",
                                                          "inference_avg_us", "peak_memory_mb"};
  return *names;
}

}  // namespace

std::string VariantLetter(const v1::JobSpec& spec, int variant) {
  if (spec.variants_size() != 2) return "";
  return variant == 0 ? "A" : variant == 1 ? "B" : absl::StrCat(variant);
}

std::string FormatRunsTable(const v1::JobSpec& spec, const google::protobuf::RepeatedPtrField<v1::Run>& runs) {
  const bool variants = spec.variants_size() == 2;
  std::vector<std::string> metrics;
  for (const auto& name : TableMetrics()) {
    for (const auto& run : runs) {
      if (MetricValue(run.metrics(), name)) {
        metrics.push_back(name);
        break;
      }
    }
  }
  // The delegate column only when some run applied (or asked for) one.
  const bool delegation =
      std::any_of(runs.begin(), runs.end(), [](const v1::Run& run) { return run.has_delegation(); });
  std::vector<std::string> header = {"RUN", "DEVICE", "REPEAT", "ATTEMPT", "STATE", "ERROR"};
  if (variants) header.insert(header.begin() + 2, "VARIANT");
  // --cpus: the mask each run's phone resolved it to.
  const bool cpus = AnyCpuMask(runs);
  if (cpus) header.push_back("CPUS");
  if (delegation) header.push_back("DELEGATE");
  header.insert(header.end(), metrics.begin(), metrics.end());
  Table table(std::move(header));
  for (const auto& run : runs) {
    std::string error = ErrorClassName(run.error_class());
    std::vector<std::string> row = {run.run_id(),
                                    run.device_id(),
                                    absl::StrCat(run.repeat()),
                                    absl::StrCat(run.attempt()),
                                    RunStateName(run.state()),
                                    error.empty() ? "-" : error};
    if (variants) row.insert(row.begin() + 2, VariantLetter(spec, run.variant()));
    if (cpus) row.push_back(run.cpu_mask().empty() ? "-" : run.cpu_mask());
    if (delegation) row.push_back(FormatDelegation(run));
    for (const auto& name : metrics) {
      auto v = MetricValue(run.metrics(), name);
      row.push_back(v ? FormatNumber(*v) : "-");
    }
    table.AddRow(std::move(row));
  }
  return table.Render();
}

std::string FormatDeviceAggregates(const v1::JobSpec& spec,
                                   const google::protobuf::RepeatedPtrField<v1::DeviceResults>& devices) {
  const bool variants = spec.variants_size() == 2;
  std::vector<std::string> header = {"DEVICE", "DONE", "FAILED", "METRIC", "N", "MEDIAN", "MEAN", "STDDEV", "MIN", "MAX"};
  if (variants) header.insert(header.begin() + 1, "VARIANT");
  Table table(std::move(header));
  // In a variant job the device's name only on its first variant's first line.
  std::string previous_device;
  for (const auto& d : devices) {
    const bool new_device = d.device_id() != previous_device;
    previous_device = d.device_id();
    auto add = [&](bool first, std::vector<std::string> row) {
      if (variants) row.insert(row.begin() + 1, first ? VariantLetter(spec, d.variant()) : "");
      if (!first || !new_device) row[0] = "";
      table.AddRow(std::move(row));
    };
    if (d.aggregates().empty()) {
      add(true, {d.device_id(), absl::StrCat(d.runs_done()), absl::StrCat(d.runs_failed()), "-"});
      continue;
    }
    bool first = true;
    for (const auto& name : TableMetrics()) {
      auto it = std::find_if(d.aggregates().begin(), d.aggregates().end(),
                             [&](const v1::Aggregate& a) { return a.metric() == name; });
      if (it == d.aggregates().end()) continue;
      const v1::Aggregate& a = *it;
      // The device columns only on its first line, so each device reads as one block.
      add(first, {d.device_id(), first ? absl::StrCat(d.runs_done()) : "", first ? absl::StrCat(d.runs_failed()) : "",
                  a.metric(), absl::StrCat(a.n()), FormatNumber(a.median()), FormatNumber(a.mean()),
                  FormatNumber(a.stddev()), FormatNumber(a.min()), FormatNumber(a.max())});
      first = false;
    }
  }
  return table.Render();
}

std::string FormatResults(const v1::GetResultsResponse& results) {
  std::string out = absl::StrCat(FormatJobSummary(results.job()), "\n");
  if (!results.devices().empty()) {
    const v1::JobSpec& spec = results.job().spec();
    absl::StrAppend(&out, "\nPer device", spec.variants_size() == 2 ? " and variant" : "",
                    " (across its done repeats):\n", FormatDeviceAggregates(spec, results.devices()));
    for (int i = 0; i < spec.variants_size() && spec.variants_size() == 2; ++i) {
      absl::StrAppend(&out, "  ", VariantLetter(spec, i), ": ", EscapeForTerminal(spec.variants(i).label()), "\n");
    }
  }
  absl::StrAppend(&out, "\nRuns:\n", FormatRunsTable(results.job().spec(), results.runs()),
                  FormatRunWarnings(results.runs()));
  if (std::string conditions = FormatConditionsTable(results.runs()); !conditions.empty()) {
    absl::StrAppend(&out, "\nConditions (before->after):\n", conditions);
  }
  if (std::string provenance = FormatProvenanceTable(results.runs()); !provenance.empty()) {
    absl::StrAppend(&out, "\nProvenance:\n", provenance);
  }
  // Issue 11: how many runs' numbers came from their result file, and how it compared.
  std::map<std::string, int> result_files;
  for (const auto& run : results.runs()) {
    if (std::string rf = ResultFileStatusName(run.result_file_status()); !rf.empty()) ++result_files[rf];
  }
  if (!result_files.empty()) {
    std::vector<std::string> parts;
    for (const auto& [name, n] : result_files) parts.push_back(absl::StrCat(name, " ", n));
    absl::StrAppend(&out, "Result files: ", absl::StrJoin(parts, ", "), "\n");
  }
  absl::StrAppend(&out, "(every metric and condition: --csv or --json)\n");
  for (const auto& run : results.runs()) {
    if (run.state() == v1::RUN_STATE_FAILED && !run.error_message().empty()) {
      absl::StrAppend(&out, EscapeForTerminal(run.run_id()), ": ", ErrorClassName(run.error_class()), ": ",
                      EscapeForTerminal(run.error_message()), "\n");
    }
    // Issue 11: a result file that disagrees with the log, or that was asked for and not
    // taken, is said, never dropped.
    if (!run.result_file_note().empty()) {
      absl::StrAppend(&out, EscapeForTerminal(run.run_id()), ": result file ",
                      ResultFileStatusName(run.result_file_status()), ": ",
                      EscapeForTerminal(run.result_file_note()), "\n");
    }
    if (!run.conditions_not_met().empty()) {  // started past its gate's timeout
      absl::StrAppend(&out, EscapeForTerminal(run.run_id()), ": started without its run conditions: ",
                      EscapeForTerminal(run.conditions_not_met()), "\n");
    }
  }
  return out;
}

std::string FormatResultsCsv(const v1::GetResultsResponse& results) {
  std::vector<std::string> header = {"job_id", "run_id", "device_id", "repeat", "attempt", "state", "error_class"};
  header.insert(header.end(), MetricNames().begin(), MetricNames().end());
  header.insert(header.end(), ConditionsCsvHeader().begin(), ConditionsCsvHeader().end());
  header.push_back("variant");
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\n");
  for (const auto& run : results.runs()) {
    std::vector<std::string> row = {CsvCell(run.job_id()), CsvCell(run.run_id()), CsvCell(run.device_id()),
                                    absl::StrCat(run.repeat()),
                                    absl::StrCat(run.attempt()), RunStateName(run.state()),
                                    ErrorClassName(run.error_class())};
    for (const auto& name : MetricNames()) {
      auto v = MetricValue(run.metrics(), name);
      row.push_back(v ? FormatNumber(*v) : "");
    }
    for (const std::string& value : ConditionsCsvValues(run)) row.push_back(CsvCell(value));
    row.push_back(VariantLetter(results.job().spec(), run.variant()));
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\n");
  }
  return out;
}

}  // namespace benchlab::cli
