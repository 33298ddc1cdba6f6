// RunLedger on its own, with a fake clock: retries and their backoff (2 s doubling to
// 30 s), queue timeout, run timeout, the hold of a phone until its agent reports the
// ended attempt final, stale attempts, and plans that change nothing until applied.
// Variant jobs: ABBA runs per phone, and the until_decided block planned when a phone's
// last run ends, kept pending (the job open) until applied. No sleeps: time moves only
// when a test advances the clock.
#include "coordinator/run_ledger.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

class RunLedgerTest : public ::testing::Test {
 protected:
  // A job of `repeats` runs on phone "h/p" (online).
  std::string Submit(int repeats, int retries, int timeout_s = 60, int queue_timeout_s = 0) {
    v1::JobSpec spec;
    spec.set_repeats(repeats);
    spec.set_retries(retries);
    spec.set_timeout_s(timeout_s);
    spec.set_queue_timeout_s(queue_timeout_s);
    NewJob job = ledger_.PlanJob(spec, "", "test", {"h/p"});
    ledger_.AddJob(job);
    return job.stored.job.job_id();
  }
  // Assigns and applies; returns the runs leased.
  std::vector<v1::Run> Assign() {
    std::vector<RunChange> plan = ledger_.PlanAssign();
    ledger_.Apply(plan);
    std::vector<v1::Run> out;
    for (const auto& c : plan) out.push_back(c.run);
    return out;
  }
  LedgerEffects Event(const std::string& run_id, int attempt, v1::RunEvent ev) {
    ev.set_run_id(run_id);
    ev.set_attempt(attempt);
    EXPECT_TRUE(ledger_.IsCurrent(ev));
    std::vector<std::string> lines;
    auto c = ledger_.PlanEvent(ev, &lines);
    EXPECT_TRUE(c.ok()) << c.status();
    return ledger_.Apply({*c});
  }
  static v1::RunEvent Result(v1::RunState state, v1::ErrorClass ec = v1::ERROR_CLASS_UNSPECIFIED) {
    v1::RunEvent ev;
    ev.mutable_result()->set_state(state);
    ev.mutable_result()->set_error_class(ec);
    return ev;
  }
  const v1::Run& Run(const std::string& id) { return *ledger_.FindRun(id); }

  FakeClock clock_;
  RunLedger ledger_{&clock_};
  void SetUp() override { ledger_.SetDeviceOnline("h/p", true); }
};

TEST_F(RunLedgerTest, RetriesBackOffTwoSecondsDoublingToThirtyThenFail) {
  std::string job = Submit(1, 6);
  std::string run = job + ".0.0";
  // Backoff before attempt n+1: 2, 4, 8, 16, 30 (capped), 30 s.
  const int backoff_s[] = {2, 4, 8, 16, 30, 30};
  for (int attempt = 1; attempt <= 7; ++attempt) {
    auto leased = Assign();
    ASSERT_EQ(leased.size(), 1u) << "attempt " << attempt;
    EXPECT_EQ(leased[0].attempt(), attempt);
    EXPECT_EQ(Run(run).state(), v1::RUN_STATE_ASSIGNED);
    auto fx = Event(run, attempt, Result(v1::RUN_STATE_FAILED, v1::ERROR_CLASS_DEVICE_LOST));
    if (attempt == 7) {
      EXPECT_EQ(fx.retried, 0);
      EXPECT_EQ(Run(run).state(), v1::RUN_STATE_FAILED);  // 1 + 6 retries used up
      ASSERT_EQ(fx.finished_jobs.size(), 1u);
      EXPECT_NE(ledger_.FindJob(job)->job.finished_unix_ms(), 0);
      break;
    }
    EXPECT_EQ(fx.retried, 1);
    EXPECT_EQ(Run(run).state(), v1::RUN_STATE_QUEUED);
    EXPECT_EQ(Run(run).attempt(), attempt + 1);
    clock_.Advance(absl::Seconds(backoff_s[attempt - 1]) - absl::Milliseconds(1));
    EXPECT_TRUE(ledger_.PlanAssign().empty()) << "retry " << attempt << " started before its backoff";
    clock_.Advance(absl::Milliseconds(1));
  }
}

