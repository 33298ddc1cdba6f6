// Store on SQLite: one file, WAL journal, one connection behind a mutex (writes are
// small and the coordinator's rate is modest; WAL keeps readers of the file, e.g.
// sqlite3 in a shell, from blocking us). synchronous=FULL because an acknowledged agent
// event must survive a power cut: the agent drops it from its outbox on our ack.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/schema.h"
#include "coordinator/store.h"

namespace benchlab::coordinator {
namespace {

// The audit table keeps about this many newest entries.
constexpr int64_t kMaxAuditEntries = 100000;

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Int(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Blob(int i, const std::string& v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  std::string ColText(int i) {
    const void* p = sqlite3_column_blob(s_, i);
    int n = sqlite3_column_bytes(s_, i);
    return p ? std::string(static_cast<const char*>(p), n) : std::string();
  }
  int64_t ColInt(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

// An artifacts row selected as (proto, stored_unix_ms, pinned): the columns are the truth
// (stored_unix_ms of rows of release 0.1.0 was set by the upgrade; pinned changes in place).
benchlab::v1::ArtifactRef ArtifactRow(Stmt& s) {
  benchlab::v1::ArtifactRef a;
  a.ParseFromString(s.ColText(0));
  a.set_stored_unix_ms(s.ColInt(1));
  a.set_pinned(s.ColInt(2) != 0);
  return a;
}

class SqliteStore : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close(db_); }

  absl::Status Init(const std::string& path) {
    absl::MutexLock lock(&mu_);
    for (const char* pragma : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;",
                               "PRAGMA busy_timeout=5000;"}) {
      if (auto s = Exec(pragma); !s.ok()) return s;
    }
    return MigrateSchema(db_, path);
  }

  absl::Status PutAgent(const benchlab::v1::Agent& a) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "INSERT OR REPLACE INTO agents VALUES (?1, ?2)");
    s.Text(1, a.agent_id()).Blob(2, a.SerializeAsString());
    return Done(s.Step(), "store agent");
  }

