// devsim --cpu-topology [INDEX=]COUNTxGHZ+COUNTxGHZ...: a phone's CPU clusters given on the
// command line (e.g. "4x1.8+4x2.4", or "4x1.8+3x2.4+1x3.0"), so phones of one devsim
// process can differ in topology; clusters in CPU order (little first), at most 64 CPUs.
#ifndef BENCHLAB_DEVSIM_PHONE_CPU_TOPOLOGY_H_
#define BENCHLAB_DEVSIM_PHONE_CPU_TOPOLOGY_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "devsim/phone/phone.h"

namespace benchlab::devsim {

// Parses the spec; *index is -1 without "INDEX=" (every phone). InvalidArgument saying
// the form otherwise. CPUs are numbered from 0 in cluster order.
absl::Status ParseCpuTopologySpec(absl::string_view spec, int* index, std::vector<CpuCluster>* clusters);

// Gives `profile` these clusters (and their core count).
void ApplyCpuTopology(const std::vector<CpuCluster>& clusters, PhoneProfile* profile);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_CPU_TOPOLOGY_H_
