// Tables only; cells go through Table, which escapes control characters (op and node names
// come from the phone). Operators are matched across jobs by (type, name).
#include "cli/ops_view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/lab_format.h"
#include "cli/results_view.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace v1 = benchlab::v1;

std::string FormatDelegation(const v1::Run& run) {
  if (!run.has_delegation()) return "-";
  const v1::Delegation& d = run.delegation();
  std::string out = d.delegate();
  if (d.has_nodes_delegated()) {
    absl::StrAppend(&out, " ", d.nodes_delegated());
    if (d.has_nodes_total()) absl::StrAppend(&out, "/", d.nodes_total());
  }
  if (!d.warning().empty()) return absl::StrCat("!! ", out, ": CPU run");
  if (d.has_partitions()) {
    absl::StrAppend(&out, ", ", d.partitions(), d.partitions() == 1 ? " partition" : " partitions");
  }
  return out;
}

std::string FormatRunWarnings(const google::protobuf::RepeatedPtrField<v1::Run>& runs) {
  std::string out;
  for (const v1::Run& run : runs) {
    for (const std::string& w : run.warnings()) {
      absl::StrAppend(&out, EscapeForTerminal(run.run_id()), ": warning: ", EscapeForTerminal(w), "\n");
    }
  }
  return out;
}

std::string FormatOpsTable(const v1::GetResultsResponse& results, int top) {
  const v1::JobSpec& spec = results.job().spec();
  const bool variants = spec.variants_size() == 2;
  std::vector<std::string> header = {"DEVICE", "OP TYPE", "NAME", "AVG MS", "STDDEV", "FIRST MS",
                                     "%",      "CDF %",   "CALLED", "RUNS"};
  if (variants) header.insert(header.begin() + 1, "VARIANT");
  Table table(std::move(header));
  size_t shown = 0, total = 0;
  for (const v1::DeviceResults& d : results.devices()) {
    total += d.ops_size();
    double cdf = 0;
    for (int i = 0; i < d.ops_size() && (top <= 0 || i < top); ++i) {
      const v1::OpAggregate& op = d.ops(i);
      cdf += op.percent();
      std::vector<std::string> row = {i == 0 ? d.device_id() : "", op.node_type(), op.name(),
                                      FormatNumber(op.avg_ms()), FormatNumber(op.avg_ms_stddev()),
                                      FormatNumber(op.first_ms()), FormatNumber(op.percent()),
                                      FormatNumber(cdf), absl::StrCat(op.times_called()), absl::StrCat(op.n())};
      if (variants) row.insert(row.begin() + 1, i == 0 ? VariantLetter(spec, d.variant()) : "");
      table.AddRow(std::move(row));
      ++shown;
    }
  }
  if (total == 0) {
    return "no op profile in this job's done runs (run it with --flag --enable_op_profiling=true)\n";
  }
  return absl::StrCat("Operators per device (mean over its done repeats, slowest first; ", shown, " of ", total,
                      " shown):\n", table.Render());
}

namespace {

using OpKey = std::pair<std::string, std::string>;  // type, name

std::map<std::string, const v1::DeviceResults*> FirstVariant(const v1::GetResultsResponse& r) {
  std::map<std::string, const v1::DeviceResults*> out;
  for (const v1::DeviceResults& d : r.devices()) {
    if (d.variant() == 0) out[d.device_id()] = &d;
  }
  return out;
}

}  // namespace

std::string FormatOpsComparison(const v1::GetResultsResponse& baseline, const v1::GetResultsResponse& candidate,
                                int top) {
  Table table({"DEVICE", "OP TYPE", "NAME", "BASE MS", "CAND MS", "CHANGE MS", "CHANGE %"});
  const auto cand_devices = FirstVariant(candidate);
  for (const auto& [device, base] : FirstVariant(baseline)) {
    auto it = cand_devices.find(device);
    if (it == cand_devices.end()) continue;
    struct Change {
      OpKey key;
      double base_ms = 0, cand_ms = 0;
      bool in_base = false, in_cand = false;
    };
    std::map<OpKey, Change> by_op;
    for (const v1::OpAggregate& op : base->ops()) {
      Change& c = by_op[{op.node_type(), op.name()}];
      c.base_ms = op.avg_ms();
      c.in_base = true;
    }
    for (const v1::OpAggregate& op : it->second->ops()) {
      Change& c = by_op[{op.node_type(), op.name()}];
      c.cand_ms = op.avg_ms();
      c.in_cand = true;
    }
    std::vector<Change> changes;
    for (auto& [key, c] : by_op) {
      c.key = key;
      changes.push_back(c);
    }
    std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
      return std::fabs(a.cand_ms - a.base_ms) > std::fabs(b.cand_ms - b.base_ms);
    });
    for (size_t i = 0; i < changes.size() && (top <= 0 || i < static_cast<size_t>(top)); ++i) {
      const Change& c = changes[i];
      const double delta = c.cand_ms - c.base_ms;
      table.AddRow({i == 0 ? device : "", c.key.first, c.key.second, c.in_base ? FormatNumber(c.base_ms) : "-",
                    c.in_cand ? FormatNumber(c.cand_ms) : "-", FormatNumber(delta),
                    c.in_base && c.in_cand && c.base_ms > 0 ? FormatNumber(100 * delta / c.base_ms) : "-"});
    }
  }
  if (table.empty()) {
    return "no operator to compare: both jobs need op profiles (--flag --enable_op_profiling=true) on a common phone\n";
  }
  return absl::StrCat("Operators whose time changed most (mean avg ms over done repeats; change = candidate vs baseline):\n",
                      table.Render());
}

}  // namespace benchlab::cli
