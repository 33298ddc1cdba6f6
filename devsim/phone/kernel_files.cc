// The kernel files a phone's shell user can read about its run conditions, generated at each
// read from the thermal model, the battery and the profile:
//   /proc/meminfo                                (fs/proc/meminfo.c: "%-16s%8lu kB" rows;
//                                                 MemAvailable from Linux 3.14, so not on the
//                                                 3.4/3.10 kernels of Android 5.x-6.0)
//   /sys/class/thermal/thermal_zoneN/{type,temp} (drivers/thermal/thermal_sysfs.c: temp in
//                                                 millidegrees Celsius, "%d\n")
//   /sys/devices/system/cpu/{online,possible,present}       ("0-7\n", cpumap lists)
//   /sys/devices/system/cpu/cpuN/cpufreq/{scaling_cur_freq, scaling_max_freq,
//     scaling_min_freq, cpuinfo_max_freq, cpuinfo_min_freq, scaling_governor,
//     related_cpus, affected_cpus}              (drivers/cpufreq/cpufreq.c: kHz "%u\n";
//                                                 related_cpus "0 1 2 3\n")
// Zone names follow the SoC vendor's thermal HAL config (QTI "cpu-N-0-usr", Google Tensor
// "LITTLE"/"MID"/"BIG", others "cpu-little"...).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/phone_state.h"
#include "devsim/phone/thermal.h"

