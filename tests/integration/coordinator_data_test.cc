// The coordinator's data over the years, through the built binaries and real gRPC: a
// database written by release 0.1.0 (tests/data/release_0.1.0_benchlab.sql, made by
// make_release_db.sh) is upgraded at start and every job, run, result and log line in it
// is served as stored; a newer database is refused; `benchlab-coordinator backup` copies
// the database of a lab that is running a job, and a coordinator started on the copy
// serves that job.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "coordinator/schema.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using google::protobuf::util::MessageDifferencer;
using testing::BinPath;
using testing::Subprocess;

// A database file read directly, as the coordinator stored it.
class Db {
 public:
  explicit Db(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~Db() { sqlite3_close(db_); }
  bool Exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
  // Column 0 of every row, as bytes.
  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) {
      const void* p = sqlite3_column_blob(s, 0);
      out.emplace_back(p ? static_cast<const char*>(p) : "", sqlite3_column_bytes(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }
  template <typename T>
  std::vector<T> Protos(const std::string& sql) {
    std::vector<T> out;
    for (const std::string& b : Column(sql)) out.emplace_back().ParseFromString(b);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// A benchlab-coordinator serving `data_dir` on a free loopback port.
struct Coordinator {
  static std::unique_ptr<Coordinator> Start(const std::string& data_dir, const std::string& log) {
    auto c = std::make_unique<Coordinator>();
    c->port = testing::FreePort();
    auto p = Subprocess::Spawn({BinPath("benchlab-coordinator"), "--listen", absl::StrCat("127.0.0.1:", c->port),
                                "--data-dir", data_dir, "--insecure"},
                               {.log_path = log});
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return nullptr;
    c->process = std::move(*p);
    EXPECT_TRUE(testing::WaitForPort(c->port, absl::Seconds(15))) << c->process->Output();
    c->lab = v1::Lab::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", c->port), grpc::InsecureChannelCredentials()));
    return c;
  }
  int port = 0;
  std::unique_ptr<Subprocess> process;
  std::unique_ptr<v1::Lab::Stub> lab;
};

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  return ctx;
}

// Every run of a job with its raw log, through GetResults' pages.
std::vector<v1::Run> Results(v1::Lab::Stub& lab, const std::string& job_id) {
  std::vector<v1::Run> runs;
  v1::GetResultsRequest req;
  req.set_job_id(job_id);
  req.set_include_raw_log(true);
  do {
    v1::GetResultsResponse resp;
    grpc::Status s = lab.GetResults(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    runs.insert(runs.end(), resp.runs().begin(), resp.runs().end());
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return runs;
}

TEST(CoordinatorData, Release010DatabaseIsUpgradedAndServedAsStored) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  std::filesystem::create_directories(data);
  const std::string db_path = data + "/benchlab.db";
  std::vector<v1::Job> jobs;
  std::map<std::string, v1::Run> runs;
  std::map<std::string, std::vector<std::string>> logs;
  {
    Db db(db_path);
    ASSERT_TRUE(db.Exec(testing::ReadFile(testing::DataPath("release_0.1.0_benchlab.sql"))));
    ASSERT_EQ(db.Column("PRAGMA user_version"), std::vector<std::string>{"0"});
    jobs = db.Protos<v1::Job>("SELECT proto FROM jobs ORDER BY seq");
    for (v1::Run& r : db.Protos<v1::Run>("SELECT proto FROM runs")) runs[r.run_id()] = r;
    for (const auto& [id, run] : runs) {
      logs[id] = db.Column(absl::StrCat("SELECT line FROM run_logs WHERE run_id = '", id, "' ORDER BY seq"));
    }
  }
  // What the fixture holds: a done, a partly failed and a cancelled job, with logs.
  ASSERT_EQ(jobs.size(), 3u);
  ASSERT_EQ(runs.size(), 7u);
  std::map<v1::RunState, int> all_states;
  for (const auto& [id, r] : runs) ++all_states[r.state()];
  EXPECT_EQ(all_states[v1::RUN_STATE_DONE], 5);
  EXPECT_EQ(all_states[v1::RUN_STATE_FAILED], 1);
  EXPECT_EQ(all_states[v1::RUN_STATE_CANCELLED], 1);
  EXPECT_TRUE(jobs[2].cancelled());
  EXPECT_FALSE(logs.begin()->second.empty());

  auto c = Coordinator::Start(data, dir.path() + "/coordinator.log");
  ASSERT_NE(c, nullptr);
  v1::ListJobsRequest list;
  v1::ListJobsResponse listed;
  ASSERT_TRUE(c->lab->ListJobs(Ctx().get(), list, &listed).ok());
  EXPECT_EQ(listed.jobs_size(), 3);
  int runs_served = 0;
  for (const v1::Job& stored : jobs) {
    SCOPED_TRACE(stored.job_id());
    v1::GetJobRequest req;
    req.set_job_id(stored.job_id());
    v1::GetJobResponse got;
    grpc::Status s = c->lab->GetJob(Ctx().get(), req, &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
    // The counters are kept in memory from the runs (0.1.0 stored them unset); the rest
    // of the job is served as stored.
    v1::Job served = got.job();
    std::map<v1::RunState, int> states;
    for (const auto& [id, r] : runs) {
      if (r.job_id() == stored.job_id()) ++states[r.state()];
    }
    EXPECT_EQ(served.runs_done(), states[v1::RUN_STATE_DONE]);
    EXPECT_EQ(served.runs_failed(), states[v1::RUN_STATE_FAILED]);
    EXPECT_EQ(served.runs_cancelled(), states[v1::RUN_STATE_CANCELLED]);
    int total = 0;
    for (const auto& [state, n] : states) total += n;
    EXPECT_EQ(served.runs_total(), total);
    for (int field : {6, 7, 8, 9, 10, 11}) {
      served.GetReflection()->ClearField(&served, served.GetDescriptor()->FindFieldByNumber(field));
    }
    EXPECT_TRUE(MessageDifferencer::Equals(served, stored))
        << "served:\n" << served.DebugString() << "stored:\n" << stored.DebugString();
    for (const v1::Run& served : Results(*c->lab, stored.job_id())) {
      ++runs_served;
      ASSERT_TRUE(runs.contains(served.run_id())) << served.run_id();
      v1::Run without_log = served;
      without_log.clear_raw_log();
      EXPECT_TRUE(MessageDifferencer::Equals(without_log, runs[served.run_id()])) << served.run_id();
      EXPECT_EQ(std::vector<std::string>(served.raw_log().begin(), served.raw_log().end()), logs[served.run_id()]);
    }
  }
  EXPECT_EQ(runs_served, 7);
  c->process->Signal(SIGTERM);
  ASSERT_TRUE(c->process->Wait(absl::Seconds(10)).ok());
  Db db(db_path);
  // Migrated all the way: the version the built coordinator writes.
  EXPECT_EQ(db.Column("PRAGMA user_version"), std::vector<std::string>{std::to_string(coordinator::kSchemaVersion)});
}

TEST(CoordinatorData, NewerDatabaseIsRefusedWithOneLine) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  std::filesystem::create_directories(data);
  {
    Db db(data + "/benchlab.db");
    ASSERT_TRUE(db.Exec("PRAGMA user_version = 7"));
  }
  auto r = testing::Run({"sh", "-c", "exec \"$0\" \"$@\" 2>&1 >/dev/null", BinPath("benchlab-coordinator"),
                         "--listen", "127.0.0.1:0", "--data-dir", data, "--insecure"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  std::string out(absl::StripTrailingAsciiWhitespace(r.output));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "schema version 7, newer than")) << out;
}


// Polls GetJob until `done(job)` holds; the last answer.
v1::GetJobResponse WaitJob(v1::Lab::Stub& lab, const std::string& job_id,
                           const std::function<bool(const v1::Job&)>& done) {
  v1::GetJobRequest req;
  req.set_job_id(job_id);
  v1::GetJobResponse got;
  for (absl::Time end = absl::Now() + absl::Seconds(60); absl::Now() < end; absl::SleepFor(absl::Milliseconds(50))) {
    got.Clear();
    if (lab.GetJob(Ctx().get(), req, &got).ok() && done(got.job())) return got;
  }
  ADD_FAILURE() << "job " << job_id << " did not get there: " << got.job().DebugString();
  return got;
}

// One lab for the cases below (one host, two devsim phones, the real agent), its
// coordinator pruning the raw logs of jobs finished more than ~4 s ago.
class LabDataTest : public ::testing::Test {
 protected:
  static constexpr double kLogRetentionDays = 0.00005;  // 4.32 s
  static void SetUpTestSuite() {
    auto started = testing::LabCluster::Start(
        {.hosts = 1,
         .phones_per_host = 2,
         .run_seconds = 0.2,
         .coordinator_extra = {"--log-retention-days", absl::StrCat(kLogRetentionDays)}});
    ASSERT_TRUE(started.ok()) << started.status();
    lab_ = started->release();
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(lab_, nullptr); }
  // Uploads the lab's model and APK and submits `repeats` runs on every phone.
  std::string Submit(v1::Lab::Stub& stub, int repeats) {
    auto model = testing::LabCluster::Upload(stub, lab_->model_path(), v1::ARTIFACT_KIND_MODEL);
    auto apk = testing::LabCluster::Upload(stub, lab_->apk_path(), v1::ARTIFACT_KIND_APK);
    EXPECT_TRUE(model.ok() && apk.ok());
    if (!model.ok() || !apk.ok()) return "";
    model_sha256_ = model->sha256();
    v1::SubmitJobRequest submit;
    submit.mutable_spec()->set_model_sha256(model->sha256());
    submit.mutable_spec()->set_apk_sha256(apk->sha256());
    submit.mutable_spec()->mutable_selector()->set_all(true);
    submit.mutable_spec()->set_repeats(repeats);
    v1::SubmitJobResponse submitted;
    grpc::Status s = stub.SubmitJob(Ctx().get(), submit, &submitted);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return submitted.job().job_id();
  }
  static testing::LabCluster* lab_;
  std::string model_sha256_;
};
testing::LabCluster* LabDataTest::lab_ = nullptr;

TEST_F(LabDataTest, BackupOfARunningLabRestores) {
  testing::LabCluster& lab = *lab_;
  auto stub = lab.Lab();
  const std::string job_id = Submit(*stub, 8);
  ASSERT_FALSE(job_id.empty());

  // Mid-job: some runs done, the agents still writing results and logs.
  WaitJob(*stub, job_id, [](const v1::Job& j) { return j.runs_done() >= 2; });
  const std::string data_dir = lab.dir() + "/coordinator";
  const std::string file = lab.dir() + "/benchlab-backup-" + job_id + ".db";
  testing::RunResult backup =
      testing::Run({BinPath("benchlab-coordinator"), "backup", "--data-dir", data_dir, file});
  ASSERT_EQ(backup.exit_code, 0) << backup.output;
  EXPECT_TRUE(absl::StrContains(backup.output, "integrity ok")) << backup.output;
  v1::GetJobResponse live = WaitJob(*stub, job_id, [](const v1::Job& j) { return j.finished_unix_ms() != 0; });
  EXPECT_EQ(live.job().runs_done(), 16);

  // The copy: whole, owner-only, not to be overwritten.
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
  {
    Db copy(file);
    EXPECT_EQ(copy.Column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  }
  testing::RunResult again =
      testing::Run({BinPath("benchlab-coordinator"), "backup", "--data-dir", data_dir, file});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(again.output, "exists")) << again.output;

  // Restore as coordinator/README.md says: the copy as benchlab.db of a data dir, with the
  // artifacts folder beside it.
  const std::string restored = lab.dir() + "/restored-" + job_id;
  std::filesystem::create_directories(restored);
  std::filesystem::copy_file(file, restored + "/benchlab.db");
  std::filesystem::copy(data_dir + "/artifacts", restored + "/artifacts", std::filesystem::copy_options::recursive);
  auto c = Coordinator::Start(restored, restored + ".log");
  ASSERT_NE(c, nullptr);
  v1::GetJobResponse back = WaitJob(*c->lab, job_id, [](const v1::Job&) { return true; });
  EXPECT_EQ(back.job().runs_total(), 16);
  EXPECT_GE(back.job().runs_done(), 2) << "the backup holds what was done when it started";
  std::map<std::string, v1::Run> final_runs;
  for (const v1::Run& r : live.runs()) final_runs[r.run_id()] = r;
  ASSERT_EQ(back.runs_size(), 16);
  for (const v1::Run& r : back.runs()) {
    if (r.state() != v1::RUN_STATE_DONE) continue;
    EXPECT_TRUE(MessageDifferencer::Equals(r, final_runs[r.run_id()])) << r.run_id();
  }
  v1::GetArtifactRequest areq;
  areq.set_sha256(model_sha256_);
  v1::GetArtifactResponse aresp;
  EXPECT_TRUE(c->lab->GetArtifact(Ctx().get(), areq, &aresp).ok()) << "the restored lab has the model";
}

TEST_F(LabDataTest, RawLogsOfOldJobsArePrunedAndTheResultsStay) {
  auto stub = lab_->Lab();
  const std::string job_id = Submit(*stub, 1);
  ASSERT_FALSE(job_id.empty());
  WaitJob(*stub, job_id, [](const v1::Job& j) { return j.finished_unix_ms() != 0; });
  auto lines = [&] {
    size_t n = 0;
    for (const v1::Run& r : Results(*stub, job_id)) n += r.raw_log_size();
    return n;
  };
  ASSERT_GT(lines(), 0u) << "the agent streamed the runs' logs";
  // Pruned once the job is older than the retention (4.3 s; passes 1 s apart).
  for (absl::Time end = absl::Now() + absl::Seconds(20); lines() > 0 && absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(lines(), 0u);
  std::vector<v1::Run> runs = Results(*stub, job_id);
  ASSERT_EQ(runs.size(), 2u);
  for (const v1::Run& r : runs) {
    EXPECT_EQ(r.state(), v1::RUN_STATE_DONE);
    EXPECT_GT(r.metrics().avg_us(), 0) << "the results stay";
  }
  EXPECT_TRUE(absl::StrContains(lab_->coordinator().Output(), "event=logs_pruned")) << "and it is logged";
}

}  // namespace
}  // namespace benchlab
