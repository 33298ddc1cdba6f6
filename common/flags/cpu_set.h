// CPU placement of a job (issue 11, `--cpus big|little|all|0xMASK`): the spelling's check,
// shared by the CLI and the coordinator, and its resolution into one phone's CPU mask from
// that phone's clusters (cores grouped by cpuinfo_max_freq), done by the agent.
#ifndef BENCHLAB_COMMON_FLAGS_CPU_SET_H_
#define BENCHLAB_COMMON_FLAGS_CPU_SET_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab {

// "big", "little", "all" or "0x" and 1-16 hex digits naming at least one CPU. Empty is
// fine (no pinning). InvalidArgument naming the choices otherwise.
absl::Status CheckCpusSpec(absl::string_view cpus);

// The job rules: a valid spelling, and only for the native tools (the APK's activity
// runs as the app's uid; Android lets the shell user set the affinity of its own
// processes only, so `taskset -p` on the app fails with EPERM).
absl::Status CheckJobCpus(const benchlab::v1::JobSpec& spec);

// The mask `cpus` means on a phone with `clusters` (RunConditions.cpu_clusters: each
// cluster's CPUs and cpuinfo_max_freq). big: every cluster of the highest max frequency;
// little: of the lowest; all: every CPU; an explicit mask: its CPUs that the phone has.
// FailedPrecondition, saying what the phone has, when the result names no CPU (an
// explicit mask of absent cores, or clusters not read / without max frequencies).
absl::StatusOr<uint64_t> ResolveCpus(absl::string_view cpus,
                                     const google::protobuf::RepeatedPtrField<benchlab::v1::CpuCluster>& clusters);

// "0xf0": how a resolved mask is shown and stored (Run.cpu_mask).
std::string FormatCpuMask(uint64_t mask);
// What `taskset` takes: hex digits without 0x ("f0"), which toybox and util-linux read.
std::string TasksetMask(uint64_t mask);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_FLAGS_CPU_SET_H_
