// `benchlab agents [--json]`: ListAgents as a table or JSON.
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct AgentsFlags {
  LabOptions lab;
  bool json = false;
};

int RunAgents(const AgentsFlags& flags, const CliIo& io) {
  v1::ListAgentsResponse resp;
  if (int code = CallLab(flags.lab, "agents", "listing agents", &v1::Lab::Stub::ListAgents, v1::ListAgentsRequest(),
                         &resp, io);
      code != kExitOk) {
    return code;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  // Which coordinator answered: the first thing to compare with the agents' versions.
  const std::string coordinator =
      resp.coordinator_version().empty() ? "unknown (this coordinator does not report it)" : EscapeForTerminal(resp.coordinator_version());
  *io.out << "coordinator version " << coordinator << "\n";
  if (resp.agents().empty()) {
    *io.out << "no agents (none has connected to this coordinator yet)\n";
    return kExitOk;
  }
  Table table({"AGENT", "HOSTNAME", "VERSION", "CONNECTED", "LAST SEEN", "DEVICES"});
  for (const auto& a : resp.agents()) {
    table.AddRow({a.agent_id(), a.hostname(), a.version(), a.connected() ? "yes" : "no",
                  FormatUnixMs(a.last_seen_unix_ms()), absl::StrCat(a.device_count())});
  }
  *io.out << table.Render();
  return kExitOk;
}

}  // namespace

void RegisterAgentsCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<AgentsFlags>();
  CLI::App* cmd = app.add_subcommand("agents", "List the lab hosts (agents) known to the coordinator");
  cmd->add_flag("--json", flags->json, "print the ListAgents response as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunAgents(*flags, io); });
}

}  // namespace benchlab::cli
