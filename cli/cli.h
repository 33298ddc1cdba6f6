// The benchlab command line: one CLI11 app, one subcommand per file. RunCli parses argv,
// runs the chosen subcommand and returns the process exit code.
#ifndef BENCHLAB_CLI_CLI_H_
#define BENCHLAB_CLI_CLI_H_

#include <iosfwd>

namespace benchlab::cli {

// Exit codes shared by every subcommand (documented in `benchlab --help`).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,      // the thing asked about failed (parse: the run failed)
  kExitUsage = 2,       // bad command line
  kExitUnreadable = 3,  // an input file or stdin could not be read
  kExitNoResult = 4,    // the input held nothing to report (parse: no benchmark output)
};

// Where a command reads and writes; main() passes std::cin/cout/cerr.
struct CliIo {
  std::istream* in;
  std::ostream* out;
  std::ostream* err;
};

// Parses argv and runs the subcommand. Never throws.
int RunCli(int argc, const char* const* argv, const CliIo& io);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_CLI_H_
