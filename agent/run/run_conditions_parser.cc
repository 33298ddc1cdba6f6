// Section by section, line by line: every field is taken only from a line that has
// exactly the expected form, so a vendor's extra lines or an older release's missing
// ones leave fields unset instead of wrong.
#include "agent/run/run_conditions_parser.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

constexpr const char* kCpuAttributes[] = {"related_cpus", "scaling_cur_freq", "cpuinfo_max_freq",
                                          "scaling_max_freq", "scaling_governor"};
constexpr int kCpuAttributeCount = 5;

std::vector<absl::string_view> Lines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (auto& l : lines) l = absl::StripSuffix(l, "\r");  // old adb shells turn \n into \r\n
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// "0-3,6" (cpu/online) or "4 5 6 7" (related_cpus) into CPU numbers; empty when malformed.
std::vector<int> ParseCpuList(absl::string_view text) {
  std::set<int> cpus;
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar(", "), absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> range = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int lo = 0, hi = 0;
    if (!absl::SimpleAtoi(range.first, &lo)) return {};
    hi = lo;
    if (!range.second.empty() && !absl::SimpleAtoi(range.second, &hi)) return {};
    if (lo < 0 || hi < lo || hi > 1023) return {};
    for (int c = lo; c <= hi; ++c) cpus.insert(c);
  }
  return {cpus.begin(), cpus.end()};
}

// "key=value" fields of a one-line Java toString ("Temperature{mValue=37.5, mType=3, ...}").
std::map<std::string, std::string> ToStringFields(absl::string_view body) {
  std::map<std::string, std::string> fields;
  for (absl::string_view kv : absl::StrSplit(body, ", ")) {
    std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    fields[std::string(p.first)] = std::string(p.second);
  }
  return fields;
}

}  // namespace

std::string SectionMarker(ConditionsSection section) {
  static constexpr const char* kNames[] = {"cpu", "zones", "battery", "thermal", "power", "memory", "build", "package"};
  return absl::StrCat("==benchlab:", kNames[static_cast<int>(section)], "==");
}

const std::vector<std::string>& CpuSectionFiles() {
  static const auto* files = [] {
    auto* f = new std::vector<std::string>{"online"};
    for (int cpu = 0; cpu < kConditionCpus; ++cpu) {
      for (const char* attr : kCpuAttributes) f->push_back(absl::StrCat("cpu", cpu, "/cpufreq/", attr));
    }
    return f;
  }();
  return *files;
}

const std::vector<std::string>& ThermalZoneSectionFiles() {
  static const auto* files = [] {
    auto* f = new std::vector<std::string>;
    for (int zone = 0; zone < kConditionThermalZones; ++zone) {
      f->push_back(absl::StrCat("thermal_zone", zone, "/type"));
      f->push_back(absl::StrCat("thermal_zone", zone, "/temp"));
    }
    return f;
  }();
  return *files;
}

std::vector<std::string> SplitCatOutput(absl::string_view text, const std::vector<std::string>& files) {
  std::vector<absl::string_view> lines = Lines(text);
  if (lines.size() != files.size()) return {};
  std::vector<std::string> values(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    // toybox, toolbox (NetBSD cat's warn()) and busybox all say "cat: <file>: <why>".
    if (absl::StartsWith(lines[i], "cat: ")) {
      if (!absl::StartsWith(lines[i], absl::StrCat("cat: ", files[i], ":"))) return {};  // out of step
      continue;
    }
    values[i] = std::string(absl::StripAsciiWhitespace(lines[i]));
  }
  return values;
}

