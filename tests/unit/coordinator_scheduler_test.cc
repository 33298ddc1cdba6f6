// Scheduler with a fake clock: one run per phone, fairness, priority, retries, timeouts,
// cooldown, phones held while an ended attempt winds down, retry backoff, queue timeouts.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
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

TEST(Scheduler, ARetryKeepsItsPlaceInItsJobsOrderOnThePhone) {
  // An A/B job's runs must start in their queued (ABBA) order: a retried run is not sent to
  // the back of its job's queue, and the job's later runs on that phone wait out its backoff.
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  for (const char* id : {"p0", "p1", "p2", "p3"}) {
    SchedRun r = R(id, "j1", "d1");
    r.max_attempts = 2;
    s.Enqueue(r);
  }
  ASSERT_EQ(s.Assign()[0].run_id, "p0");
  ASSERT_EQ(s.End("p0", false), EndDecision::kFinal);
  ASSERT_EQ(s.Assign()[0].run_id, "p1");
  ASSERT_EQ(s.End("p1", true), EndDecision::kRetry);
  EXPECT_TRUE(s.Assign().empty()) << "p2 must not overtake p1's retry";
  // Another job may use the phone meanwhile.
  s.Enqueue(R("other", "j2", "d1"));
  auto other = s.Assign();
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].run_id, "other");
  s.End("other", false);
  clock.Advance(kRetryBackoffFirst);
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto l = s.Assign();
    ASSERT_EQ(l.size(), 1u) << i;
    order.push_back(l[0].run_id);
    s.End(l[0].run_id, false);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"p1", "p2", "p3"}));
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

// The ready-phone index against the rule it stands for: after any mix of enqueues,
// phones going on- and offline, ends (with cooldowns and retry backoffs), removals (the
// phone held until the attempt wound down), releases and time passing, Assign leases
// exactly the phones that are online, idle, not held, past their cooldown and have a
// queued run past its backoff.
// ---- the run-conditions gate ----

PhoneConditions Hot(double temp_c) {
  PhoneConditions c;
  c.battery_temp_c = temp_c;
  c.battery_level_pct = 80;
  return c;
}

SchedRun Gated(const std::string& id, const std::string& dev, double max_temp_c,
               absl::Duration timeout = absl::InfiniteDuration(), bool fail = false) {
  SchedRun r = R(id, "j1", dev);
  r.gate.max_battery_temp_c = max_temp_c;
  r.gate.timeout = timeout;
  r.gate.fail_on_timeout = fail;
  return r;
}

TEST(Scheduler, HotPhoneWaitsAtTheGateAndStartsOnceItReportsCool) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.SetDeviceConditions("d1", Hot(42));
  s.Enqueue(Gated("a", "d1", 38));
  EXPECT_TRUE(s.Assign().empty());
  EXPECT_EQ(s.GateReason("d1"), "battery 42.0 C > 38 C");
  clock.Advance(absl::Minutes(5));
  EXPECT_TRUE(s.Assign().empty()) << "only a report can cool it";
  s.SetDeviceConditions("d1", Hot(37));
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].run_id, "a");
  EXPECT_TRUE(l[0].conditions_not_met.empty());
  EXPECT_EQ(s.GateReason("d1"), "");
}

TEST(Scheduler, AWaitingGateHoldsThePhoneForEveryJob) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.SetDeviceConditions("d1", Hot(42));
  s.Enqueue(Gated("a", "d1", 38));
  EXPECT_TRUE(s.Assign().empty());
  SchedRun other = R("b", "j2", "d1", 0, 1);  // a younger job without a gate
  s.Enqueue(other);
  EXPECT_TRUE(s.Assign().empty()) << "the phone rests for the older job's gate";
  EXPECT_FALSE(s.GateReason("d1").empty());
}

TEST(Scheduler, GateTimeoutStartsTheRunMarkedOrFailsItPerPolicy) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.SetDeviceOnline("d2", true);
  s.SetDeviceConditions("d1", Hot(45));
  s.SetDeviceConditions("d2", Hot(45));
  s.Enqueue(Gated("a", "d1", 38, absl::Seconds(60)));
  s.Enqueue(Gated("b", "d2", 38, absl::Seconds(60), /*fail=*/true));
  s.Enqueue(R("c", "j1", "d2"));
  EXPECT_TRUE(s.Assign().empty());
  clock.Advance(absl::Seconds(59));
  EXPECT_TRUE(s.Assign().empty());
  clock.Advance(absl::Seconds(1));
  auto l = s.Assign();
  std::map<std::string, Lease> by_run;
  for (const Lease& x : l) by_run[x.run_id] = x;
  ASSERT_TRUE(by_run.contains("a"));
  EXPECT_EQ(by_run["a"].conditions_not_met, "battery 45.0 C > 38 C");
  auto failures = s.GateExpired();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].run_id, "b");
  EXPECT_EQ(failures[0].reason, "battery 45.0 C > 38 C");
  EXPECT_FALSE(by_run.contains("b")) << "a run that failed its gate never starts";
  EXPECT_EQ(s.End("b", false), EndDecision::kFinal);
  EXPECT_FALSE(s.Known("b"));
  EXPECT_TRUE(s.GateExpired().empty());
  // The phone's next run has no gate: it starts (in this pass or the next).
  if (!by_run.contains("c")) {
    l = s.Assign();
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].run_id, "c");
  }
}

