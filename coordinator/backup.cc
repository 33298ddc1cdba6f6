// BackupDatabase: see backup.h. One backup step of all pages (-1) is one read transaction,
// so the copy is one moment of the database however busy the coordinator is; incremental
// steps would restart each time the coordinator commits between them.
#include "coordinator/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "coordinator/schema.h"

namespace benchlab::coordinator {
namespace {

// Both handles of one backup, closed at scope exit; the partial file is removed unless
// `keep` was set.
struct Handles {
  ~Handles() {
    sqlite3_close(src);
    sqlite3_close(dst);
    if (!keep && !partial.empty()) {
      ::unlink(partial.c_str());
      ::unlink((partial + "-journal").c_str());
    }
  }
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  std::string partial;
  bool keep = false;
};

absl::StatusOr<std::string> IntegrityCheck(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("integrity check: ", sqlite3_errmsg(db)));
  }
  std::string first;
  if (sqlite3_step(s) == SQLITE_ROW) first = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  return first;
}

}  // namespace

absl::StatusOr<BackupReport> BackupDatabase(const std::string& data_dir, const std::string& out_path) {
  BackupReport report;
  report.source = data_dir + "/benchlab.db";
  struct stat st {};
  if (::stat(report.source.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("no database at ", report.source, ": give the coordinator's --data-dir"));
  }
  if (::stat(out_path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(out_path, " exists: give a new file name (a backup never replaces a file)"));
  }
  Handles h;
  h.partial = out_path + ".partial";
  // 0600 and O_EXCL: the copy holds every job, and two backups never write one file.
  int fd = ::open(h.partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      h.partial.clear();  // another backup's: not ours to remove
      return absl::AlreadyExistsError(
          absl::StrCat(out_path, ".partial exists: another backup is writing it, or remove it and retry"));
    }
    h.partial.clear();
    return absl::UnavailableError(absl::StrCat("cannot create ", out_path, ".partial: ", std::strerror(err)));
  }
  ::close(fd);
  // Read-only: the backup never writes the live database (its -wal and -shm are shared
  // with the coordinator, which keeps them).
  if (sqlite3_open_v2(report.source.c_str(), &h.src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_open_v2(h.partial.c_str(), &h.dst, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat("open for backup: ", sqlite3_errmsg(h.src ? h.src : h.dst)));
  }
  sqlite3_busy_timeout(h.src, 5000);
  sqlite3_backup* b = sqlite3_backup_init(h.dst, "main", h.src, "main");
  if (b == nullptr) return absl::InternalError(absl::StrCat("backup: ", sqlite3_errmsg(h.dst)));
  int rc;
  // BUSY/LOCKED only while the coordinator holds an exclusive lock (a checkpoint's
  // brief moments); try again for a while.
  for (int attempt = 0; (rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED; ++attempt) {
    if (attempt == 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  report.pages = sqlite3_backup_pagecount(b);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(absl::StrCat("backup of ", report.source, ": ", sqlite3_errstr(rc)));
  }
  // The copy stands alone: no -wal beside it, whatever the source's journal mode.
  if (sqlite3_exec(h.dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("backup journal mode: ", sqlite3_errmsg(h.dst)));
  }
  auto check = IntegrityCheck(h.dst);
  if (!check.ok()) return check.status();
  if (*check != "ok") {
    return absl::DataLossError(absl::StrCat("the copy of ", report.source, " fails integrity_check: ", *check));
  }
  auto version = ReadSchemaVersion(h.dst);
  if (!version.ok()) return version.status();
  report.schema_version = *version;
  sqlite3_close(h.dst);  // journal mode DELETE with synchronous FULL: the copy is on disk
  h.dst = nullptr;
  // link, not rename: a file that appeared at out_path meanwhile is not replaced.
  if (::link(h.partial.c_str(), out_path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot name the backup ", out_path, ": ", std::strerror(errno)));
  }
  if (::stat(out_path.c_str(), &st) == 0) report.bytes = st.st_size;
  return report;  // ~Handles removes the .partial name
}

}  // namespace benchlab::coordinator
