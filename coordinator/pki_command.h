// `benchlab-coordinator pki init|issue-agent NAME|issue-client NAME --dir DIR`: the
// command-line face of pki.h. Registered on the coordinator's CLI11 app by main.cc.
#ifndef BENCHLAB_COORDINATOR_PKI_COMMAND_H_
#define BENCHLAB_COORDINATOR_PKI_COMMAND_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "coordinator/pki.h"

namespace benchlab::coordinator {

struct PkiCommand {
  CLI::App* pki = nullptr;
  CLI::App* init = nullptr;
  CLI::App* issue_agent = nullptr;
  CLI::App* issue_client = nullptr;
  PkiInitOptions init_options;
  std::string dir;
  std::string name;
  int days = 825;
};

// Adds the `pki` subcommand and its three commands to `app`.
void AddPkiCommand(CLI::App& app, PkiCommand* command);

// Runs the command that was parsed: 0 done, 1 refused or failed (one line on `err` saying
// why and what to do).
int RunPkiCommand(const PkiCommand& command, std::ostream& out, std::ostream& err);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_PKI_COMMAND_H_
