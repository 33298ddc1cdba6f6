// getprop and dumpsys battery, read once per phone change (not per run).
#include "agent/run/device_info.h"

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
  BatteryState b;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    int v = 0;
    if (absl::ConsumePrefix(&line, "level: ") && absl::SimpleAtoi(line, &v)) {
      b.level_pct = v;
    } else if (absl::ConsumePrefix(&line, "temperature: ") && absl::SimpleAtoi(line, &v)) {
      b.has_temp = true;
      b.temp_c = v / 10.0;
    }
  }
  return b;
}

absl::StatusOr<BatteryState> ReadBattery(adb::AdbClient& adb, const std::string& serial,
                                         absl::Time deadline) {
  auto out = adb.Shell(serial, "dumpsys battery", deadline);
  if (!out.ok()) return out.status();
  return ParseDumpsysBattery(out->stdout_data);
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

  auto battery = ReadBattery(adb, device.serial, deadline);
  if (battery.ok()) {
    info.set_battery_level_pct(battery->level_pct);
    info.set_has_battery_temp(battery->has_temp);
    info.set_battery_temp_c(battery->temp_c);
  }
  return info;
}

}  // namespace benchlab::agent
