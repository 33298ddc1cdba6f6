// The subcommands. Each lives in its own <name>_command.cc and adds itself to the app;
// when CLI11 selects it, its callback runs and stores the exit code in *exit_code.
// To add a command: write the file, declare its Register function here, list it in cli.cc.
#ifndef BENCHLAB_CLI_COMMANDS_H_
#define BENCHLAB_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/cli.h"

namespace benchlab::cli {

using CommandRegistrar = void (*)(CLI::App& app, const CliIo& io, int* exit_code);

// `benchlab parse FILE|-`: a benchmark capture (logcat or native stdout) to a table or JSON.
void RegisterParseCommand(CLI::App& app, const CliIo& io, int* exit_code);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_COMMANDS_H_
