// The benchlab-agent command line: the daemon (default, dials the coordinator) plus the
// host engineer's tools `devices` and `bench`. One CLI11 app, one file per command.
#ifndef BENCHLAB_AGENT_AGENT_CLI_H_
#define BENCHLAB_AGENT_AGENT_CLI_H_

#include <iosfwd>

namespace benchlab::agent {

// Exit codes (documented in `benchlab-agent --help`).
enum AgentExitCode : int {
  kExitOk = 0,
  kExitRunFailed = 1,     // bench: a repeat failed (its error class is printed)
  kExitUsage = 2,         // bad command line or unreadable input file
  kExitAdbUnavailable = 3,  // no adb server, or the phone is not there
  kExitDaemonFailed = 4,  // the daemon could not start (state dir, credentials)
};

struct AgentIo {
  std::ostream* out;
  std::ostream* err;
};

// Parses argv and runs the command (the daemon when none is named). Never throws.
int RunAgentCli(int argc, const char* const* argv, const AgentIo& io);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_AGENT_CLI_H_
