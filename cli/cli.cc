// Builds the CLI11 app from the registered subcommands and maps CLI11's outcomes (help,
// usage errors) to benchlab's exit codes.
#include "cli/cli.h"

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli_config.h"
#include "cli/commands.h"
#include "common/version.h"

namespace benchlab::cli {
namespace {

constexpr CommandRegistrar kCommands[] = {
    RegisterParseCommand,   RegisterDevicesCommand, RegisterAgentsCommand, RegisterRunCommand,
    RegisterJobsCommand,    RegisterJobCommand,     RegisterResultsCommand,
    RegisterCompareCommand, RegisterLogsCommand,    RegisterCancelCommand, RegisterAbCommand,
    RegisterHistoryCommand, RegisterRegressionsCommand, RegisterReportCommand, RegisterDeviceCommand,
    RegisterAuditCommand,   RegisterArtifactCommand,
};

constexpr const char* kFooter =
    "Lab commands reach the coordinator at --coordinator (env BENCHLAB_COORDINATOR, default\n"
    "127.0.0.1:7443) with --token (env BENCHLAB_TOKEN); TLS with --tls-ca (env BENCHLAB_TLS_CA;\n"
    "also BENCHLAB_TLS_CERT, BENCHLAB_TLS_KEY, BENCHLAB_TLS_SERVER_NAME), plaintext only to\n"
    "loopback. These options may come before or after the command, or from a config file:\n"
    "--config FILE, else $BENCHLAB_CONFIG, else ~/.config/benchlab/cli.toml (key = \"value\",\n"
    "keys coordinator, token, tls-ca, tls-cert, tls-key, tls-server-name, rpc-timeout).\n"
    "\n"
    "Exit codes:\n"
    "  0  ok\n"
    "  1  failed: parse: the run failed; lab: another error from the coordinator (not found, ...)\n"
    "  2  usage error (bad command line, unreadable model or APK, plaintext to a non-loopback\n"
    "     coordinator)\n"
    "  3  parse: input unreadable; lab: coordinator unreachable or not answering in time\n"
    "  4  parse: no benchmark output in the input; run: the job finished with failed or\n"
    "     cancelled runs\n"
    "  5  refused by the coordinator: bad or missing token, role too low, invalid request\n"
    "     (e.g. a hostile --flag value)\n"
    "  6  compare --fail-on VERDICT: a phone's verdict was VERDICT (e.g. slower)\n";

// `--flag --num_threads=4`: CLI11 would read the second word as an option of its own, so
// the pair is joined into `--flag=--num_threads=4` before parsing.
std::vector<std::string> JoinFlagValues(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (; i < argc; ++i) args.emplace_back(argv[i]);
      break;
    }
    if (arg == "--flag" && i + 1 < argc) arg = std::string("--flag=") + argv[++i];
    args.push_back(std::move(arg));
  }
  return args;
}

// The connection options (cli/lab_connection.h) belong to each lab command; given before
// the command (`benchlab --token T devices`) they are moved behind it, where the command
// (or the last nested one, `device drain ID`) reads them.
std::vector<std::string> HoistConnectionOptions(std::vector<std::string> args) {
  static constexpr const char* kNames[] = {"--coordinator", "--token",           "--tls-ca",      "--tls-cert",
                                           "--tls-key",     "--tls-server-name", "--rpc-timeout", "--config"};
  std::vector<std::string> hoisted;
  size_t i = 0;
  while (i < args.size() && args[i].rfind("--", 0) == 0 && args[i] != "--") {
    const std::string& arg = args[i];
    const std::string name = arg.substr(0, arg.find('='));
    if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) break;
    hoisted.push_back(arg);
    if (name == arg && i + 1 < args.size()) hoisted.push_back(args[++i]);  // "--token T"
    ++i;
  }
  if (hoisted.empty()) return args;
  std::vector<std::string> out(args.begin() + static_cast<long>(i), args.end());
  if (out.empty()) return args;  // no command: let CLI11 say so
  auto dashdash = std::find(out.begin(), out.end(), "--");
  out.insert(dashdash, hoisted.begin(), hoisted.end());
  return out;
}

}  // namespace

int RunCli(int argc, const char* const* argv, const CliIo& io) {
  CLI::App app{"benchlab: TensorFlow Lite benchmarks on a lab of Android phones", "benchlab"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("benchlab ") + kVersion);
  app.require_subcommand(1);
  int exit_code = kExitOk;
  for (CommandRegistrar add : kCommands) add(app, io, &exit_code);
  try {
    // CLI11 takes the arguments in reverse order when given a vector.
    auto configured = ApplyCliConfig(HoistConnectionOptions(JoinFlagValues(argc, argv)), ::getenv);
    if (!configured.ok()) {
      *io.err << "benchlab: " << configured.status().message() << "\n";
      return kExitUsage;
    }
    std::vector<std::string> args = std::move(*configured);
    std::reverse(args.begin(), args.end());
    app.parse(args);
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
    // CLI11 calls an unknown first word "A subcommand is required"; name it instead.
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty()) {
      *io.err << "benchlab: unknown command '" << argv[1] << "'\n"
              << "Run 'benchlab --help' for the list of commands.\n";
      return kExitUsage;
    }
    *io.err << "benchlab: " << e.what() << "\n"
            << "Run 'benchlab --help' for usage.\n";
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace benchlab::cli
