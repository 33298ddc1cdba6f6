// Picks the regular runs' profile block and the run's delegate out of everything the
// parser kept; the warning's wording is what `results` shows, so it names the delegate,
// the count and what the figures then mean.
#include "agent/run/op_profile_proto.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/op_rows.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

// "TfLiteGpuDelegateV2" is the GPU delegate's kernel: the name, lower-cased, inside the
// lower-cased kernel.
bool KernelOf(const std::string& delegate, const std::string& kernel) {
  return !delegate.empty() && absl::StrContains(absl::AsciiStrToLower(kernel), absl::AsciiStrToLower(delegate));
}

void CopyReplacement(const DelegateReplacement& rep, v1::Delegation* d) {
  d->set_kernel(rep.kernel);
  if (rep.nodes_replaced) d->set_nodes_delegated(*rep.nodes_replaced);
  if (rep.nodes_total) d->set_nodes_total(*rep.nodes_total);
  if (rep.partitions) d->set_partitions(*rep.partitions);
}

}  // namespace

std::vector<v1::OpProfileRow> OpRowsOf(const BenchmarkResult& r) {
  const OpProfile* chosen = nullptr;
  for (const OpProfile& p : r.op_profiles) {
    if (!absl::StrContains(p.title, "Initialization")) chosen = &p;
  }
  std::vector<v1::OpProfileRow> out;
  if (chosen == nullptr) return out;
  for (const OpProfileRow& row : chosen->run_order) {
    if (out.size() >= kMaxOpRowsPerRun) break;
    v1::OpProfileRow& o = out.emplace_back();
    o.set_node_type(row.node_type);
    o.set_name(row.name);
    o.set_first_ms(row.first_ms.value_or(0));
    o.set_avg_ms(row.avg_ms.value_or(0));
    o.set_percent(row.percent.value_or(0));
    o.set_cdf_percent(row.cdf_percent.value_or(0));
    o.set_mem_kb(row.mem_kb.value_or(0));
    o.set_times_called(row.times_called.value_or(0));
  }
  return out;
}

std::optional<v1::Delegation> DelegationOf(const BenchmarkResult& r) {
  v1::Delegation d;
  if (!r.delegates.empty()) {
    const DelegateApplication& app = r.delegates.back();
    d.set_delegate(app.name);
    d.set_execution(app.execution);
    if (app.execution == "not_executed") {
      d.set_nodes_delegated(0);
    } else {
      for (auto it = r.delegate_replacements.rbegin(); it != r.delegate_replacements.rend(); ++it) {
        if (KernelOf(app.name, it->kernel)) {
          CopyReplacement(*it, &d);
          break;
        }
      }
    }
  } else if (!r.delegate_replacements.empty()) {
    const DelegateReplacement& rep = r.delegate_replacements.back();
    d.set_delegate(rep.kernel);
    CopyReplacement(rep, &d);
  } else {
    // Asked for by the flags, yet no line says it applied: it took nothing.
    static constexpr std::pair<const char*, const char*> kAsked[] = {
        {"Use gpu", "GPU"}, {"Use NNAPI", "NNAPI"}, {"Use Hexagon", "Hexagon"}, {"Use xnnpack", "XNNPACK"}};
    for (const auto& [echo, name] : kAsked) {
      if (r.param_on(echo)) {
        d.set_delegate(name);
        d.set_nodes_delegated(0);
        break;
      }
    }
    if (d.delegate().empty()) return std::nullopt;
  }
  if (d.has_nodes_delegated() && d.nodes_delegated() == 0) {
    d.set_warning(absl::StrCat(d.delegate(), " delegate took 0",
                               d.has_nodes_total() ? absl::StrCat(" of ", d.nodes_total()) : "",
                               " nodes: the model ran on the CPU, so the figures are the CPU's"));
  }
  return d;
}

void FillOpsAndDelegation(const BenchmarkResult& r, v1::RunResult* out) {
  for (v1::OpProfileRow& row : OpRowsOf(r)) *out->add_ops() = std::move(row);
  for (const OpProfile& p : r.op_profiles) {
    if (p.ended || !absl::StartsWith(p.title, "Operator-wise")) continue;
    out->add_warnings(absl::StrCat("the op profile was cut off in the log (logcat keeps about 4 KB of one message): ",
                                   out->ops_size(), " operator rows kept"));
    break;
  }
  if (auto d = DelegationOf(r)) {
    if (!d->warning().empty()) out->add_warnings(d->warning());
    *out->mutable_delegation() = std::move(*d);
  }
}

}  // namespace benchlab::agent
