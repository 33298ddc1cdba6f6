// SqliteStore against a real database file: restart = reopen the same path.
#include <gtest/gtest.h>

#include <filesystem>

#include "coordinator/artifact_store.h"
#include "coordinator/store.h"
#include "tests/support/temp_dir.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

v1::Run MakeRun(const std::string& id, v1::RunState state) {
  v1::Run r;
  r.set_run_id(id);
  r.set_job_id("j000001");
  r.set_device_id("a1/SER1");
  r.set_attempt(1);
  r.set_state(state);
  return r;
}

TEST(SqliteStore, JobsAndRunsSurviveReopen) {
  testing::TempDir dir;
  std::string db = dir.path() + "/b.db";
  {
    auto store = OpenSqliteStore(db);
    ASSERT_TRUE(store.ok()) << store.status();
    StoredJob job;
    job.job.set_job_id("j000001");
    job.seq = 1;
    job.request_id = "req-1";
    ASSERT_TRUE((*store)->CreateJob(job, {MakeRun("j000001.0.0", v1::RUN_STATE_QUEUED),
                                         MakeRun("j000001.0.1", v1::RUN_STATE_RUNNING)}).ok());
    EXPECT_EQ((*store)->CreateJob(job, {}).code(), absl::StatusCode::kAlreadyExists);
  }
  auto store = OpenSqliteStore(db);
  ASSERT_TRUE(store.ok());
  auto jobs = (*store)->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].request_id, "req-1");
  auto runs = (*store)->LoadRuns();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[1].state(), v1::RUN_STATE_RUNNING);
}

TEST(SqliteStore, EventAppliesOnceEvenAfterReopen) {
  testing::TempDir dir;
  std::string db = dir.path() + "/b.db";
  v1::Run run = MakeRun("r1", v1::RUN_STATE_DONE);
  {
    auto store = OpenSqliteStore(db);
    ASSERT_TRUE(store.ok());
    auto first = (*store)->ApplyEvent("a1", "r1/1/7", &run, {"line one", "line two"});
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(*first);
  }
  auto store = OpenSqliteStore(db);
  ASSERT_TRUE(store.ok());
  v1::Run other = MakeRun("r1", v1::RUN_STATE_FAILED);
  auto again = (*store)->ApplyEvent("a1", "r1/1/7", &other, {"line one", "line two"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto runs = (*store)->LoadRuns();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].state(), v1::RUN_STATE_DONE);  // the replay changed nothing
  auto log = (*store)->RawLog("r1");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(*log, (std::vector<std::string>{"line one", "line two"}));
  // Same event id from another agent is a different event.
  auto other_agent = (*store)->ApplyEvent("a2", "r1/1/7", nullptr, {});
  ASSERT_TRUE(other_agent.ok());
  EXPECT_TRUE(*other_agent);
}

TEST(SqliteStore, DatabaseIsInWalMode) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/b.db");
  ASSERT_TRUE(store.ok());
  v1::Agent a;
  a.set_agent_id("a1");
  ASSERT_TRUE((*store)->PutAgent(a).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/b.db-wal"));
}

TEST(ArtifactStore, VerifiesHashAndDeduplicates) {
  testing::TempDir dir;
  ArtifactStore store(dir.path() + "/art", 100);
  ASSERT_TRUE(store.Init().ok());
  // sha256("hello")
  const std::string sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  auto w = store.NewWriter(sha, 5);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("hel").ok());
  ASSERT_TRUE((*w)->Append("lo").ok());
  auto dedup = (*w)->Commit();
  ASSERT_TRUE(dedup.ok()) << dedup.status();
  EXPECT_FALSE(*dedup);
  EXPECT_TRUE(store.Has(sha));
  auto again = store.NewWriter(sha, 5);
  ASSERT_TRUE((*again)->Append("hello").ok());
  EXPECT_TRUE(*(*again)->Commit());
  auto tail = store.Read(sha, 3, 10);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, "lo");

  auto bad = store.NewWriter("aa" + sha.substr(2), 5);
  ASSERT_TRUE((*bad)->Append("hello").ok());
  EXPECT_EQ((*bad)->Commit().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.NewWriter(sha, 101).status().code(), absl::StatusCode::kResourceExhausted);
  auto over = store.NewWriter(sha, 5);
  EXPECT_EQ((*over)->Append("hello!").code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace benchlab::coordinator
