// benchlab.db's schema, versioned with SQLite's `PRAGMA user_version`: the version this
// build writes, and the migrations that bring a database of an older release forward at
// start-up (all in one transaction). A database of a newer release is refused untouched.
#ifndef BENCHLAB_COORDINATOR_SCHEMA_H_
#define BENCHLAB_COORDINATOR_SCHEMA_H_

#include <sqlite3.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace benchlab::coordinator {

// Versions: 0 = release 0.1.0 (no version; its tables, or an empty file), 1 = those tables
// versioned, 2 = artifacts carry `stored_unix_ms` and `pinned` (retention; `pinned` is
// reserved for artifact pins, not used yet), 3 = device care and the audit log, 4 = op profiles (run_ops).
inline constexpr int kSchemaVersion = 4;

// The database's user_version.
absl::StatusOr<int> ReadSchemaVersion(sqlite3* db);

// Brings `db` from its version to `target` (kSchemaVersion outside tests) in one
// transaction: either every step is applied or none. FailedPrecondition, changing
// nothing, when the database is newer than `target` (`path` names it in the message).
absl::Status MigrateSchema(sqlite3* db, const std::string& path, int target = kSchemaVersion);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_SCHEMA_H_
