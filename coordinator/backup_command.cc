// Prints what the backup copied, or the one line that says why it could not.
#include "coordinator/backup_command.h"

#include "coordinator/backup.h"

namespace benchlab::coordinator {

void AddBackupCommand(CLI::App& app, BackupCommand* c) {
  c->backup = app.add_subcommand(
      "backup", "copy the live database (benchlab.db) to FILE, consistent while the coordinator runs");
  c->backup->add_option("--data-dir", c->data_dir, "the coordinator's data directory (default: its --data-dir)");
  c->backup->add_option("FILE", c->file, "the new backup file (never replaced)")->required();
}

int RunBackupCommand(const BackupCommand& c, const std::string& default_data_dir, std::ostream& out,
                     std::ostream& err) {
  const std::string& dir = c.data_dir.empty() ? default_data_dir : c.data_dir;
  if (dir.empty()) {
    err << "benchlab-coordinator backup: give --data-dir DIR (the coordinator's data directory)\n";
    return 1;
  }
  auto report = BackupDatabase(dir, c.file);
  if (!report.ok()) {
    err << "benchlab-coordinator backup: " << report.status().message() << "\n";
    return 1;
  }
  out << "backup of " << report->source << " written to " << c.file << ": " << report->pages << " pages, "
      << report->bytes << " bytes, schema version " << report->schema_version << ", integrity ok\n";
  return 0;
}

}  // namespace benchlab::coordinator