TEST(Scheduler, MinIdleCountsFromThePhonesLastRunOfAnyJob) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.Enqueue(R("a", "j0", "d1"));
  ASSERT_EQ(s.Assign().size(), 1u);
  clock.Advance(absl::Seconds(5));
  (void)s.End("a", false);
  SchedRun b = R("b", "j1", "d1");
  b.gate.min_idle = absl::Seconds(30);
  s.Enqueue(b);
  EXPECT_TRUE(s.Assign().empty());
  EXPECT_EQ(s.GateReason("d1"), "idle 0 s < 30 s");
  clock.Advance(absl::Seconds(29));
  EXPECT_TRUE(s.Assign().empty());
  clock.Advance(absl::Seconds(1));
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u) << "the recheck came with the end of the idle time, no report needed";
  EXPECT_EQ(l[0].run_id, "b");
}

TEST(Scheduler, CancellingTheRunAtTheGateFreesThePhoneForTheNext) {
  FakeClock clock;
  Scheduler s(&clock);
  s.SetDeviceOnline("d1", true);
  s.SetDeviceConditions("d1", Hot(42));
  s.Enqueue(Gated("a", "d1", 38));
  s.Enqueue(R("b", "j2", "d1", 0, 1));
  EXPECT_TRUE(s.Assign().empty());
  EXPECT_FALSE(s.Remove("a"));
  auto l = s.Assign();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].run_id, "b");
}

TEST(Scheduler, AssignLeasesExactlyTheReadyPhonesThroughRandomChanges) {
  FakeClock clock;
  Scheduler s(&clock);
  std::mt19937 rng(11);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const int kPhones = 12;
  std::map<std::string, absl::Time> cooldown_until;  // the test's own record
  std::map<std::string, SchedRun> known;            // runs enqueued and not final
  std::map<std::string, absl::Time> not_before;      // retries backing off
  struct Held {
    std::string run_id;
    int attempt;
    absl::Duration cooldown;
  };
  std::map<std::string, Held> held;  // phones whose removed attempt is winding down
  int next_run = 0;
  for (int step = 0; step < 3000; ++step) {
    std::string dev = absl::StrCat("d", pick(kPhones));
    int action = pick(100);
    if (action < 30) {
      SchedRun r = R(absl::StrCat("r", next_run++), absl::StrCat("j", pick(3)), dev);
      r.cooldown = absl::Seconds(pick(3) * 10);
      r.max_attempts = 2;
      s.Enqueue(r);
      known[r.run_id] = r;
    } else if (action < 45) {
      s.SetDeviceOnline(dev, pick(3) != 0);
    } else if (action < 75) {
      std::string lease = s.LeaseOf(dev);
      if (!lease.empty()) {
        cooldown_until[dev] = clock.Now() + known[lease].cooldown;
        if (s.End(lease, pick(2) == 0) == EndDecision::kFinal) {
          known.erase(lease);
        } else {
          not_before[lease] = clock.Now() + RetryBackoff(s.Attempt(lease) - 1);
        }
      }
    } else if (action < 80 && !known.empty()) {
      auto it = std::next(known.begin(), pick(static_cast<int>(known.size())));
      const std::string d = it->second.device_id;
      if (s.LeaseOf(d) == it->first) held[d] = {it->first, s.Attempt(it->first), it->second.cooldown};
      s.Remove(it->first);
      known.erase(it);
    } else if (action < 85 && held.contains(dev)) {
      ASSERT_TRUE(s.Release(dev, held[dev].run_id, held[dev].attempt));
      cooldown_until[dev] = clock.Now() + held[dev].cooldown;
      held.erase(dev);
    } else {
      clock.Advance(absl::Seconds(pick(15)));
    }
    std::set<std::string> want;
    for (int p = 0; p < kPhones; ++p) {
      std::string id = absl::StrCat("d", p);
      size_t queued = 0;
      bool due = false;
      std::map<std::string, absl::Time> job_blocked;  // a retry holds its job's later runs
      for (const std::string& r : s.QueuedFor(id, SIZE_MAX, &queued)) {
        auto nb = not_before.find(r);
        absl::Time& blocked = job_blocked.try_emplace(known[r].job_id, absl::InfinitePast()).first->second;
        if (nb != not_before.end()) blocked = std::max(blocked, nb->second);
        due = due || clock.Now() >= blocked;
      }
      auto cd = cooldown_until.find(id);
      bool cooling = cd != cooldown_until.end() && clock.Now() < cd->second;
      if (s.DeviceOnline(id) && s.LeaseOf(id).empty() && !held.contains(id) && due && !cooling) {
        want.insert(id);
      }
    }
    std::set<std::string> got;
    for (const Lease& l : s.Assign()) got.insert(l.device_id);
    ASSERT_EQ(got, want) << "step " << step;
  }
}

TEST(Scheduler, ExpiredListsLeasesByDeadlineAndForgetsEndedOnes) {
  FakeClock clock;
  Scheduler s(&clock);
  for (int i = 0; i < 3; ++i) {
    SchedRun r = R(absl::StrCat("r", i), "j", absl::StrCat("d", i));
    r.timeout = absl::Seconds(10 * (3 - i));  // r2 is due first, then r1, then r0
    s.SetDeviceOnline(r.device_id, true);
    s.Enqueue(r);
  }
  ASSERT_EQ(s.Assign().size(), 3u);
  clock.Advance(absl::Seconds(9));
  EXPECT_TRUE(s.Expired().empty());
  clock.Advance(absl::Seconds(11));
  EXPECT_EQ(s.Expired(), (std::vector<std::string>{"r2", "r1"}));
  s.End("r2", false);
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(s.Expired(), (std::vector<std::string>{"r1", "r0"}));
}

}  // namespace
}  // namespace benchlab::coordinator
