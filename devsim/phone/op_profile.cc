// Builds the profile tables with the tool's column layout (40-wide node type, %.3f ms,
// tab-separated), from a made-up op list whose times add up to a little under the
// measured end-to-end average.
#include "devsim/phone/op_profile.h"

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace benchlab::devsim {
namespace {

struct OpRow {
  std::string type;
  std::string name;
  double first_ms;
  double avg_ms;
  int64_t calls = 1;
};

constexpr size_t kMaxPayload = 4068 - 8;  // liblog's payload minus tag/priority bytes

std::string RowsHeader() {
  return absl::StrFormat("\t%40s\t%9s\t%9s\t%8s\t%8s\t%10s\t%s\t%s\n", "[node type]", "[first]",
                         "[avg ms]", "[%]", "[cdf%]", "[mem KB]", "[times called]", "[Name]");
}

std::string Rows(const std::vector<OpRow>& rows, double total_ms) {
  std::string out;
  double cdf = 0;
  for (const OpRow& r : rows) {
    const double pct = total_ms > 0 ? 100.0 * r.avg_ms / total_ms : 0;
    cdf += pct;
    absl::StrAppendFormat(&out, "\t%40s\t%9.3f\t%9.3f\t%7.3f%%\t%7.3f%%\t%10.3f\t%9d\t%s\n", r.type,
                          r.first_ms, r.avg_ms, pct, std::min(cdf, 100.0), 0.0, r.calls, r.name);
  }
  return out;
}

std::string Block(absl::string_view title, const std::vector<OpRow>& rows,
                  const std::string& timings) {
  double total = 0;
  for (const OpRow& r : rows) total += r.avg_ms;
  std::vector<OpRow> top = rows;
  std::stable_sort(top.begin(), top.end(),
                   [](const OpRow& a, const OpRow& b) { return a.avg_ms > b.avg_ms; });
  if (top.size() > 10) top.resize(10);

  // By node type, heaviest first.
  std::map<std::string, std::pair<int64_t, double>> by_type;
  for (const OpRow& r : rows) {
    by_type[r.type].first += 1;
    by_type[r.type].second += r.avg_ms;
  }
  std::vector<std::pair<std::string, std::pair<int64_t, double>>> types(by_type.begin(),
                                                                        by_type.end());
  std::stable_sort(types.begin(), types.end(),
                   [](const auto& a, const auto& b) { return a.second.second > b.second.second; });

  std::string out = absl::StrCat(title, "\n");
  absl::StrAppend(&out, "============================== Run Order ==============================\n",
                  RowsHeader(), Rows(rows, total), "\n");
  absl::StrAppend(&out,
                  "============================== Top by Computation Time "
                  "==============================\n",
                  RowsHeader(), Rows(top, total), "\n");
  absl::StrAppend(&out, "Number of nodes executed: ", rows.size(), "\n");
  absl::StrAppend(&out,
                  "============================== Summary by node type "
                  "==============================\n");
  absl::StrAppendFormat(&out, "\t%40s\t%9s\t%10s\t%11s\t%11s\t%10s\t%s\n", "[Node type]", "[count]",
                        "[avg ms]", "[avg %]", "[cdf %]", "[mem KB]", "[times called]");
  double cdf = 0;
  for (const auto& [type, v] : types) {
    const double pct = total > 0 ? 100.0 * v.second / total : 0;
    cdf += pct;
    absl::StrAppendFormat(&out, "\t%40s\t%9d\t%10.3f\t%10.3f%%\t%10.3f%%\t%10.3f\t%9d\n", type,
                          v.first, v.second, pct, std::min(cdf, 100.0), 0.0, v.first);
  }
  absl::StrAppend(&out, "\n", timings, "\nMemory (bytes): count=0\n", rows.size(),
                  " nodes observed\n\n");
  if (out.size() > kMaxPayload) out.resize(kMaxPayload);
  return out;
}

}  // namespace

std::vector<std::string> OpProfileMessages(const RunNumbers& n, const std::string& delegate_kernel,
                                           uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x0B5E55EDULL);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  double avg_us = 0;
  for (int64_t v : n.timed_us) avg_us += static_cast<double>(v);
  avg_us = n.timed_us.empty() ? 0 : avg_us / static_cast<double>(n.timed_us.size());
  const double ops_ms = avg_us * 0.982 / 1000.0;  // the ops' sum sits a little below end-to-end

  // Initialization events.
  std::vector<OpRow> init;
  const double init_ms = static_cast<double>(n.init_us) / 1000.0;
  if (!delegate_kernel.empty()) {
    const double m = init_ms * 0.55;
    init.push_back({"ModifyGraphWithDelegate", "ModifyGraphWithDelegate/0", m, m});
  }
  const double alloc = init_ms * (delegate_kernel.empty() ? 0.2 : 0.05);
  init.push_back({"AllocateTensors", "AllocateTensors/0", alloc, alloc});

  // Regular runs: one row per delegate kernel, or the model's ops.
  std::vector<OpRow> run;
  if (!delegate_kernel.empty()) {
    run.push_back({delegate_kernel, absl::StrCat("[delegate]:", n.total_nodes),
                   ops_ms * (1.0 + 0.02 * uni(rng)), ops_ms});
  } else {
    static const char* kCycle[] = {"CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "ADD"};
    const int nodes = std::max(3, n.total_nodes);
    std::vector<double> weights;
    std::vector<std::string> types;
    for (int i = 0; i < nodes; ++i) {
      std::string type = i == nodes - 1   ? "SOFTMAX"
                         : i == nodes - 2 ? "RESHAPE"
                         : i == nodes - 3 ? "AVERAGE_POOL_2D"
                                          : kCycle[i % 4];
      const double w = type == "CONV_2D"             ? 1.0 + uni(rng)
                       : type == "DEPTHWISE_CONV_2D" ? 0.3 + 0.3 * uni(rng)
                                                     : 0.01 + 0.05 * uni(rng);
      types.push_back(type);
      weights.push_back(w);
    }
    double wsum = 0;
    for (double w : weights) wsum += w;
    for (int i = 0; i < nodes; ++i) {
      const double avg = ops_ms * weights[i] / wsum;
      run.push_back({types[i], absl::StrCat("op_", i, "/", types[i] == "ADD" ? "add" : "Relu6"),
                     avg * (0.95 + 0.15 * uni(rng)), avg});
    }
  }
  std::vector<int64_t> op_samples;
  op_samples.reserve(n.timed_us.size());
  for (int64_t v : n.timed_us) op_samples.push_back(static_cast<int64_t>(v * 0.982));
  std::vector<int64_t> init_samples = {
      static_cast<int64_t>(init_ms * 1000 * (delegate_kernel.empty() ? 0.2 : 0.6))};
  return {
      Block("Profiling Info for Benchmark Initialization:", init,
            absl::StrCat("Timings (microseconds): ", FormatStatsLine(init_samples))),
      Block("Operator-wise Profiling Info for Regular Benchmark Runs:", run,
            absl::StrCat("Timings (microseconds): ", FormatStatsLine(op_samples))),
  };
}

}  // namespace benchlab::devsim