TEST_F(RunLedgerTest, NonRetryableFailureEndsTheRunAtOnce) {
  std::string run = Submit(1, 3) + ".0.0";
  Assign();
  auto fx = Event(run, 1, Result(v1::RUN_STATE_FAILED, v1::ERROR_CLASS_MODEL_INVALID));
  EXPECT_EQ(fx.retried, 0);
  EXPECT_EQ(Run(run).state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(Run(run).error_class(), v1::ERROR_CLASS_MODEL_INVALID);
}

TEST_F(RunLedgerTest, QueuedRunOnAnOfflinePhoneEndsAtItsQueueTimeout) {
  ledger_.SetDeviceOnline("h/p", false);
  std::string run = Submit(1, 2, 60, /*queue_timeout_s=*/120) + ".0.0";
  clock_.Advance(absl::Seconds(119));
  EXPECT_TRUE(ledger_.PlanTimeouts().empty());
  EXPECT_TRUE(ledger_.PlanAssign().empty());  // offline: no lease
  clock_.Advance(absl::Seconds(1));
  auto plan = ledger_.PlanTimeouts();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].run.error_class(), v1::ERROR_CLASS_QUEUE_TIMED_OUT);
  EXPECT_FALSE(plan[0].notify_agent);  // no agent has it
  EXPECT_FALSE(plan[0].retry);         // waiting again would not bring the phone back
  auto fx = ledger_.Apply(plan);
  EXPECT_TRUE(fx.cancels.empty());
  EXPECT_EQ(Run(run).state(), v1::RUN_STATE_FAILED);
}

TEST_F(RunLedgerTest, LedgerDefaultQueueTimeoutAppliesToJobsWithoutOne) {
  ledger_.set_queue_timeout(absl::Minutes(5));
  std::string job = Submit(1, 0);
  EXPECT_EQ(ledger_.FindJob(job)->job.spec().queue_timeout_s(), 300);
}

TEST_F(RunLedgerTest, RunPastItsTimeoutIsRetriedAndThePhoneHeldUntilTheAgentWindsDown) {
  std::string run = Submit(1, 1, /*timeout_s=*/60) + ".0.0";
  Assign();
  clock_.Advance(absl::Seconds(59));
  EXPECT_TRUE(ledger_.PlanTimeouts().empty());
  clock_.Advance(absl::Seconds(1));
  auto plan = ledger_.PlanTimeouts();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].run.error_class(), v1::ERROR_CLASS_TIMED_OUT);
  EXPECT_TRUE(plan[0].notify_agent);
  EXPECT_TRUE(plan[0].retry);
  auto fx = ledger_.Apply(plan);
  // The agent is told to stop attempt 1; the run waits as attempt 2.
  ASSERT_EQ(fx.cancels.size(), 1u);
  EXPECT_EQ(fx.cancels[0].device_id, "h/p");
  EXPECT_EQ(fx.cancels[0].message.cancel().attempt(), 1);
  EXPECT_EQ(Run(run).state(), v1::RUN_STATE_QUEUED);
  EXPECT_EQ(Run(run).attempt(), 2);
  // Past the backoff the phone is still held by attempt 1: no second run beside it.
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(ledger_.PlanAssign().empty());
  EXPECT_EQ(ledger_.scheduler().HeldBy("h/p"), run);
  // Attempt 1's late result is stale: it changes nothing but frees the phone.
  v1::RunEvent late = Result(v1::RUN_STATE_CANCELLED);
  late.set_run_id(run);
  late.set_attempt(1);
  EXPECT_FALSE(ledger_.IsCurrent(late));
  EXPECT_FALSE(ledger_.Release("h/p", run, 2));  // not the attempt that holds it
  EXPECT_TRUE(ledger_.Release("h/p", run, 1));
  auto leased = Assign();
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].attempt(), 2);
}

TEST_F(RunLedgerTest, StaleAttemptsAndFinishedRunsAreNotCurrent) {
  std::string run = Submit(1, 1) + ".0.0";
  Assign();
  Event(run, 1, Result(v1::RUN_STATE_FAILED, v1::ERROR_CLASS_PUSH_FAILED));  // retried as attempt 2
  v1::RunEvent ev;
  ev.set_run_id(run);
  ev.set_state(v1::RUN_STATE_RUNNING);
  ev.set_attempt(1);
  EXPECT_FALSE(ledger_.IsCurrent(ev));
  ev.set_attempt(2);
  EXPECT_TRUE(ledger_.IsCurrent(ev));
  ev.set_run_id("j999999.0.0");
  EXPECT_FALSE(ledger_.IsCurrent(ev));
  clock_.Advance(absl::Seconds(2));
  Assign();
  Event(run, 2, Result(v1::RUN_STATE_DONE));
  ev.set_run_id(run);
  EXPECT_FALSE(ledger_.IsCurrent(ev));  // final: nothing moves it again
}

TEST_F(RunLedgerTest, StatesOnlyMoveForward) {
  std::string run = Submit(1, 0) + ".0.0";
  Assign();
  v1::RunEvent ev;
  ev.set_state(v1::RUN_STATE_RUNNING);
  Event(run, 1, ev);
  ev.set_state(v1::RUN_STATE_INSTALLING);  // replayed older state
  Event(run, 1, ev);
  EXPECT_EQ(Run(run).state(), v1::RUN_STATE_RUNNING);
}