namespace benchlab::devsim {
namespace {

constexpr int64_t kSysfsSize = 4096;  // what stat says of a sysfs attribute
constexpr int64_t kOppStepKhz = 9600;  // throttled caps land on a multiple of this

std::string ClusterZoneName(const PhoneProfile& p, size_t cluster) {
  const size_t n = p.clusters.size();
  if (absl::StartsWith(p.soc_model, "SM")) return absl::StrCat("cpu-", cluster, "-0-usr");
  static constexpr const char* kTensor[] = {"LITTLE", "MID", "BIG"};
  static constexpr const char* kOther[] = {"cpu-little", "cpu-mid", "cpu-big"};
  const size_t role = cluster == 0 ? 0 : (cluster + 1 == n ? 2 : 1);
  return absl::StartsWith(p.soc_model, "Tensor") ? kTensor[role] : kOther[role];
}

// The frequency cap of a cluster now: the little cluster is never throttled.
int64_t ClusterMaxKhz(const CpuCluster& c, size_t index, double big_factor) {
  if (index == 0 || big_factor >= 1.0) return c.max_khz;
  const auto capped = static_cast<int64_t>(static_cast<double>(c.max_khz) * big_factor);
  return std::max(c.min_khz, capped / kOppStepKhz * kOppStepKhz);
}

std::string MemInfo(PhoneState& phone) {
  const PhoneProfile& p = phone.profile();
  const int64_t total = p.mem_total_kb;
  // Pushed files live in the page cache; a running benchmark holds about 300 MB.
  const int64_t files_kb = phone.fs().total_file_bytes() / 1024;
  const int64_t cached = total / 4 + files_kb;
  const int64_t free_kb = std::max<int64_t>(total / 50, total / 6 - files_kb / 2);
  const int64_t available = std::max<int64_t>(free_kb, total * 42 / 100 - files_kb / 4);
  std::vector<std::pair<const char*, int64_t>> rows = {
      {"MemTotal", total},        {"MemFree", free_kb},         {"MemAvailable", available},
      {"Buffers", total / 400},   {"Cached", cached},           {"SwapCached", 12840},
      {"Active", total / 5},      {"Inactive", total / 4},      {"Active(anon)", total / 10},
      {"Inactive(anon)", total / 40}, {"Active(file)", total / 10}, {"Inactive(file)", total / 5},
      {"Unevictable", 168524},    {"Mlocked", 168524},          {"SwapTotal", 4194300},
      {"SwapFree", 3876544},      {"Dirty", 212},               {"Writeback", 0},
      {"AnonPages", total / 8},   {"Mapped", total / 9},        {"Shmem", 28644},
      {"Slab", 412316},           {"SReclaimable", 150880},     {"SUnreclaim", 261436},
      {"KernelStack", 78896},     {"PageTables", 142512},       {"CommitLimit", total / 2 + 4194300},
      {"Committed_AS", total * 13 / 10}, {"VmallocTotal", 263061440}, {"VmallocUsed", 231468},
      {"VmallocChunk", 0},
  };
  const bool has_available = p.sdk >= 24;
  std::string out;
  for (const auto& [name, kb] : rows) {
    if (!has_available && absl::string_view(name) == "MemAvailable") continue;
    absl::StrAppendFormat(&out, "%-16s%8d kB\n", absl::StrCat(name, ":"), kb);
  }
  return out;
}

}  // namespace

void AddKernelFiles(PhoneState& phone) {
  const PhoneProfile& p = phone.profile();
  Vfs& fs = phone.fs();
  Thermal* thermal = &phone.thermal();
  PhoneState* state = &phone;
  auto add = [&fs](const std::string& path, std::function<std::string()> gen, int64_t size) {
    (void)fs.AddGenerated(path, 0444, std::move(gen), size);
  };
  add("/proc/meminfo", [state] { return MemInfo(*state); }, 0);

  // Thermal zones: the battery, the skin, then one per CPU cluster (little runs cooler).
  std::vector<std::pair<std::string, std::function<double()>>> zones;
  zones.emplace_back("battery", [thermal] { return thermal->battery_c(); });
  zones.emplace_back(absl::StartsWith(p.soc_model, "SM") ? "xo-therm" : "skin",
                     [thermal] { return thermal->skin_c(); });
  for (size_t i = 0; i < p.clusters.size(); ++i) {
    const double offset = i == 0 ? -2.0 : (i + 1 == p.clusters.size() ? 1.5 : 0.0);
    zones.emplace_back(ClusterZoneName(p, i),
                       [thermal, offset] { return thermal->soc_c() + offset; });
  }
  for (size_t z = 0; z < zones.size(); ++z) {
    const std::string dir = absl::StrCat("/sys/class/thermal/thermal_zone", z);
    const std::string type = zones[z].first + "\n";
    add(dir + "/type", [type] { return type; }, kSysfsSize);
    std::function<double()> temp = zones[z].second;
    add(dir + "/temp", [temp] { return absl::StrCat(std::lround(temp() * 1000), "\n"); },
        kSysfsSize);
  }

  // CPUs: every core online; each core's cpufreq shows its cluster's policy.
  const std::string range = absl::StrCat("0-", p.cores - 1, "\n");
  for (const char* name : {"online", "possible", "present"}) {
    add(absl::StrCat("/sys/devices/system/cpu/", name), [range] { return range; }, kSysfsSize);
  }
  // Governors: interactive until Android 8.1's kernels, schedutil from Android 9's 4.9+.
  const std::string governor = p.sdk >= 28 ? "schedutil\n" : "interactive\n";
  for (size_t i = 0; i < p.clusters.size(); ++i) {
    const CpuCluster c = p.clusters[i];
    std::vector<int> cpus;
    for (int k = 0; k < c.count; ++k) cpus.push_back(c.first_cpu + k);
    const std::string related = absl::StrJoin(cpus, " ") + "\n";
    auto cap = [thermal, c, i] {
      return absl::StrCat(ClusterMaxKhz(c, i, thermal->big_freq_factor()), "\n");
    };
    for (int cpu : cpus) {
      const std::string dir = absl::StrCat("/sys/devices/system/cpu/cpu", cpu, "/cpufreq/");
      // The lab keeps the cores at their cap (a benchmark phone runs flat out), so the
      // current frequency is the thermal cap.
      add(dir + "scaling_cur_freq", cap, kSysfsSize);
      add(dir + "scaling_max_freq", cap, kSysfsSize);
      const std::string max = absl::StrCat(c.max_khz, "\n"), min = absl::StrCat(c.min_khz, "\n");
      add(dir + "cpuinfo_max_freq", [max] { return max; }, kSysfsSize);
      add(dir + "cpuinfo_min_freq", [min] { return min; }, kSysfsSize);
      add(dir + "scaling_min_freq", [min] { return min; }, kSysfsSize);
      add(dir + "scaling_governor", [governor] { return governor; }, kSysfsSize);
      add(dir + "related_cpus", [related] { return related; }, kSysfsSize);
      add(dir + "affected_cpus", [related] { return related; }, kSysfsSize);
    }
  }
}

}  // namespace benchlab::devsim
