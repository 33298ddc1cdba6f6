// Log retention in Core, on a fake clock: the raw logs of a job finished longer ago than
// the retention are deleted, those of a recent or unfinished job stay, nothing is deleted
// with retention off, and passes come no more often than a tenth of the retention.
#include <gtest/gtest.h>

#include "coordinator/core.h"
#include "spdlog/spdlog.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/coordinator_test_core.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

class LogRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lab_.Open().ok());
  }
  // A one-run job on the phone; `finish`: its run ends DONE with a log line.
  std::string Job(bool finish) {
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256("m");
    req.mutable_spec()->set_apk_sha256("a");
    req.mutable_spec()->mutable_selector()->set_all(true);
    auto job = core_->SubmitJob(req, "test");
    EXPECT_TRUE(job.ok()) << job.status();
    const std::string run = job->job_id() + ".0.0";
    v1::RunEvent log;
    log.set_event_id(run + "/log");
    log.set_run_id(run);
    log.set_attempt(1);
    log.mutable_raw_log()->add_lines("I tflite: line of " + run);
    EXPECT_TRUE(core_->RunEvent("h", log).ok());
    if (finish) {
      v1::RunEvent done;
      done.set_event_id(run + "/done");
      done.set_run_id(run);
      done.set_attempt(1);
      done.mutable_result()->set_state(v1::RUN_STATE_DONE);
      EXPECT_TRUE(core_->RunEvent("h", done).ok());
      core_->Tick();  // the phone is free for the next job
    }
    return job->job_id();
  }
  size_t LogLines(const std::string& job_id) { return store_.RawLog(job_id + ".0.0")->size(); }

  benchlab::testing::OnePhoneLab lab_;
  std::unique_ptr<Core>& core_ = lab_.core;
  std::unique_ptr<ArtifactStore>& artifacts_ = lab_.artifacts;
  FakeClock& clock_ = lab_.clock;
  benchlab::testing::MemoryStore& store_ = lab_.store;
};

TEST_F(LogRetentionTest, OffKeepsEverything) {
  const std::string old_job = Job(true);
  clock_.Advance(absl::Hours(24 * 365));
  EXPECT_EQ(*core_->PruneLogs(), 0);
  EXPECT_EQ(LogLines(old_job), 1u);
}

TEST_F(LogRetentionTest, PrunesOnlyJobsFinishedBeforeTheRetention) {
  core_->set_log_retention(absl::Hours(24 * 30));
  const std::string old_job = Job(true);
  clock_.Advance(absl::Hours(24 * 20));
  const std::string recent_job = Job(true);
  const std::string open_job = Job(false);
  EXPECT_EQ(*core_->PruneLogs(), 0) << "nothing is 30 days old yet";
  clock_.Advance(absl::Hours(24 * 11));  // old: 31 days; recent: 11 days
  EXPECT_EQ(*core_->PruneLogs(), 1);
  EXPECT_EQ(LogLines(old_job), 0u);
  EXPECT_EQ(LogLines(recent_job), 1u);
  EXPECT_EQ(LogLines(open_job), 1u);
  // The job and its results stay; only the raw log went.
  auto view = core_->GetJob(old_job);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->runs(0).state(), v1::RUN_STATE_DONE);
  // The next pass is a tenth of the retention (3 days) later: not before.
  clock_.Advance(absl::Hours(24 * 20));
  EXPECT_EQ(*core_->PruneLogs(), 1) << "recent is 31 days old now";
  EXPECT_EQ(LogLines(recent_job), 0u);
  clock_.Advance(absl::Hours(24 * 365));
  EXPECT_EQ(*core_->PruneLogs(), 0) << "an unfinished job keeps its log however old";
  EXPECT_EQ(LogLines(open_job), 1u);
}

TEST_F(LogRetentionTest, PassesAreATenthOfTheRetentionApart) {
  core_->set_log_retention(absl::Hours(10));
  const std::string job = Job(true);
  clock_.Advance(absl::Hours(10) - absl::Minutes(1));
  EXPECT_EQ(*core_->PruneLogs(), 0);  // looked: not old enough; the next look is 1 h later
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(*core_->PruneLogs(), 0) << "old enough now, but too soon after the last pass";
  EXPECT_EQ(LogLines(job), 1u);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*core_->PruneLogs(), 1);
  EXPECT_EQ(LogLines(job), 0u);
}

}  // namespace
}  // namespace benchlab::coordinator
