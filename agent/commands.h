// benchlab-agent's commands. Each lives in its own <name>_command.cc and adds itself to
// the app; the selected one stores its exit code in *exit_code. List them in agent_cli.cc.
#ifndef BENCHLAB_AGENT_COMMANDS_H_
#define BENCHLAB_AGENT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "agent/agent_cli.h"

namespace benchlab::agent {

// Options every command shares.
struct CommonOptions {
  int adb_port = 0;  // 0: ANDROID_ADB_SERVER_PORT, else 5037
};

using CommandRegistrar = void (*)(CLI::App& app, const CommonOptions& common, const AgentIo& io,
                                  int* exit_code);

// `benchlab-agent devices [--json]`: the host's phones with model, SoC, Android, battery.
void RegisterDevicesCommand(CLI::App& app, const CommonOptions& common, const AgentIo& io,
                            int* exit_code);
// `benchlab-agent bench --serial S --model M --apk A ...`: runs on one phone, no coordinator.
void RegisterBenchCommand(CLI::App& app, const CommonOptions& common, const AgentIo& io,
                          int* exit_code);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_COMMANDS_H_
