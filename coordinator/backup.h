// A consistent copy of a live benchlab.db: SQLite's online backup API reads one snapshot
// (a read transaction; WAL lets the running coordinator keep writing meanwhile) into a new
// self-contained file, which is checked with `PRAGMA integrity_check` before it is given
// its name. `benchlab-coordinator backup --data-dir DIR FILE` (backup_command.h) runs it.
#ifndef BENCHLAB_COORDINATOR_BACKUP_H_
#define BENCHLAB_COORDINATOR_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace benchlab::coordinator {

struct BackupReport {
  std::string source;      // <data_dir>/benchlab.db
  int64_t pages = 0;       // pages copied
  int64_t bytes = 0;       // size of the copy
  int schema_version = 0;  // the copy's user_version
};

// Copies `<data_dir>/benchlab.db` to `out_path` (mode 0600; never replaces a file:
// AlreadyExists). The copy is written next to `out_path` and renamed once whole and
// checked, so `out_path` is either a good backup or absent. NotFound without a database.
absl::StatusOr<BackupReport> BackupDatabase(const std::string& data_dir, const std::string& out_path);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_BACKUP_H_
