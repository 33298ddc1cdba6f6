// A person compares a run's start and end at a glance: battery temperature, level,
// thermal status and the big cluster's clock, each as "before->after".
#include "cli/conditions_view.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/table.h"

namespace benchlab::cli {
namespace v1 = benchlab::v1;

namespace {

// "a->b", "a" when both sides agree, "-" for an unknown side.
std::string BeforeAfter(const std::string& before, const std::string& after) {
  const std::string b = before.empty() ? "-" : before;
  const std::string a = after.empty() ? "-" : after;
  return b == a ? b : absl::StrCat(b, "->", a);
}

std::string BatteryTemp(const v1::RunConditions& c) {
  return c.has_battery_temp_c() ? absl::StrFormat("%.1f", c.battery_temp_c()) : "";
}
std::string BatteryLevel(const v1::RunConditions& c) {
  return c.has_battery_level_pct() ? absl::StrCat(c.battery_level_pct(), "%") : "";
}
std::string BigCpuMhz(const v1::RunConditions& c) {
  const v1::CpuCluster* big = BigCluster(c);
  return big != nullptr && big->has_cpu_freq_khz() ? absl::StrCat(big->cpu_freq_khz() / 1000) : "";
}
std::string Bool(bool has, bool value) { return has ? (value ? "true" : "false") : ""; }

}  // namespace

std::string ThermalStatusWord(v1::ThermalStatus status) {
  if (status == v1::THERMAL_STATUS_UNSPECIFIED || !v1::ThermalStatus_IsValid(status)) return "";
  return absl::AsciiStrToLower(absl::StripPrefix(v1::ThermalStatus_Name(status), "THERMAL_STATUS_"));
}

const v1::CpuCluster* BigCluster(const v1::RunConditions& conditions) {
  const v1::CpuCluster* big = nullptr;
  for (const v1::CpuCluster& c : conditions.cpu_clusters()) {
    if (big == nullptr || c.max_freq_khz() >= big->max_freq_khz()) big = &c;
  }
  return big;
}

std::string FormatConditionsTable(const google::protobuf::RepeatedPtrField<v1::Run>& runs) {
  Table table({"RUN", "BATTERY_C", "LEVEL", "THERMAL", "BIG_CPU_MHZ"});
  for (const v1::Run& run : runs) {
    if (!run.conditions().has_before() && !run.conditions().has_after()) continue;
    const v1::RunConditions& b = run.conditions().before();
    const v1::RunConditions& a = run.conditions().after();
    const bool has_b = run.conditions().has_before(), has_a = run.conditions().has_after();
    auto side = [](bool has, std::string v) { return has ? v : std::string(); };
    table.AddRow({run.run_id(), BeforeAfter(side(has_b, BatteryTemp(b)), side(has_a, BatteryTemp(a))),
                  BeforeAfter(side(has_b, BatteryLevel(b)), side(has_a, BatteryLevel(a))),
                  BeforeAfter(side(has_b, ThermalStatusWord(b.thermal_status())),
                              side(has_a, ThermalStatusWord(a.thermal_status()))),
                  BeforeAfter(side(has_b, BigCpuMhz(b)), side(has_a, BigCpuMhz(a)))});
  }
  return table.empty() ? "" : table.Render();
}

const std::vector<std::string>& ConditionsCsvHeader() {
  static const auto* header = [] {
    auto* h = new std::vector<std::string>;
    for (const char* side : {"before", "after"}) {
      for (const char* field : {"battery_temp_c", "battery_level_pct", "charging", "thermal_status", "cpu_freq_khz",
                                "screen_on", "mem_available_kb"}) {
        h->push_back(absl::StrCat(side, "_", field));
      }
    }
    for (const char* field : {"build_fingerprint", "apk_version_name", "apk_version_code"}) h->push_back(field);
    return h;
  }();
  return *header;
}

std::vector<std::string> ConditionsCsvValues(const v1::Run& run) {
  std::vector<std::string> out;
  for (bool before : {true, false}) {
    const bool has = before ? run.conditions().has_before() : run.conditions().has_after();
    const v1::RunConditions& c = before ? run.conditions().before() : run.conditions().after();
    if (!has) {
      out.insert(out.end(), 7, "");
      continue;
    }
    std::vector<std::string> freqs;
    for (const v1::CpuCluster& cl : c.cpu_clusters()) freqs.push_back(cl.has_cpu_freq_khz() ? absl::StrCat(cl.cpu_freq_khz()) : "");
    out.push_back(BatteryTemp(c));
    out.push_back(c.has_battery_level_pct() ? absl::StrCat(c.battery_level_pct()) : "");
    out.push_back(Bool(c.has_charging(), c.charging()));
    out.push_back(ThermalStatusWord(c.thermal_status()));
    out.push_back(absl::StrJoin(freqs, ";"));
    out.push_back(Bool(c.has_screen_on(), c.screen_on()));
    out.push_back(c.has_mem_available_kb() ? absl::StrCat(c.mem_available_kb()) : "");
  }
  const v1::RunConditions& id = run.conditions().has_before() ? run.conditions().before() : run.conditions().after();
  out.push_back(id.build_fingerprint());
  out.push_back(id.apk_version_name());
  out.push_back(id.has_apk_version_code() ? absl::StrCat(id.apk_version_code()) : "");
  return out;
}

}  // namespace benchlab::cli