void ParseBatterySection(absl::string_view text, v1::RunConditions* out) {
  // Power sources in the dump's order; the first one online names the plug.
  static constexpr std::pair<const char*, const char*> kSources[] = {
      {"AC powered: ", "ac"}, {"USB powered: ", "usb"}, {"Wireless powered: ", "wireless"}, {"Dock powered: ", "dock"}};
  bool saw_source = false;
  std::string plugged;
  for (absl::string_view line : Lines(text)) {
    line = absl::StripAsciiWhitespace(line);
    int v = 0;
    bool matched_source = false;
    for (const auto& [prefix, name] : kSources) {
      absl::string_view rest = line;
      if (!absl::ConsumePrefix(&rest, prefix)) continue;
      matched_source = true;
      if (rest == "true" || rest == "false") saw_source = true;
      if (rest == "true" && plugged.empty()) plugged = name;
    }
    if (matched_source) continue;
    if (absl::ConsumePrefix(&line, "level: ") && absl::SimpleAtoi(line, &v) && v >= 0 && v <= 100) {
      out->set_battery_level_pct(v);
    } else if (absl::ConsumePrefix(&line, "temperature: ") && absl::SimpleAtoi(line, &v)) {
      out->set_battery_temp_c(v / 10.0);
    } else if (absl::ConsumePrefix(&line, "status: ") && absl::SimpleAtoi(line, &v)) {
      out->set_charging(v == 2);  // BatteryManager.BATTERY_STATUS_CHARGING
    }
  }
  if (saw_source) out->set_plugged(plugged.empty() ? "none" : plugged);
}

void ParseThermalSection(absl::string_view text, v1::RunConditions* out) {
  std::map<std::string, double> cached, hal;
  std::map<std::string, double>* into = nullptr;
  for (absl::string_view raw : Lines(text)) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    int status = 0;
    if (absl::ConsumePrefix(&line, "Thermal Status: ")) {
      if (absl::SimpleAtoi(line, &status) && status >= 0 && status <= 6) {
        out->set_thermal_status(static_cast<v1::ThermalStatus>(status + 1));
      }
      into = nullptr;
    } else if (line == "Cached temperatures:") {
      into = &cached;
    } else if (line == "Current temperatures from HAL:") {
      into = &hal;
    } else if (!absl::StartsWith(raw, "\t") && !absl::StartsWith(raw, " ")) {
      into = nullptr;  // another heading ("HAL Ready: true", "Current cooling devices ...")
    } else if (into != nullptr && absl::ConsumePrefix(&line, "Temperature{") && absl::ConsumeSuffix(&line, "}")) {
      std::map<std::string, std::string> f = ToStringFields(line);
      double value = 0;
      if (f.contains("mName") && !f["mName"].empty() && absl::SimpleAtod(f["mValue"], &value) &&
          std::isfinite(value)) {
        (*into)[f["mName"]] = value;
      }
    }
  }
  const auto& best = hal.empty() ? cached : hal;
  for (const auto& [name, value] : best) (*out->mutable_temperatures_c())[name] = value;
}

void ParseCpuSection(absl::string_view text, v1::RunConditions* out) {
  const std::vector<std::string> values = SplitCatOutput(text, CpuSectionFiles());
  if (values.empty()) return;
  const std::vector<int> online_list = ParseCpuList(values[0]);
  const std::set<int> online(online_list.begin(), online_list.end());
  std::set<int> covered;  // CPUs already in a cluster
  for (int cpu = 0; cpu < kConditionCpus; ++cpu) {
    const size_t at = 1 + static_cast<size_t>(cpu) * kCpuAttributeCount;
    std::vector<int> related = ParseCpuList(values[at]);
    if (related.empty() || covered.contains(cpu) ||
        std::find(related.begin(), related.end(), cpu) == related.end()) {
      continue;  // no cpufreq here, or this CPU's cluster was read through an earlier CPU
    }
    v1::CpuCluster* c = out->add_cpu_clusters();
    for (int r : related) {
      covered.insert(r);
      c->add_cpus(r);
      if (online.contains(r)) c->add_online_cpus(r);
    }
    int32_t khz = 0;
    if (absl::SimpleAtoi(values[at + 1], &khz)) c->set_cpu_freq_khz(khz);
    if (absl::SimpleAtoi(values[at + 2], &khz)) c->set_max_freq_khz(khz);
    if (absl::SimpleAtoi(values[at + 3], &khz)) c->set_scaling_max_freq_khz(khz);
    c->set_governor(values[at + 4]);
  }
}

