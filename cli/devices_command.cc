// `benchlab devices [--json]`: ListDevices as a table (one row per phone) or JSON.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/conditions_view.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct DevicesFlags {
  LabOptions lab;
  std::vector<std::string> states;
  std::vector<std::string> agents;
  bool json = false;
};

int RunDevices(const DevicesFlags& flags, const CliIo& io) {
  auto conn = LabConnection::Open(flags.lab);
  if (!conn.ok()) return ReportUsageError("devices", conn.status().message(), io);
  grpc::ClientContext ctx;
  (*conn)->PrepareUnary(&ctx);
  v1::ListDevicesRequest req;
  for (const auto& state : flags.states) {
    if (state == "idle") req.add_states(v1::DEVICE_STATE_IDLE);
    else if (state == "busy") req.add_states(v1::DEVICE_STATE_BUSY);
    else if (state == "offline") req.add_states(v1::DEVICE_STATE_OFFLINE);
    else if (state == "cooling") req.add_states(v1::DEVICE_STATE_COOLING);
    else if (state == "drained") req.add_states(v1::DEVICE_STATE_DRAINED);
    else if (state == "maintenance") req.add_states(v1::DEVICE_STATE_MAINTENANCE);
  }
  for (const auto& agent : flags.agents) req.add_agents(agent);
  v1::ListDevicesResponse resp;
  grpc::Status st = (*conn)->lab()->ListDevices(&ctx, req, &resp);
  if (!st.ok()) return ReportRpcError(st, "devices", "listing devices", flags.lab, io);
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  Table table({"DEVICE", "STATE", "MODEL", "SOC", "ANDROID", "BATTERY", "TEMP", "THERMAL", "QUEUE"});
  for (const auto& d : resp.devices()) {
    const v1::DeviceInfo& info = d.info();
    std::string battery = info.battery_level_pct() < 0 ? "-" : absl::StrCat(info.battery_level_pct(), "%");
    std::string temp = info.has_battery_temp() ? absl::StrFormat("%.1fC", info.battery_temp_c()) : "-";
    // The phone's latest conditions (the agent reads them while it idles and after runs).
    const std::string thermal = ThermalStatusWord(info.conditions().thermal_status());
    std::string state = DeviceStateName(d.state());
    if (info.adb_state() != "device" && !info.adb_state().empty()) absl::StrAppend(&state, " (", info.adb_state(), ")");
    if (!d.refused_reason().empty()) absl::StrAppend(&state, " (refused)");
    table.AddRow({info.device_id(), state, info.model().empty() ? "-" : info.model(),
                  info.soc().empty() ? "-" : info.soc(), info.android_version().empty() ? "-" : info.android_version(),
                  battery, temp, thermal.empty() ? "-" : thermal, absl::StrCat(d.queue_length())});
  }
  if (table.empty()) {
    *io.out << "no devices (no agent has reported a phone yet)\n";
    return kExitOk;
  }
  *io.out << table.Render();
  for (const auto& d : resp.devices()) {
    if (!d.refused_reason().empty()) {
      *io.out << EscapeForTerminal(d.info().device_id()) << " refused: " << EscapeForTerminal(d.refused_reason()) << "\n";
    }
    // Device care: who took it out, and the maintenance note.
    if (!d.care_by().empty()) {
      *io.out << EscapeForTerminal(d.info().device_id()) << " " << DeviceStateName(d.state()) << " by "
              << EscapeForTerminal(d.care_by()) << " since " << FormatUnixMs(d.care_since_unix_ms());
      if (!d.care_note().empty()) *io.out << ": " << EscapeForTerminal(d.care_note());
      *io.out << "\n";
    }
    // A phone waiting at a job's run-conditions gate: which requirement it fails.
    if (!d.cooling_reason().empty()) {
      *io.out << EscapeForTerminal(d.info().device_id()) << " cooling: " << EscapeForTerminal(d.cooling_reason()) << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterDevicesCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<DevicesFlags>();
  CLI::App* cmd = app.add_subcommand("devices", "List the lab's phones: state, model, SoC, battery, thermal status, queue");
  cmd->add_option("--state", flags->states, "only phones in this state (repeatable)")
      ->check(CLI::IsMember({"idle", "busy", "cooling", "offline", "drained", "maintenance"}))
      ->allow_extra_args(false);
  cmd->add_option("--agent", flags->agents, "only phones on this agent (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--json", flags->json, "print the ListDevices response as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunDevices(*flags, io); });
}

}  // namespace benchlab::cli
