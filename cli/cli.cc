// Builds the CLI11 app from the registered subcommands and maps CLI11's outcomes (help,
// usage errors) to benchlab's exit codes.
#include "cli/cli.h"

#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace benchlab::cli {
namespace {

constexpr CommandRegistrar kCommands[] = {
    RegisterParseCommand,
};

constexpr const char* kFooter =
    "Exit codes: 0 ok, 1 the run (or request) failed, 2 usage error, 3 input unreadable,\n"
    "4 nothing to report in the input.";

}  // namespace

int RunCli(int argc, const char* const* argv, const CliIo& io) {
  CLI::App app{"benchlab: TensorFlow Lite benchmarks on a lab of Android phones", "benchlab"};
  app.footer(kFooter);
  app.require_subcommand(1);
  int exit_code = kExitOk;
  for (CommandRegistrar add : kCommands) add(app, io, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    *io.out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    *io.out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // A subcommand's own --help: CLI11 reports it through the same path.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e, *io.out, *io.err);
      return kExitOk;
    }
    *io.err << "benchlab: " << e.what() << "\n"
            << "Run 'benchlab --help' for usage.\n";
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace benchlab::cli
