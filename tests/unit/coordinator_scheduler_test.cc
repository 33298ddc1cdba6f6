// Scheduler with a fake clock: one run per phone, fairness, priority, retries, timeouts,
// cooldown, phones held while an ended attempt winds down, retry backoff, queue timeouts.
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
  EXPECT_TRUE(s.Assign().empty()) << "the retry backs off first";
  clock.Advance(kRetryBackoffFirst);
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

TEST(Scheduler, RemoveHoldsThePhoneUntilTheAttemptWoundDown) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.Enqueue(R("a", "j1", "d1"));
  s.Enqueue(R("b", "j1", "d1"));
  s.Enqueue(R("c", "j2", "d1"));
  ASSERT_EQ(s.Assign().size(), 1u);
  EXPECT_FALSE(s.Remove("b"));
  EXPECT_TRUE(s.Remove("a"));
  EXPECT_EQ(s.LeaseOf("d1"), "");
  EXPECT_EQ(s.HeldBy("d1"), "a");
  EXPECT_EQ(s.queued_count(), 1u);
  // The cancelled attempt is still winding down on the phone: nothing starts beside it.
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(s.Assign().empty());
  EXPECT_FALSE(s.Release("d1", "a", 2)) << "another attempt's result frees nothing";
  EXPECT_TRUE(s.Assign().empty());
  EXPECT_TRUE(s.Release("d1", "a", 1));
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].run_id, "c");
}

TEST(Scheduler, TimedOutAttemptHoldsThePhoneAndItsRetryBacksOff) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  SchedRun r = R("a", "j1", "d1");
  r.max_attempts = 3;
  s.Enqueue(r);
  ASSERT_EQ(s.Assign().size(), 1u);
  EXPECT_EQ(s.End("a", true, /*wound_down=*/false), EndDecision::kRetry);
  clock.Advance(absl::Seconds(5));
  EXPECT_TRUE(s.Assign().empty()) << "attempt 1 still winds down";
  ASSERT_TRUE(s.Release("d1", "a", 1));
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].attempt, 2);
  // The second retry waits twice as long.
  EXPECT_EQ(s.End("a", true), EndDecision::kRetry);
  clock.Advance(2 * kRetryBackoffFirst - absl::Milliseconds(1));
  EXPECT_TRUE(s.Assign().empty());
  clock.Advance(absl::Milliseconds(1));
  ASSERT_EQ(s.Assign().size(), 1u);
}

TEST(Scheduler, RetryBackoffDoublesUpToItsCap) {
  EXPECT_EQ(RetryBackoff(1), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(2), absl::Seconds(4));
  EXPECT_EQ(RetryBackoff(4), absl::Seconds(16));
  EXPECT_EQ(RetryBackoff(5), kRetryBackoffMax);
  EXPECT_EQ(RetryBackoff(10), kRetryBackoffMax);
}

TEST(Scheduler, RetryWaitsForItsPhoneToComeBackWithoutSpendingAttempts) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  SchedRun r = R("a", "j1", "d1");
  r.max_attempts = 2;
  r.queue_timeout = absl::Minutes(30);
  s.Enqueue(r);
  ASSERT_EQ(s.Assign().size(), 1u);
  ASSERT_EQ(s.End("a", true), EndDecision::kRetry);  // device_lost, reported by the agent
  s.SetDeviceOnline("d1", false);
  clock.Advance(absl::Minutes(5));
  EXPECT_TRUE(s.Assign().empty());
  EXPECT_TRUE(s.QueueExpired().empty());
  s.SetDeviceOnline("d1", true);
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].attempt, 2);
}

TEST(Scheduler, QueuedRunExpiresWhenItsPhoneStaysOfflinePastTheQueueTimeout) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", false);
  s.SetDeviceOnline("d2", true);
  clock.Advance(absl::Minutes(5));  // d1 was offline before the run was queued
  SchedRun a = R("a", "j1", "d1");
  a.queue_timeout = absl::Minutes(30);
  s.Enqueue(a);
  SchedRun b = R("b", "j1", "d2");
  b.queue_timeout = absl::Minutes(30);
  s.Enqueue(b);
  SchedRun c = R("c", "j1", "d2");  // queued behind b on a busy, online phone
  c.queue_timeout = absl::Minutes(30);
  s.Enqueue(c);
  ASSERT_EQ(s.Assign().size(), 1u);
  clock.Advance(absl::Minutes(30) - absl::Seconds(1));
  EXPECT_TRUE(s.QueueExpired().empty());
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(s.QueueExpired(), std::vector<std::string>{"a"}) << "waiting behind b on an online phone is no offline time";
  // Back online: the wait starts over when it goes offline again.
  s.SetDeviceOnline("d1", true);
  EXPECT_TRUE(s.QueueExpired().empty());
  s.SetDeviceOnline("d1", false);
  clock.Advance(absl::Minutes(29));
  EXPECT_TRUE(s.QueueExpired().empty());
}

}  // namespace
}  // namespace benchlab::coordinator
