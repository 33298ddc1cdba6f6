// `benchlab-coordinator backup --data-dir DIR FILE`: the command-line face of backup.h,
// registered on the coordinator's CLI11 app by main.cc. Runs beside a serving coordinator.
#ifndef BENCHLAB_COORDINATOR_BACKUP_COMMAND_H_
#define BENCHLAB_COORDINATOR_BACKUP_COMMAND_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"

namespace benchlab::coordinator {

struct BackupCommand {
  CLI::App* backup = nullptr;
  std::string data_dir;  // the subcommand's --data-dir; empty: the coordinator's own
  std::string file;
};

void AddBackupCommand(CLI::App& app, BackupCommand* command);

// 0 done (one line: what was copied, pages, bytes, schema version), 1 failed (one line on
// `err` saying why and what to do). `default_data_dir` is the coordinator's --data-dir
// (flag or --config key), used when the subcommand got none.
int RunBackupCommand(const BackupCommand& command, const std::string& default_data_dir, std::ostream& out,
                     std::ostream& err);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_BACKUP_COMMAND_H_
