// Schema versions of benchlab.db: a new file, a database written by release 0.1.0 (the
// checked-in dump), a newer one (refused, untouched) and a step that fails (nothing kept).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coordinator/schema.h"
#include "coordinator/store.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::coordinator {
namespace {

// An open handle, closed at scope exit.
struct Db {
  explicit Db(const std::string& path) { sqlite3_open(path.c_str(), &db); }
  ~Db() { sqlite3_close(db); }
  bool Exec(const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
  }
  sqlite3* db = nullptr;
};

TEST(Schema, NewDatabaseIsCurrentAndOwnerOnly) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/benchlab.db";
  { ASSERT_TRUE(OpenSqliteStore(path).ok()); }
  Db db(path);
  EXPECT_EQ(*ReadSchemaVersion(db.db), kSchemaVersion);
  EXPECT_EQ(db.Int("SELECT COUNT(*) FROM pragma_table_info('artifacts') WHERE name = 'pinned'"), 1);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(Schema, Release010DatabaseIsMigratedKeepingItsRows) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/benchlab.db";
  {
    Db db(path);
    ASSERT_TRUE(db.Exec(testing::ReadFile(testing::DataPath("release_0.1.0_benchlab.sql"))));
    ASSERT_EQ(*ReadSchemaVersion(db.db), 0);
  }
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status();
  auto jobs = (*store)->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->size(), 3u);
  auto runs = (*store)->LoadRuns();
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 7u);
  auto model = (*store)->GetArtifact((*jobs)[0].job.spec().model_sha256());
  ASSERT_TRUE(model.ok() && model->has_value());
  EXPECT_GT((*model)->stored_unix_ms(), 0) << "0.1.0's artifacts count as stored at the upgrade";
  Db db(path);
  EXPECT_EQ(*ReadSchemaVersion(db.db), kSchemaVersion);
}

TEST(Schema, NewerDatabaseIsRefusedUntouched) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/benchlab.db";
  {
    Db db(path);
    ASSERT_TRUE(db.Exec("CREATE TABLE future (x); PRAGMA user_version = 99;"));
  }
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(store.status().message(), absl::StrCat("schema version 99, newer than the ", kSchemaVersion)))
      << store.status();
  Db db(path);
  EXPECT_EQ(*ReadSchemaVersion(db.db), 99);
  EXPECT_EQ(db.Int("SELECT COUNT(*) FROM sqlite_master WHERE name = 'jobs'"), 0) << "nothing created";
}

TEST(Schema, FailedStepLeavesTheDatabaseAsItWas) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/benchlab.db";
  Db db(path);
  ASSERT_TRUE(MigrateSchema(db.db, path, 1).ok());
  // Step 2 adds `pinned`; a column of that name already there makes it fail half way.
  ASSERT_TRUE(db.Exec("ALTER TABLE artifacts ADD COLUMN stored_unix_ms INTEGER"));
  absl::Status st = MigrateSchema(db.db, path, 2);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(*ReadSchemaVersion(db.db), 1);
  EXPECT_EQ(db.Int("SELECT COUNT(*) FROM pragma_table_info('artifacts') WHERE name = 'pinned'"), 0)
      << "the step's first ALTER was rolled back";
}

}  // namespace
}  // namespace benchlab::coordinator
