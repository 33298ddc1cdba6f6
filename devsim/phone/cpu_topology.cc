// --cpu-topology parsing (cpu_topology.h).
#include "devsim/phone/cpu_topology.h"

#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace benchlab::devsim {

absl::Status ParseCpuTopologySpec(absl::string_view spec, int* index, std::vector<CpuCluster>* clusters) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--cpu-topology '", spec, "': ", why,
                                                   " (want [INDEX=]COUNTxGHZ+COUNTxGHZ..., e.g. 0=4x1.8+4x2.4)"));
  };
  *index = -1;
  clusters->clear();
  absl::string_view rest = spec;
  if (const size_t eq = rest.find('='); eq != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(0, eq), index) || *index < 0) return bad("INDEX must be a phone number");
    rest.remove_prefix(eq + 1);
  }
  int cpus = 0;
  for (absl::string_view part : absl::StrSplit(rest, '+')) {
    std::vector<absl::string_view> count_ghz = absl::StrSplit(part, absl::MaxSplits('x', 1));
    int count = 0;
    double ghz = 0;
    if (count_ghz.size() != 2 || !absl::SimpleAtoi(count_ghz[0], &count) || !absl::SimpleAtod(count_ghz[1], &ghz)) {
      return bad(absl::StrCat("'", part, "' is not COUNTxGHZ"));
    }
    if (count < 1 || count > 64) return bad("a cluster has 1-64 CPUs");
    if (!(ghz >= 0.1 && ghz <= 10)) return bad("a cluster's max frequency is 0.1-10 GHz");
    // Like the catalogue's phones: the little cluster idles lower than the others.
    clusters->push_back(CpuCluster{cpus, count, clusters->empty() ? 300000 : 500000,
                                   static_cast<int64_t>(std::llround(ghz * 1e6))});
    cpus += count;
  }
  if (cpus > 64) return bad("at most 64 CPUs");
  return absl::OkStatus();
}

void ApplyCpuTopology(const std::vector<CpuCluster>& clusters, PhoneProfile* profile) {
  profile->clusters = clusters;
  profile->cores = 0;
  for (const CpuCluster& c : clusters) profile->cores += c.count;
}

}  // namespace benchlab::devsim
