// getprop and the run-conditions script (battery included), read once per phone change.
#include "agent/run/device_info.h"

#include "agent/run/benchmark_runner.h"
#include "agent/run/run_conditions.h"
#include "agent/run/run_conditions_parser.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

// Properties worth copying into DeviceInfo.properties (usable by job selectors).
constexpr absl::string_view kKeptProperties[] = {
    "ro.hardware", "ro.product.board", "ro.product.device", "ro.product.brand",
    "ro.product.name", "ro.build.fingerprint", "ro.board.platform", "ro.soc.manufacturer",
    "ro.build.id", "ro.serialno"};

}  // namespace

std::map<std::string, std::string> ParseGetprop(absl::string_view text) {
  std::map<std::string, std::string> props;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "[")) continue;
    size_t close = line.find("]: [");
    if (close == absl::string_view::npos || !absl::EndsWith(line, "]")) continue;
    absl::string_view value = line.substr(close + 4);
    value.remove_suffix(1);
    props.emplace(std::string(line.substr(0, close)), std::string(value));
  }
  return props;
}

BatteryState ParseDumpsysBattery(absl::string_view text) {
  v1::RunConditions c;
  ParseBatterySection(text, &c);
  BatteryState b;
  if (c.has_battery_level_pct()) b.level_pct = c.battery_level_pct();
  b.has_temp = c.has_battery_temp_c();
  b.temp_c = c.battery_temp_c();
  return b;
}

absl::StatusOr<BatteryState> ReadBattery(adb::AdbClient& adb, const std::string& serial,
                                         absl::Time deadline) {
  auto out = adb.Shell(serial, "dumpsys battery", deadline);
  if (!out.ok()) return out.status();
  return ParseDumpsysBattery(out->stdout_data);
}

void SetLatestConditions(const v1::RunConditions& conditions, v1::DeviceInfo* info) {
  *info->mutable_conditions() = conditions;
  info->set_battery_level_pct(conditions.has_battery_level_pct() ? conditions.battery_level_pct() : -1);
  info->set_has_battery_temp(conditions.has_battery_temp_c());
  info->set_battery_temp_c(conditions.battery_temp_c());
}

absl::StatusOr<v1::DeviceInfo> ReadDeviceInfo(adb::AdbClient& adb, const adb::AdbDevice& device,
                                              absl::Time deadline) {
  v1::DeviceInfo info;
  info.set_serial(device.serial);
  info.set_adb_state(device.state);
  info.set_model(device.model);  // adb's version ('_' for spaces) until getprop answers
  info.set_battery_level_pct(-1);
  if (device.state != "device") return info;

  auto getprop = adb.Shell(device.serial, "getprop", deadline);
  if (!getprop.ok()) return getprop.status();
  std::map<std::string, std::string> props = ParseGetprop(getprop->stdout_data);
  auto prop = [&](const char* key) -> std::string {
    auto it = props.find(key);
    return it == props.end() ? "" : it->second;
  };
  if (!prop("ro.product.model").empty()) info.set_model(prop("ro.product.model"));
  info.set_manufacturer(prop("ro.product.manufacturer"));
  std::string soc = prop("ro.soc.model");
  info.set_soc(soc.empty() ? prop("ro.board.platform") : soc);
  info.set_android_version(prop("ro.build.version.release"));
  int sdk = 0;
  if (absl::SimpleAtoi(prop("ro.build.version.sdk"), &sdk)) info.set_sdk_level(sdk);
  info.set_abi(prop("ro.product.cpu.abi"));
  for (absl::string_view key : kKeptProperties) {
    auto it = props.find(std::string(key));
    if (it != props.end()) (*info.mutable_properties())[it->first] = it->second;
  }

  // Battery, heat, clocks and the rest in one call (run_conditions.h).
  auto conditions = ReadRunConditions(adb, device.serial, kBenchmarkPackage, deadline);
  if (conditions.ok()) SetLatestConditions(*conditions, &info);
  return info;
}

}  // namespace benchlab::agent
