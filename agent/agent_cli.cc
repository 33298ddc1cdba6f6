// Builds the CLI11 app from the registered commands and maps CLI11's outcomes (help,
// usage errors) to the agent's exit codes.
#include "agent/agent_cli.h"

#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "agent/commands.h"
#include "agent/daemon_command.h"
#include "common/config_file_error.h"
#include "common/version.h"

namespace benchlab::agent {
namespace {

constexpr CommandRegistrar kCommands[] = {
    RegisterDevicesCommand,
    RegisterBenchCommand,
};

constexpr const char* kFooter =
    "Exit codes: 0 ok, 1 a run failed, 2 usage error, 3 adb server or phone unavailable,\n"
    "4 the daemon could not start.";

// `--flag --use_gpu=true` reads naturally but CLI11 takes "--use_gpu=true" for an option
// of its own; join the pair into `--flag=--use_gpu=true` first.
std::vector<std::string> JoinFlagValues(int argc, const char* const* argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--flag" && i + 1 < argc) {
      out.push_back("--flag=" + std::string(argv[++i]));
    } else {
      out.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace

int RunAgentCli(int argc, const char* const* argv, const AgentIo& io) {
  CLI::App app{
      "benchlab-agent: runs TensorFlow Lite benchmarks on this host's phones.\n"
      "Without a command it is the daemon: it dials the coordinator and runs what it assigns.",
      "benchlab-agent"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("benchlab-agent ") + kVersion);
  app.require_subcommand(0, 1);
  app.fallthrough();  // `benchlab-agent bench ... --adb-port P` works as well as before the command
  CommonOptions common;
  app.add_option("--adb-port", common.adb_port,
                 "The host's adb server port (default: $ANDROID_ADB_SERVER_PORT, else 5037)");
  DaemonFlags daemon;
  AddDaemonOptions(app, &daemon);
  int exit_code = kExitOk;
  for (CommandRegistrar add : kCommands) add(app, common, io, &exit_code);
  std::vector<std::string> args = JoinFlagValues(argc, argv);
  std::vector<const char*> cargs;
  for (const std::string& a : args) cargs.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ConfigError& e) {
    *io.err << "benchlab-agent: " << ConfigFileErrorLine(e.what(), app.get_config_ptr()->as<std::string>()) << "\n";
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e, *io.out, *io.err);
      return kExitOk;
    }
    *io.err << "benchlab-agent: " << e.what() << "\n"
            << "Run 'benchlab-agent --help' for usage.\n";
    return kExitUsage;
  }
  if (app.get_subcommands().empty()) return RunDaemon(daemon, common.adb_port, io);
  return exit_code;
}

}  // namespace benchlab::agent