  absl::StatusOr<std::vector<benchlab::v1::Agent>> ListAgents() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT proto FROM agents ORDER BY agent_id");
    std::vector<benchlab::v1::Agent> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back().ParseFromString(s.ColText(0));
    if (auto st = Done(rc, "list agents"); !st.ok()) return st;
    return out;
  }

  absl::Status PutDevice(const StoredDevice& d) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "INSERT OR REPLACE INTO devices VALUES (?1, ?2, ?3, ?4)");
    s.Text(1, d.info.device_id()).Text(2, d.info.agent_id()).Int(3, d.last_seen_unix_ms)
        .Blob(4, d.info.SerializeAsString());
    return Done(s.Step(), "store device");
  }

  absl::StatusOr<std::vector<StoredDevice>> ListDevices() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT last_seen_unix_ms, proto FROM devices ORDER BY device_id");
    std::vector<StoredDevice> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      StoredDevice& d = out.emplace_back();
      d.last_seen_unix_ms = s.ColInt(0);
      d.info.ParseFromString(s.ColText(1));
    }
    if (auto st = Done(rc, "list devices"); !st.ok()) return st;
    return out;
  }

  absl::Status PutArtifact(const benchlab::v1::ArtifactRef& a) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_,
           "INSERT OR IGNORE INTO artifacts (sha256, kind, size_bytes, proto, pinned, stored_unix_ms) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s.Text(1, a.sha256()).Int(2, a.kind()).Int(3, a.size_bytes()).Blob(4, a.SerializeAsString())
        .Int(5, 0).Int(6, a.stored_unix_ms());
    return Done(s.Step(), "store artifact");
  }

  absl::StatusOr<std::optional<benchlab::v1::ArtifactRef>> GetArtifact(
      const std::string& sha256) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT proto, stored_unix_ms, pinned FROM artifacts WHERE sha256 = ?1");
    s.Text(1, sha256);
    int rc = s.Step();
    if (rc == SQLITE_ROW) return std::optional<benchlab::v1::ArtifactRef>(ArtifactRow(s));
    if (auto st = Done(rc, "read artifact"); !st.ok()) return st;
    return std::optional<benchlab::v1::ArtifactRef>();
  }

  absl::StatusOr<std::vector<benchlab::v1::ArtifactRef>> ListArtifacts() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT proto, stored_unix_ms, pinned FROM artifacts ORDER BY stored_unix_ms DESC, sha256");
    std::vector<benchlab::v1::ArtifactRef> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ArtifactRow(s));
    if (auto st = Done(rc, "list artifacts"); !st.ok()) return st;
    return out;
  }

  absl::StatusOr<bool> SetArtifactPinned(const std::string& sha256, bool pinned) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "UPDATE artifacts SET pinned = ?2 WHERE sha256 = ?1");
    s.Text(1, sha256).Int(2, pinned ? 1 : 0);
    if (auto st = Done(s.Step(), "pin artifact"); !st.ok()) return st;
    return sqlite3_changes(db_) > 0;
  }

  absl::Status DeleteArtifact(const std::string& sha256) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "DELETE FROM artifacts WHERE sha256 = ?1");
    s.Text(1, sha256);
    return Done(s.Step(), "delete artifact");
  }

  absl::Status CreateJob(const StoredJob& job, const std::vector<benchlab::v1::Run>& runs) override {
    absl::MutexLock lock(&mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
    absl::Status st = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
      Stmt s(db_, "INSERT INTO jobs VALUES (?1, ?2, ?3, ?4, ?5)");
      s.Text(1, job.job.job_id()).Int(2, job.seq).Text(3, job.request_id)
          .Int(4, job.job.created_unix_ms()).Blob(5, job.job.SerializeAsString());
      int rc = s.Step();
      if (rc == SQLITE_CONSTRAINT) return absl::AlreadyExistsError("job " + job.job.job_id() + " exists");
      if (auto st = Done(rc, "store job"); !st.ok()) return st;
      for (const auto& r : runs) {
        if (auto st = PutRunLocked(r); !st.ok()) return st;
      }
      return absl::OkStatus();
    }();
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
  }

  absl::Status PutJob(const benchlab::v1::Job& job) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "UPDATE jobs SET proto = ?2 WHERE job_id = ?1");
    s.Text(1, job.job_id()).Blob(2, job.SerializeAsString());
    return Done(s.Step(), "update job");
  }

  absl::StatusOr<std::vector<StoredJob>> LoadJobs() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT seq, request_id, proto FROM jobs ORDER BY seq");
    std::vector<StoredJob> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      StoredJob& j = out.emplace_back();
      j.seq = s.ColInt(0);
      j.request_id = s.ColText(1);
      j.job.ParseFromString(s.ColText(2));
    }
    if (auto st = Done(rc, "load jobs"); !st.ok()) return st;
    return out;
  }

  absl::Status PutRun(const benchlab::v1::Run& run) override {
    absl::MutexLock lock(&mu_);
    return PutRunLocked(run);
  }

  absl::Status PutRuns(const std::vector<benchlab::v1::Run>& runs) override {
    absl::MutexLock lock(&mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
    for (const auto& r : runs) {
      if (auto st = PutRunLocked(r); !st.ok()) {
        (void)Exec("ROLLBACK");
        return st;
      }
    }
    return Exec("COMMIT");
  }

  absl::StatusOr<std::vector<benchlab::v1::Run>> LoadRuns() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT proto FROM runs ORDER BY rowid");
    std::vector<benchlab::v1::Run> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back().ParseFromString(s.ColText(0));
    if (auto st = Done(rc, "load runs"); !st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<benchlab::v1::Run>> LoadJobRuns(const std::string& job_id) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT proto FROM runs WHERE job_id = ?1 ORDER BY rowid");
    s.Text(1, job_id);
    std::vector<benchlab::v1::Run> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back().ParseFromString(s.ColText(0));
    if (auto st = Done(rc, "load a job's runs"); !st.ok()) return st;
    return out;
  }

  absl::StatusOr<bool> ApplyEvent(const std::string& agent_id, const std::string& event_id,
                                  const benchlab::v1::Run* run,
                                  const std::vector<std::string>& raw_lines) override {
    absl::MutexLock lock(&mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
    absl::StatusOr<bool> result = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<bool> {
      Stmt s(db_, "INSERT OR IGNORE INTO run_events VALUES (?1, ?2)");
      s.Text(1, agent_id).Text(2, event_id);
      if (auto st = Done(s.Step(), "record event"); !st.ok()) return st;
      if (sqlite3_changes(db_) == 0) return false;
      if (run != nullptr) {
        if (auto st = PutRunLocked(*run); !st.ok()) return st;
      }
      if (!raw_lines.empty()) {
        const std::string& run_id = run ? run->run_id() : std::string();
        Stmt next(db_, "SELECT COALESCE(MAX(seq), -1) + 1 FROM run_logs WHERE run_id = ?1");
        next.Text(1, run_id);
        if (next.Step() != SQLITE_ROW) return Err("read run log position");
        int64_t seq = next.ColInt(0);
        for (const auto& line : raw_lines) {
          Stmt one(db_, "INSERT INTO run_logs VALUES (?1, ?2, ?3)");
          one.Text(1, run_id).Int(2, seq++).Text(3, line);
          if (auto st = Done(one.Step(), "append run log"); !st.ok()) return st;
        }
      }
      return true;
    }();
    if (!result.ok()) {
      (void)Exec("ROLLBACK");
      return result;
    }
    if (auto st = Exec("COMMIT"); !st.ok()) return st;
    return result;
  }

  absl::StatusOr<std::vector<benchlab::v1::OpProfileRow>> RunOps(const std::string& run_id) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT proto FROM run_ops WHERE run_id = ?1");
    s.Text(1, run_id);
    std::vector<benchlab::v1::OpProfileRow> out;
    int rc = s.Step();
    if (rc == SQLITE_ROW) {
      benchlab::v1::Run ops;
      if (!ops.ParseFromString(s.ColText(0))) return absl::DataLossError(absl::StrCat("run_ops of ", run_id, " unreadable"));
      for (auto& row : *ops.mutable_ops()) out.push_back(std::move(row));
      return out;
    }
    if (auto st = Done(rc, "read run ops"); !st.ok()) return st;
    return out;
  }

  absl::StatusOr<std::vector<std::string>> RawLog(const std::string& run_id) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT line FROM run_logs WHERE run_id = ?1 ORDER BY seq");
    s.Text(1, run_id);
    std::vector<std::string> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(s.ColText(0));
    if (auto st = Done(rc, "read run log"); !st.ok()) return st;
    return out;
  }

  absl::StatusOr<int64_t> PruneRunLogs(const std::vector<std::string>& run_ids) override {
    absl::MutexLock lock(&mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
    int64_t lines = 0;
    for (const auto& id : run_ids) {
      Stmt s(db_, "DELETE FROM run_logs WHERE run_id = ?1");
      s.Text(1, id);
      if (auto st = Done(s.Step(), "prune run log"); !st.ok()) {
        (void)Exec("ROLLBACK");
        return st;
      }
      lines += sqlite3_changes(db_);
    }
    if (auto st = Exec("COMMIT"); !st.ok()) return st;
    return lines;
  }

  absl::Status PutDeviceCare(const DeviceCare& c) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "INSERT OR REPLACE INTO device_care VALUES (?1, ?2, ?3, ?4, ?5)");
    s.Text(1, c.device_id).Int(2, c.state).Text(3, c.note).Text(4, c.by).Int(5, c.since_unix_ms);
    return Done(s.Step(), "store device care");
  }

  absl::Status ClearDeviceCare(const std::string& device_id) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "DELETE FROM device_care WHERE device_id = ?1");
    s.Text(1, device_id);
    return Done(s.Step(), "clear device care");
  }

  absl::StatusOr<std::vector<DeviceCare>> ListDeviceCare() override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "SELECT device_id, state, note, by_name, since_unix_ms FROM device_care ORDER BY device_id");
    std::vector<DeviceCare> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      DeviceCare& c = out.emplace_back();
      c.device_id = s.ColText(0);
      c.state = static_cast<benchlab::v1::DeviceState>(s.ColInt(1));
      c.note = s.ColText(2);
      c.by = s.ColText(3);
      c.since_unix_ms = s.ColInt(4);
    }
    if (auto st = Done(rc, "list device care"); !st.ok()) return st;
    return out;
  }

  absl::Status ForgetDevice(const std::string& device_id) override {
    absl::MutexLock lock(&mu_);
    if (auto st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
    for (const char* sql : {"DELETE FROM devices WHERE device_id = ?1", "DELETE FROM device_care WHERE device_id = ?1"}) {
      Stmt s(db_, sql);
      s.Text(1, device_id);
      if (auto st = Done(s.Step(), "forget device"); !st.ok()) {
        (void)Exec("ROLLBACK");
        return st;
      }
    }
    return Exec("COMMIT");
  }

  absl::Status AppendAudit(benchlab::v1::AuditEntry* e) override {
    absl::MutexLock lock(&mu_);
    Stmt s(db_, "INSERT INTO audit (unix_ms, action, actor, peer, method, target, detail) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.Int(1, e->unix_ms()).Text(2, e->action()).Text(3, e->actor()).Text(4, e->peer()).Text(5, e->method())
        .Text(6, e->target()).Text(7, e->detail());
    if (auto st = Done(s.Step(), "append audit entry"); !st.ok()) return st;
    e->set_seq(sqlite3_last_insert_rowid(db_));
    // Bounded: refused credentials come as fast as anyone can call. Every 1,000 entries
    // the ones older than the newest kMaxAuditEntries go.
    if (e->seq() % 1000 == 0) {
      Stmt prune(db_, "DELETE FROM audit WHERE seq <= ?1");
      prune.Int(1, e->seq() - kMaxAuditEntries);
      if (auto st = Done(prune.Step(), "prune audit entries"); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<benchlab::v1::ListAuditResponse> ListAudit(int64_t since_unix_ms, int limit) override {
    absl::MutexLock lock(&mu_);
    // The newest `limit` + 1 (one more says whether older ones were left out), reversed.
    Stmt s(db_, "SELECT seq, unix_ms, action, actor, peer, method, target, detail FROM audit "
                "WHERE unix_ms >= ?1 ORDER BY seq DESC LIMIT ?2");
    s.Int(1, since_unix_ms).Int(2, int64_t{limit} + 1);
    benchlab::v1::ListAuditResponse out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      if (out.entries_size() == limit) {
        out.set_truncated(true);
        continue;
      }
      benchlab::v1::AuditEntry* e = out.add_entries();
      e->set_seq(s.ColInt(0));
      e->set_unix_ms(s.ColInt(1));
      e->set_action(s.ColText(2));
      e->set_actor(s.ColText(3));
      e->set_peer(s.ColText(4));
      e->set_method(s.ColText(5));
      e->set_target(s.ColText(6));
      e->set_detail(s.ColText(7));
    }
    if (auto st = Done(rc, "list audit entries"); !st.ok()) return st;
    std::reverse(out.mutable_entries()->begin(), out.mutable_entries()->end());
    return out;
  }

 private:
  absl::Status PutRunLocked(const benchlab::v1::Run& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    benchlab::v1::Run copy = run;
    copy.clear_raw_log();
    if (copy.ops_size() > 0) {  // the op rows live in run_ops; a run without them keeps its rows
      benchlab::v1::Run ops;
      ops.mutable_ops()->Swap(copy.mutable_ops());
      Stmt o(db_, "INSERT OR REPLACE INTO run_ops VALUES (?1, ?2)");
      o.Text(1, copy.run_id()).Blob(2, ops.SerializeAsString());
      if (auto st = Done(o.Step(), "store run ops"); !st.ok()) return st;
    }
    Stmt s(db_, "INSERT OR REPLACE INTO runs VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s.Text(1, copy.run_id()).Text(2, copy.job_id()).Text(3, copy.device_id()).Int(4, copy.state())
        .Int(5, copy.attempt()).Blob(6, copy.SerializeAsString());
    return Done(s.Step(), "store run");
  }
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return Classify(absl::StrCat("sqlite: ", msg));
    }
    return absl::OkStatus();
  }
  absl::Status Err(const char* what) {
    return Classify(absl::StrCat("sqlite: ", what, ": ", sqlite3_errmsg(db_)));
  }
  // A full disk is the operator's to fix, and the caller's to retry once fixed: say so.
  absl::Status Classify(std::string message) {
    if (sqlite3_errcode(db_) == SQLITE_FULL) {
      return absl::ResourceExhaustedError(
          absl::StrCat(message, " (free space in the data directory; nothing was stored)"));
    }
    return absl::InternalError(message);
  }
  absl::Status Done(int rc, const char* what) {
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return absl::OkStatus();
    return Err(what);
  }

  absl::Mutex mu_;
  sqlite3* db_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  // A new database is the owner's only (0600; SQLite gives its -wal and -shm files the same
  // mode): it holds every job, and other users of the host have no business reading it.
  // An existing file keeps the mode its operator gave it.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("create database ", path, ": ", std::strerror(errno),
                                               " — check that the data directory is writable"));
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("open database ", path, ": ", msg,
                                               " — check that the data directory is writable"));
  }
  auto store = std::make_unique<SqliteStore>(db);
  if (auto st = store->Init(path); !st.ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace benchlab::coordinator