void ParseThermalZoneSection(absl::string_view text, v1::RunConditions* out) {
  const std::vector<std::string> values = SplitCatOutput(text, ThermalZoneSectionFiles());
  for (size_t i = 0; i + 1 < values.size(); i += 2) {
    const std::string& type = values[i];
    int64_t raw = 0;
    if (type.empty() || !absl::SimpleAtoi(values[i + 1], &raw)) continue;
    // Millidegrees on nearly every kernel; a few old drivers print whole degrees. No
    // phone part is at 200 degrees, nor at 0.2.
    const double c = std::llabs(raw) > 200 ? raw / 1000.0 : static_cast<double>(raw);
    auto& temps = *out->mutable_temperatures_c();
    if (!temps.contains(type)) temps[type] = c;  // two zones of one type: the first
  }
}

void ParsePowerSection(absl::string_view text, v1::RunConditions* out) {
  for (absl::string_view line : Lines(text)) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "mWakefulness=")) continue;
    if (line == "Awake" || line == "Dreaming") {
      out->set_screen_on(true);
    } else if (line == "Asleep" || line == "Dozing") {
      out->set_screen_on(false);
    }
    return;  // the first: the default display group's
  }
}

void ParseMemorySection(absl::string_view text, v1::RunConditions* out) {
  for (absl::string_view line : Lines(text)) {
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kb = 0;
    if (words.size() != 3 || words[2] != "kB" || !absl::SimpleAtoi(words[1], &kb)) continue;
    if (words[0] == "MemTotal:") out->set_mem_total_kb(kb);
    if (words[0] == "MemAvailable:") out->set_mem_available_kb(kb);
  }
}

void ParsePackageSection(absl::string_view text, v1::RunConditions* out) {
  for (absl::string_view line : Lines(text)) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "versionCode=")) {
      int64_t code = 0;
      if (!out->has_apk_version_code() && absl::SimpleAtoi(line.substr(0, line.find(' ')), &code)) {
        out->set_apk_version_code(code);
      }
    } else if (absl::ConsumePrefix(&line, "versionName=")) {
      if (out->apk_version_name().empty()) out->set_apk_version_name(std::string(line));
    }
  }
}

v1::RunConditions ParseRunConditions(absl::string_view output) {
  // Split at the markers; text before the first one (a shell's greeting) is ignored.
  std::map<ConditionsSection, std::string> sections;
  std::map<std::string, ConditionsSection> by_marker;
  for (int s = 0; s <= static_cast<int>(ConditionsSection::kPackage); ++s) {
    by_marker[SectionMarker(static_cast<ConditionsSection>(s))] = static_cast<ConditionsSection>(s);
  }
  std::string* current = nullptr;
  for (absl::string_view line : Lines(output)) {
    auto it = by_marker.find(std::string(absl::StripAsciiWhitespace(line)));
    if (it != by_marker.end()) {
      current = &sections[it->second];
      continue;
    }
    if (current != nullptr) absl::StrAppend(current, line, "\n");
  }
  v1::RunConditions c;
  ParseCpuSection(sections[ConditionsSection::kCpu], &c);
  ParseBatterySection(sections[ConditionsSection::kBattery], &c);
  ParseThermalSection(sections[ConditionsSection::kThermal], &c);
  if (c.temperatures_c().empty()) ParseThermalZoneSection(sections[ConditionsSection::kThermalZones], &c);
  ParsePowerSection(sections[ConditionsSection::kPower], &c);
  ParseMemorySection(sections[ConditionsSection::kMemory], &c);
  for (absl::string_view line : Lines(sections[ConditionsSection::kBuild])) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) {
      c.set_build_fingerprint(std::string(line));
      break;
    }
  }
  ParsePackageSection(sections[ConditionsSection::kPackage], &c);
  return c;
}

}  // namespace benchlab::agent
