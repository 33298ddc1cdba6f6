// The benchlab command line: one CLI11 app, one subcommand per file. RunCli parses argv,
// runs the chosen subcommand and returns the process exit code.
#ifndef BENCHLAB_CLI_CLI_H_
#define BENCHLAB_CLI_CLI_H_

#include <iosfwd>

namespace benchlab::cli {

// Exit codes shared by every subcommand (documented in `benchlab --help` and
// cli/README.md). parse and the lab commands give 3 and 4 their own meanings.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the thing asked about failed (parse: the run failed; lab: any
                         // other error the coordinator returned, e.g. NOT_FOUND)
  kExitUsage = 2,        // bad command line
  kExitUnreadable = 3,   // parse: an input file or stdin could not be read
  kExitUnreachable = 3,  // lab: the coordinator could not be reached (UNAVAILABLE, deadline)
  kExitNoResult = 4,     // parse: the input held nothing to report (no benchmark output)
  kExitRunsFailed = 4,   // lab `run`: the job finished with failed or cancelled runs
  kExitRefused = 5,      // lab: the coordinator refused the request (bad or missing token,
                         // role too low, invalid argument such as a hostile flag)
  kExitVerdict = 6,      // lab `compare --fail-on V`: a phone's verdict was V
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
