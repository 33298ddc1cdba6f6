// Core with a store whose writes fail on demand: a failed durable write fails the call
// that caused it and leaves memory as it was (no half-created job, no event applied
// without its ack, no cancel in memory only, no assignment sent that was not stored),
// and the same call succeeds once the store works again.
#include <gtest/gtest.h>

#include <map>

#include "absl/synchronization/mutex.h"
#include "coordinator/core.h"
#include "spdlog/spdlog.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/coordinator_test_core.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;
using benchlab::testing::MemoryStore;

using Channel = benchlab::testing::RecordingChannel;

class CoreStoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::off);  // the store_failed lines are expected here
    auto t = benchlab::testing::OpenTestCore(&store_, &clock_, dir_.path());
    ASSERT_TRUE(t.ok()) << t.status();
    artifacts_ = std::move(t->artifacts);
    core_ = std::move(t->core);
  }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  absl::Status Hello(int phones) {
    v1::AgentHello h;
    for (int p = 0; p < phones; ++p) {
      auto* d = h.add_devices();
      d->set_serial("S" + std::to_string(p));
      d->set_adb_state("device");
    }
    return core_->AgentHello("h", h, channel_).status();
  }
  absl::StatusOr<v1::Job> Submit(int repeats) {
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256("m");
    req.mutable_spec()->set_apk_sha256("a");
    req.mutable_spec()->set_repeats(repeats);
    req.mutable_spec()->set_retries(1);
    req.mutable_spec()->mutable_selector()->set_all(true);
    return core_->SubmitJob(req, "test");
  }
  v1::Run RunOf(const std::string& job_id, int i) {
    auto j = core_->GetJob(job_id);
    EXPECT_TRUE(j.ok());
    return j.ok() && i < j->runs_size() ? j->runs(i) : v1::Run();
  }

  benchlab::testing::TempDir dir_;
  FakeClock clock_;
  MemoryStore store_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<Core> core_;
  std::shared_ptr<Channel> channel_ = std::make_shared<Channel>();
};

TEST_F(CoreStoreFailureTest, SubmitFailsWhenTheJobCannotBeStoredAndCreatesNothing) {
  ASSERT_TRUE(Hello(1).ok());
  store_.Fail(MemoryStore::kCreateJob, true);
  auto job = Submit(2);
  ASSERT_FALSE(job.ok());
  EXPECT_TRUE(absl::IsUnavailable(job.status())) << job.status();
  auto list = core_->ListJobs(v1::ListJobsRequest());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->jobs_size(), 0);
  EXPECT_EQ(channel_->assigned_count(), 0u);
  EXPECT_EQ(core_->Stats().runs_by_state.size(), 0u);
  store_.Fail(MemoryStore::kCreateJob, false);
  job = Submit(2);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job_id(), "j000001");  // the failed attempt used no id
  EXPECT_EQ(channel_->assigned_count(), 1u);
}

TEST_F(CoreStoreFailureTest, RunEventThatCannotBeStoredFailsAndIsAppliedWhenResent) {
  ASSERT_TRUE(Hello(1).ok());
  auto job = Submit(1);
  ASSERT_TRUE(job.ok());
  const std::string run = job->job_id() + ".0.0";
  v1::RunEvent ev;
  ev.set_event_id("e1");
  ev.set_run_id(run);
  ev.set_attempt(1);
  ev.mutable_result()->set_state(v1::RUN_STATE_DONE);
  ev.mutable_result()->mutable_metrics()->set_avg_us(1234);
  store_.Fail(MemoryStore::kApplyEvent, true);
  absl::Status st = core_->RunEvent("h", ev);
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;  // no ack: the agent keeps it and resends
  EXPECT_EQ(RunOf(job->job_id(), 0).state(), v1::RUN_STATE_ASSIGNED);
  EXPECT_EQ(core_->Stats().events_applied_total, 0);
  EXPECT_EQ(core_->GetJob(job->job_id())->job().finished_unix_ms(), 0);
  store_.Fail(MemoryStore::kApplyEvent, false);
  ASSERT_TRUE(core_->RunEvent("h", ev).ok());
  EXPECT_EQ(RunOf(job->job_id(), 0).state(), v1::RUN_STATE_DONE);
  EXPECT_EQ(store_.StoredRun(run).state(), v1::RUN_STATE_DONE);
  EXPECT_NE(core_->GetJob(job->job_id())->job().finished_unix_ms(), 0);
  ASSERT_TRUE(core_->RunEvent("h", ev).ok());  // a replay is acknowledged, applied once
  EXPECT_EQ(core_->Stats().events_applied_total, 1);
  EXPECT_EQ(RunOf(job->job_id(), 0).state(), v1::RUN_STATE_DONE);
}