TEST_F(RunLedgerTest, PlansChangeNothingUntilApplied) {
  std::string job = Submit(2, 1);
  std::string run = job + ".0.0";
  Assign();
  const v1::Run before = Run(run);
  // A failure, a cancel and a timeout planned but not applied (their write failed).
  ASSERT_TRUE(ledger_.PlanFail(run, v1::ERROR_CLASS_DEVICE_LOST, "gone", true).has_value());
  v1::Job cancelled;
  EXPECT_EQ(ledger_.PlanCancel(job, &cancelled).size(), 2u);
  EXPECT_TRUE(cancelled.cancelled());
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(ledger_.PlanTimeouts().size(), 1u);
  EXPECT_EQ(Run(run).SerializeAsString(), before.SerializeAsString());
  EXPECT_FALSE(ledger_.FindJob(job)->job.cancelled());
  EXPECT_EQ(ledger_.scheduler().LeaseOf("h/p"), run);
  EXPECT_EQ(ledger_.FindJob(job)->counts.active(), 1);
}

TEST_F(RunLedgerTest, UndoneAssignmentIsQueuedAgainInItsPlace) {
  std::string job = Submit(2, 0);
  auto plan = ledger_.PlanAssign();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].run.run_id(), job + ".0.0");
  EXPECT_EQ(Run(job + ".0.0").state(), v1::RUN_STATE_QUEUED);  // not applied yet
  ledger_.UndoAssign(plan);
  EXPECT_TRUE(ledger_.scheduler().LeaseOf("h/p").empty());
  auto again = ledger_.PlanAssign();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].run.run_id(), job + ".0.0");
}

TEST_F(RunLedgerTest, CancelEndsQueuedRunsAndStopsTheLeasedOne) {
  std::string job = Submit(3, 0);
  Assign();
  v1::Job cancelled;
  auto plan = ledger_.PlanCancel(job, &cancelled);
  ledger_.ApplyJob(cancelled);
  auto fx = ledger_.Apply(plan);
  ASSERT_EQ(fx.cancels.size(), 1u);  // only the leased run is on a phone
  EXPECT_EQ(fx.cancels[0].message.cancel().run_id(), job + ".0.0");
  ASSERT_EQ(fx.finished_jobs.size(), 1u);
  EXPECT_EQ(ledger_.FindJob(job)->counts.cancelled(), 3);
  // The phone stays held by the cancelled attempt until the agent reports it final.
  EXPECT_EQ(ledger_.scheduler().HeldBy("h/p"), job + ".0.0");
}

TEST_F(RunLedgerTest, VariantJobRunsAbbaAndKeepsTheJobOpenUntilItsNextBlockIsApplied) {
  v1::JobSpec spec;
  spec.set_repeats(2);
  spec.set_timeout_s(60);
  spec.set_until_decided(true);
  spec.set_max_repeats(10);
  spec.add_variants()->set_model_sha256("a");
  spec.add_variants()->set_model_sha256("b");
  NewJob job = ledger_.PlanJob(spec, "", "test", {"h/p"});
  ASSERT_EQ(job.runs.size(), 4u) << "2 repeats x 2 variants";
  std::string order;
  for (const auto& r : job.runs) order += r.variant() == 0 ? 'A' : 'B';
  EXPECT_EQ(order, "ABBA");
  ledger_.AddJob(job);
  const std::string id = job.stored.job.job_id();
  LedgerEffects fx;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(Assign().size(), 1u);
    v1::RunEvent ev = Result(v1::RUN_STATE_DONE);
    ev.mutable_result()->mutable_metrics()->set_inference_avg_us(1000 + i);
    fx = Event(absl::StrCat(id, ".0.", i), 1, ev);
  }
  EXPECT_TRUE(fx.finished_jobs.empty()) << "2 against 2 cannot decide: a block is pending";
  EXPECT_EQ(ledger_.FindJob(id)->job.finished_unix_ms(), 0);
  EXPECT_EQ(ledger_.FindJob(id)->run_ids.size(), 4u) << "nothing added before it is stored";
  std::vector<RunChange> added = ledger_.PlanExtensions();
  ASSERT_EQ(added.size(), 4u);
  EXPECT_EQ(ledger_.PlanExtensions().size(), 4u) << "planned again until applied";
  order.clear();
  for (const auto& c : added) {
    EXPECT_EQ(c.kind, RunChange::Kind::kAdded);
    order += c.run.variant() == 0 ? 'A' : 'B';
  }
  EXPECT_EQ(order, "ABBA");
  EXPECT_EQ(added[0].run.run_id(), id + ".0.4");
  fx = ledger_.Apply(added);
  EXPECT_EQ(fx.published.size(), 4u);
  EXPECT_TRUE(ledger_.PlanExtensions().empty());
  EXPECT_EQ(ledger_.JobView(*ledger_.FindJob(id)).runs_total(), 8);
  EXPECT_EQ(ledger_.Apply(added).published.size(), 0u) << "a block is added once";
  auto leased = Assign();
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].run_id(), id + ".0.4");
}

}  // namespace
}  // namespace benchlab::coordinator
