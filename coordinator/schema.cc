// The schema's steps, one per version, and the transaction that applies the missing ones;
// see schema.h. A step is appended, never edited: databases in the field went through it.
#include "coordinator/schema.h"

#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {
namespace {

// kSteps[i] brings version i to version i + 1.
constexpr const char* kSteps[] = {
    // -> 1: the tables of release 0.1.0, which wrote no version; IF NOT EXISTS makes this
    // step both the creation of a new database and the adoption of a 0.1.0 one.
    R"sql(
CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, proto BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL,
  last_seen_unix_ms INTEGER NOT NULL, proto BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS artifacts (sha256 TEXT PRIMARY KEY, kind INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL, proto BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
  request_id TEXT, created_unix_ms INTEGER NOT NULL, proto BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_request ON jobs(request_id) WHERE request_id <> '';
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, job_id TEXT NOT NULL,
  device_id TEXT NOT NULL, state INTEGER NOT NULL, attempt INTEGER NOT NULL, proto BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS runs_job ON runs(job_id);
CREATE TABLE IF NOT EXISTS run_events (agent_id TEXT NOT NULL, event_id TEXT NOT NULL,
  PRIMARY KEY (agent_id, event_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_logs (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  line TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
)sql",
    // -> 2: retention. An artifact stored before this version counts as stored at the
    // upgrade, so it gets the full retention period from then on.
    R"sql(
ALTER TABLE artifacts ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE artifacts ADD COLUMN stored_unix_ms INTEGER NOT NULL DEFAULT 0;
UPDATE artifacts SET stored_unix_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
)sql",
    // -> 3: device care (drained / maintenance phones) and the audit log.
    R"sql(
CREATE TABLE IF NOT EXISTS device_care (device_id TEXT PRIMARY KEY, state INTEGER NOT NULL,
  note TEXT NOT NULL, by_name TEXT NOT NULL, since_unix_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, unix_ms INTEGER NOT NULL,
  action TEXT NOT NULL, actor TEXT NOT NULL, peer TEXT NOT NULL, method TEXT NOT NULL,
  target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_time ON audit(unix_ms);
)sql",
    // -> 4: op profiles (issue 11): a done run's per-operator rows, apart from the run's
    // record so listings and the scheduler's copy stay small (a Run holding only `ops`).
    R"sql(
CREATE TABLE IF NOT EXISTS run_ops (run_id TEXT PRIMARY KEY, proto BLOB NOT NULL);
)sql",
};
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kSchemaVersion, "one step per version");

absl::Status Exec(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return absl::InternalError(absl::StrCat("sqlite: ", what, ": ", msg));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> ReadSchemaVersion(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("sqlite: read the schema version: ", sqlite3_errmsg(db)));
  }
  int rc = sqlite3_step(s);
  int version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) {
    return absl::InternalError(absl::StrCat("sqlite: read the schema version: ", sqlite3_errmsg(db)));
  }
  return version;
}

absl::Status MigrateSchema(sqlite3* db, const std::string& path, int target) {
  // IMMEDIATE: the version read and the steps are one writer's, start to end.
  if (auto st = Exec(db, "BEGIN IMMEDIATE", "begin the schema migration"); !st.ok()) return st;
  absl::Status st = [&]() -> absl::Status {
    auto version = ReadSchemaVersion(db);
    if (!version.ok()) return version.status();
    if (*version > target) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", path, " has schema version ", *version, ", newer than the ", target,
          " this benchlab-coordinator ", kVersion,
          " knows: run the release that wrote it, or restore a backup made before the upgrade"));
    }
    for (int v = *version; v < target; ++v) {
      if (auto s = Exec(db, kSteps[v], absl::StrCat("schema step to version ", v + 1)); !s.ok()) return s;
    }
    if (*version != target) {
      if (auto s = Exec(db, absl::StrCat("PRAGMA user_version = ", target), "write the schema version"); !s.ok()) {
        return s;
      }
      spdlog::info("event=schema_migrated db={} from={} to={}", path, *version, target);
    }
    return absl::OkStatus();
  }();
  if (!st.ok()) {
    (void)Exec(db, "ROLLBACK", "roll back the schema migration");
    return st;
  }
  return Exec(db, "COMMIT", "commit the schema migration");
}

}  // namespace benchlab::coordinator
