// --cpus: spelling, job rules and per-phone resolution (cpu_set.h).
#include "common/flags/cpu_set.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/flags/tool_kind.h"

namespace benchlab {
namespace {

constexpr char kChoices[] = "big, little, all or a hex mask 0x1-0xffffffffffffffff (bit N = cpuN)";

// The explicit mask of "0x..."; false when it is not one.
bool ParseHexMask(absl::string_view cpus, uint64_t* mask) {
  if (!absl::StartsWithIgnoreCase(cpus, "0x")) return false;
  absl::string_view hex = cpus.substr(2);
  if (hex.empty() || hex.size() > 16) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleHexAtoi(hex, mask);
}

uint64_t Bit(int cpu) { return cpu >= 0 && cpu < 64 ? uint64_t{1} << cpu : 0; }

// "cpu0-3 (1.80 GHz), cpu4-7 (2.40 GHz)": what the phone has, for error messages.
std::string Describe(const google::protobuf::RepeatedPtrField<v1::CpuCluster>& clusters) {
  if (clusters.empty()) return "no CPU clusters were read";
  return absl::StrJoin(clusters, ", ", [](std::string* out, const v1::CpuCluster& c) {
    absl::StrAppend(out, "cpu", absl::StrJoin(c.cpus(), ","));
    if (c.has_max_freq_khz()) absl::StrAppend(out, absl::StrFormat(" (%.2f GHz)", c.max_freq_khz() / 1e6));
  });
}

}  // namespace

absl::Status CheckCpusSpec(absl::string_view cpus) {
  if (cpus.empty() || cpus == "big" || cpus == "little" || cpus == "all") return absl::OkStatus();
  uint64_t mask = 0;
  if (!ParseHexMask(cpus, &mask)) {
    return absl::InvalidArgumentError(absl::StrCat("cpus '", cpus, "' is not one of ", kChoices));
  }
  if (mask == 0) return absl::InvalidArgumentError(absl::StrCat("cpus '", cpus, "' names no CPU; want ", kChoices));
  return absl::OkStatus();
}

absl::Status CheckJobCpus(const v1::JobSpec& spec) {
  if (spec.cpus().empty()) return absl::OkStatus();
  if (absl::Status s = CheckCpusSpec(spec.cpus()); !s.ok()) return s;
  if (!IsNativeTool(spec.tool())) {
    return absl::InvalidArgumentError(
        "cpus is for the native tools (tool native or litert): the APK's activity runs as the app's uid, and "
        "Android lets the shell user set the CPU affinity of its own processes only");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ResolveCpus(absl::string_view cpus,
                                     const google::protobuf::RepeatedPtrField<v1::CpuCluster>& clusters) {
  if (absl::Status s = CheckCpusSpec(cpus); !s.ok()) return s;
  uint64_t have = 0;
  for (const v1::CpuCluster& c : clusters) {
    for (int cpu : c.cpus()) have |= Bit(cpu);
  }
  uint64_t mask = 0;
  if (cpus == "all") {
    mask = have;
  } else if (cpus == "big" || cpus == "little") {
    // Cores grouped by their hardware maximum: big is the top group (possibly several
    // clusters of one frequency), little the bottom one; one group is both.
    int32_t lo = std::numeric_limits<int32_t>::max(), hi = 0;
    for (const v1::CpuCluster& c : clusters) {
      if (!c.has_max_freq_khz() || c.max_freq_khz() <= 0) continue;
      lo = std::min(lo, c.max_freq_khz());
      hi = std::max(hi, c.max_freq_khz());
    }
    const int32_t want = cpus == "big" ? hi : lo;
    for (const v1::CpuCluster& c : clusters) {
      if (!c.has_max_freq_khz() || c.max_freq_khz() != want) continue;
      for (int cpu : c.cpus()) mask |= Bit(cpu);
    }
  } else {
    uint64_t asked = 0;
    ParseHexMask(cpus, &asked);  // checked above
    mask = asked & have;
  }
  if (mask == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cpus ", cpus, " names no CPU of this phone (", Describe(clusters), ")"));
  }
  return mask;
}

std::string FormatCpuMask(uint64_t mask) { return absl::StrFormat("0x%x", mask); }

std::string TasksetMask(uint64_t mask) { return absl::StrFormat("%x", mask); }

}  // namespace benchlab
