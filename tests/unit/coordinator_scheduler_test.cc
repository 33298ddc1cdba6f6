// Scheduler with a fake clock: one run per phone, fairness, priority, retries, timeouts,
// cooldown.
#include <gtest/gtest.h>

#include "coordinator/scheduler.h"

namespace benchlab::coordinator {
namespace {

SchedRun R(const std::string& id, const std::string& job, const std::string& dev, int prio = 0,
           int64_t job_seq = 0) {
  SchedRun r;
  r.run_id = id;
  r.job_id = job;
  r.device_id = dev;
  r.priority = prio;
  r.job_seq = job_seq;
  r.timeout = absl::Seconds(60);
  return r;
}

TEST(Scheduler, OneRunPerPhoneAtATime) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.Enqueue(R("a", "j1", "d1"));
  s.Enqueue(R("b", "j1", "d1"));
  auto leases = s.Assign();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].run_id, "a");
  EXPECT_TRUE(s.Assign().empty());
  EXPECT_EQ(s.End("a", false), EndDecision::kFinal);
  leases = s.Assign();
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].run_id, "b");
}

TEST(Scheduler, OfflinePhoneGetsNothingAndPhonesRunInParallel) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.SetDeviceOnline("d2", true);
  s.Enqueue(R("a", "j1", "d1"));
  s.Enqueue(R("b", "j1", "d2"));
  s.Enqueue(R("c", "j1", "d3"));
  EXPECT_EQ(s.Assign().size(), 2u);
  s.SetDeviceOnline("d3", true);
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].run_id, "c");
}

TEST(Scheduler, JobsShareAPhoneFairly) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  // Job 1 queued three runs before job 2 queued its; they must alternate.
  for (auto id : {"a1", "a2", "a3"}) s.Enqueue(R(id, "j1", "d1", 0, 1));
  for (auto id : {"b1", "b2", "b3"}) s.Enqueue(R(id, "j2", "d1", 0, 2));
  std::string order;
  for (int i = 0; i < 6; ++i) {
    auto l = s.Assign();
    ASSERT_EQ(l.size(), 1u);
    order += l[0].run_id.substr(0, 1);
    (void)s.End(l[0].run_id, false);
  }
  EXPECT_EQ(order, "ababab");
}

TEST(Scheduler, HigherPriorityFirst) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.Enqueue(R("low", "j1", "d1", 0, 1));
  s.Enqueue(R("high", "j2", "d1", 5, 2));
  EXPECT_EQ(s.Assign()[0].run_id, "high");
}

TEST(Scheduler, RetryableFailureRequeuesWithNextAttemptUntilExhausted) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  SchedRun r = R("a", "j1", "d1");
  r.max_attempts = 2;
  s.Enqueue(r);
  ASSERT_EQ(s.Assign().size(), 1u);
  EXPECT_EQ(s.End("a", true), EndDecision::kRetry);
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].attempt, 2);
  EXPECT_EQ(s.End("a", true), EndDecision::kFinal);
  EXPECT_FALSE(s.Known("a"));
}

TEST(Scheduler, LeasePastDeadlineIsReportedExpired) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.Enqueue(R("a", "j1", "d1"));
  ASSERT_EQ(s.Assign().size(), 1u);
  clock.Advance(absl::Seconds(59));
  EXPECT_TRUE(s.Expired().empty());
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(s.Expired(), std::vector<std::string>{"a"});
}

TEST(Scheduler, CooldownDelaysTheNextRunOnThatPhone) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  SchedRun a = R("a", "j1", "d1");
  a.cooldown = absl::Seconds(30);
  s.Enqueue(a);
  s.Enqueue(R("b", "j1", "d1"));
  ASSERT_EQ(s.Assign().size(), 1u);
  (void)s.End("a", false);
  EXPECT_TRUE(s.Assign().empty());
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(s.Assign().size(), 1u);
}

TEST(Scheduler, RemoveFreesThePhoneAndReportsTheLease) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.Enqueue(R("a", "j1", "d1"));
  s.Enqueue(R("b", "j1", "d1"));
  ASSERT_EQ(s.Assign().size(), 1u);
  EXPECT_FALSE(s.Remove("b"));
  EXPECT_TRUE(s.Remove("a"));
  EXPECT_EQ(s.LeaseOf("d1"), "");
  EXPECT_EQ(s.queued_count(), 0u);
}

}  // namespace
}  // namespace benchlab::coordinator
