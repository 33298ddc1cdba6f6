// Scheduler with a fake clock: one run per phone, fairness, priority, retries, timeouts,
// cooldown.
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

// The ready-phone index against the rule it stands for: after any mix of enqueues,
// phones going on- and offline, ends (with cooldowns), removals and time passing, Assign
// leases exactly the phones that are online, idle, past their cooldown and have a queue.
TEST(Scheduler, AssignLeasesExactlyTheReadyPhonesThroughRandomChanges) {
  FakeClock clock;
  Scheduler s(&clock);
  std::mt19937 rng(11);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const int kPhones = 12;
  std::map<std::string, absl::Time> cooldown_until;  // the test's own record
  std::map<std::string, SchedRun> known;            // runs enqueued and not final
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
        if (s.End(lease, pick(2) == 0) == EndDecision::kFinal) known.erase(lease);
      }
    } else if (action < 80 && !known.empty()) {
      auto it = std::next(known.begin(), pick(static_cast<int>(known.size())));
      if (s.LeaseOf(it->second.device_id) == it->first) {
        cooldown_until[it->second.device_id] = clock.Now() + it->second.cooldown;
      }
      s.Remove(it->first);
      known.erase(it);
    } else {
      clock.Advance(absl::Seconds(pick(15)));
    }
    std::set<std::string> want;
    for (int p = 0; p < kPhones; ++p) {
      std::string id = absl::StrCat("d", p);
      size_t queued = 0;
      s.QueuedFor(id, 0, &queued);
      auto cd = cooldown_until.find(id);
      bool cooling = cd != cooldown_until.end() && clock.Now() < cd->second;
      if (s.DeviceOnline(id) && s.LeaseOf(id).empty() && queued > 0 && !cooling) want.insert(id);
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
