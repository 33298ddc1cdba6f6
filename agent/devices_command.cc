// `benchlab-agent devices`: what adb sees on this host, with each phone's properties and
// battery, as a table or JSON (DeviceInfo in protobuf's JSON mapping).
#include <ostream>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_format.h"
#include "agent/adb/adb_client.h"
#include "agent/commands.h"
#include "agent/run/device_info.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

struct DevicesFlags {
  bool json = false;
};

std::string Battery(const v1::DeviceInfo& d) {
  if (d.battery_level_pct() < 0) return "-";
  return absl::StrFormat("%d%%", d.battery_level_pct());
}

std::string Temp(const v1::DeviceInfo& d) {
  return d.has_battery_temp() ? absl::StrFormat("%.1fC", d.battery_temp_c()) : "-";
}

int RunDevices(const DevicesFlags& flags, const CommonOptions& common, const AgentIo& io) {
  auto adb = adb::AdbClient::ConnectLocal({.port = common.adb_port});
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  auto devices = adb->Devices(deadline);
  if (!devices.ok()) {
    *io.err << "benchlab-agent: " << devices.status().message() << "\n";
    return kExitAdbUnavailable;
  }
  std::vector<v1::DeviceInfo> infos;
  for (const adb::AdbDevice& d : *devices) {
    auto info = ReadDeviceInfo(*adb, d, deadline);
    if (info.ok()) {
      infos.push_back(*info);
    } else {
      // Listed anyway: a phone that fails getprop is exactly what the engineer looks for.
      v1::DeviceInfo partial;
      partial.set_serial(d.serial);
      partial.set_adb_state(absl::StrCat(d.state, " (", info.status().message(), ")"));
      partial.set_battery_level_pct(-1);
      infos.push_back(partial);
    }
  }
  if (flags.json) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    *io.out << "[";
    for (size_t i = 0; i < infos.size(); ++i) {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(infos[i], &json, options);
      *io.out << (i ? ",\n " : "") << json;
    }
    *io.out << "]\n";
    return kExitOk;
  }
  *io.out << absl::StrFormat("%-22s %-12s %-16s %-12s %-8s %-10s %-8s %-6s\n", "SERIAL", "STATE",
                             "MODEL", "SOC", "ANDROID", "ABI", "BATTERY", "TEMP");
  for (const v1::DeviceInfo& d : infos) {
    std::string android =
        d.android_version().empty() ? "-" : absl::StrFormat("%s/%d", d.android_version(), d.sdk_level());
    *io.out << absl::StrFormat("%-22s %-12s %-16s %-12s %-8s %-10s %-8s %-6s\n", d.serial(),
                               d.adb_state(), d.model().empty() ? "-" : d.model(),
                               d.soc().empty() ? "-" : d.soc(), android,
                               d.abi().empty() ? "-" : d.abi(), Battery(d), Temp(d));
  }
  if (infos.empty()) *io.out << "(no phones: check USB, or `adb connect` network phones)\n";
  return kExitOk;
}

}  // namespace

void RegisterDevicesCommand(CLI::App& app, const CommonOptions& common, const AgentIo& io,
                            int* exit_code) {
  auto flags = std::make_shared<DevicesFlags>();
  CLI::App* cmd = app.add_subcommand("devices", "List this host's phones (model, SoC, Android, battery)");
  cmd->add_flag("--json", flags->json, "JSON array of DeviceInfo (proto field names)");
  cmd->callback([flags, &common, io, exit_code] { *exit_code = RunDevices(*flags, common, io); });
}

}  // namespace benchlab::agent