TEST_F(CoreStoreFailureTest, CancelThatCannotBeStoredFailsAndChangesNothing) {
  ASSERT_TRUE(Hello(1).ok());
  auto job = Submit(3);
  ASSERT_TRUE(job.ok());
  store_.Fail(MemoryStore::kPutJob, true);
  auto c = core_->CancelJob(job->job_id());
  EXPECT_TRUE(absl::IsUnavailable(c.status())) << c.status();
  auto view = core_->GetJob(job->job_id());
  EXPECT_FALSE(view->job().cancelled());
  EXPECT_EQ(view->job().runs_cancelled(), 0);
  {
    absl::MutexLock l(&channel_->mu);
    EXPECT_EQ(channel_->cancels, 0);
  }
  store_.Fail(MemoryStore::kPutJob, false);
  c = core_->CancelJob(job->job_id());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->cancelled());
  EXPECT_EQ(c->runs_cancelled(), 3);
}

TEST_F(CoreStoreFailureTest, AssignmentsThatCannotBeStoredAreNotSentAndRetriedNextTick) {
  ASSERT_TRUE(Hello(2).ok());
  store_.Fail(MemoryStore::kPutRuns, true);
  auto job = Submit(1);
  ASSERT_TRUE(job.ok()) << job.status();  // the job itself was stored
  EXPECT_EQ(channel_->assigned_count(), 0u);
  EXPECT_EQ(job->runs_queued(), 2);
  core_->Tick();
  EXPECT_EQ(channel_->assigned_count(), 0u);
  for (const auto& d : core_->ListDevices(v1::ListDevicesRequest())) {
    EXPECT_EQ(d.state(), v1::DEVICE_STATE_IDLE) << d.info().device_id();
    EXPECT_EQ(d.queue_length(), 1);
  }
  store_.Fail(MemoryStore::kPutRuns, false);
  core_->Tick();
  EXPECT_EQ(channel_->assigned_count(), 2u);
  EXPECT_EQ(core_->GetJob(job->job_id())->job().runs_active(), 2);
  EXPECT_EQ(store_.StoredRun(job->job_id() + ".0.0").state(), v1::RUN_STATE_ASSIGNED);
}

TEST_F(CoreStoreFailureTest, TimeoutThatCannotBeStoredIsPlannedAgainNextTick) {
  ASSERT_TRUE(Hello(1).ok());
  auto job = Submit(1);
  ASSERT_TRUE(job.ok());
  clock_.Advance(absl::Seconds(601));  // past the default 600 s timeout
  store_.Fail(MemoryStore::kPutRuns, true);
  core_->Tick();
  EXPECT_EQ(RunOf(job->job_id(), 0).state(), v1::RUN_STATE_ASSIGNED);
  {
    absl::MutexLock l(&channel_->mu);
    EXPECT_EQ(channel_->cancels, 0);  // nothing was decided
  }
  store_.Fail(MemoryStore::kPutRuns, false);
  core_->Tick();
  v1::Run r = RunOf(job->job_id(), 0);
  EXPECT_EQ(r.state(), v1::RUN_STATE_QUEUED);  // retried (retries = 1)
  EXPECT_EQ(r.attempt(), 2);
  EXPECT_EQ(r.error_class(), v1::ERROR_CLASS_TIMED_OUT);
}

TEST_F(CoreStoreFailureTest, HelloThatCannotBeStoredIsRefused) {
  store_.Fail(MemoryStore::kPutDevice, true);
  EXPECT_TRUE(absl::IsUnavailable(Hello(1)));
  EXPECT_TRUE(core_->ListDevices(v1::ListDevicesRequest()).empty());
  EXPECT_TRUE(core_->ListAgents().empty());
  store_.Fail(MemoryStore::kPutDevice, false);
  ASSERT_TRUE(Hello(1).ok());
  EXPECT_EQ(core_->ListDevices(v1::ListDevicesRequest()).size(), 1u);
}

}  // namespace
}  // namespace benchlab::coordinator
