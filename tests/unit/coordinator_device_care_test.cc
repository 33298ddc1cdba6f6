// Device care on the core over a real SQLite file (restart = reopen it): a drained phone
// finishes its run and takes no new one until undrained; maintenance (with its note)
// survives a restart; forget is refused while the phone is connected or held, then fails
// its queued runs and removes it from memory and the database. Also the scheduler's pause
// and the store's audit table (since, limit, truncated).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coordinator/audit_log.h"
#include "coordinator/core.h"
#include "coordinator/refusal_throttle.h"
#include "coordinator/scheduler.h"
#include "coordinator/store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/coordinator_test_core.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;
using Channel = benchlab::testing::RecordingChannel;

constexpr char kPhone[] = "a1/P1";

class DeviceCareTest : public benchlab::testing::SqliteCoreTest {
 protected:
  std::shared_ptr<Channel> Hello(const std::string& adb_state = "device") {
    v1::AgentHello h;
    auto* d = h.add_devices();
    d->set_serial("P1");
    d->set_adb_state(adb_state);
    auto ch = std::make_shared<Channel>();
    EXPECT_TRUE(core_->AgentHello("a1", h, ch).ok());
    return ch;
  }
  absl::StatusOr<v1::Job> Submit(int repeats, bool name_the_phone) {
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256("m");
    req.mutable_spec()->set_apk_sha256("a");
    req.mutable_spec()->set_repeats(repeats);
    req.mutable_spec()->set_timeout_s(60);
    if (name_the_phone) {
      req.mutable_spec()->mutable_selector()->add_devices(kPhone);
    } else {
      req.mutable_spec()->mutable_selector()->set_all(true);
    }
    return core_->SubmitJob(req, "test");
  }
  void Done(const std::string& run_id) {
    v1::RunEvent e;
    e.set_event_id(absl::StrCat("e", ++event_seq_));
    e.set_run_id(run_id);
    e.set_attempt(1);
    e.mutable_result()->set_state(v1::RUN_STATE_DONE);
    ASSERT_TRUE(core_->RunEvent("a1", e).ok());
  }
  v1::Device Phone() {
    auto all = core_->ListDevices({});
    for (const auto& d : all) {
      if (d.info().device_id() == kPhone) return d;
    }
    return v1::Device();
  }

  int event_seq_ = 0;
};

TEST_F(DeviceCareTest, ADrainedPhoneFinishesItsRunAndStartsNoOtherUntilUndrained) {
  auto ch = Hello();
  auto job = Submit(2, true);
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(ch->assigned_count(), 1u);
  const std::string first = Phone().current_run_id();
  ASSERT_FALSE(first.empty());

  auto drained = core_->SetDeviceCare(kPhone, v1::DEVICE_STATE_DRAINED, "", "alice");
  ASSERT_TRUE(drained.ok()) << drained.status();
  EXPECT_EQ(drained->state(), v1::DEVICE_STATE_DRAINED);
  EXPECT_EQ(drained->current_run_id(), first) << "the running run goes on";
  EXPECT_EQ(drained->care_by(), "alice");
  {
    absl::MutexLock l(&ch->mu);
    EXPECT_EQ(ch->cancels, 0) << "a drain cancels nothing";
  }

  Done(first);
  clock_.Advance(absl::Minutes(5));
  core_->Tick();
  EXPECT_EQ(ch->assigned_count(), 1u) << "no new run on a drained phone";
  EXPECT_EQ(Phone().queue_length(), 1) << "the second run waits";
  EXPECT_FALSE(Submit(1, false).ok()) << "a selector that names no phone skips drained ones";

  auto back = core_->SetDeviceCare(kPhone, v1::DEVICE_STATE_UNSPECIFIED, "", "alice");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ch->assigned_count(), 2u) << "undrain starts the waiting run";
  EXPECT_EQ(back->state(), v1::DEVICE_STATE_BUSY);
  EXPECT_TRUE(back->care_by().empty());
}

TEST_F(DeviceCareTest, MaintenanceAndItsNoteSurviveARestart) {
  Hello();
  ASSERT_TRUE(core_->SetDeviceCare(kPhone, v1::DEVICE_STATE_MAINTENANCE, "screen cracked", "bob").ok());
  Open();  // a restart: everything comes back from SQLite
  v1::Device d = Phone();
  EXPECT_EQ(d.state(), v1::DEVICE_STATE_MAINTENANCE);
  EXPECT_EQ(d.care_note(), "screen cracked");
  EXPECT_EQ(d.care_by(), "bob");
  EXPECT_GT(d.care_since_unix_ms(), 0);
  auto ch = Hello();
  ASSERT_TRUE(Submit(1, true).ok());
  core_->Tick();
  EXPECT_EQ(ch->assigned_count(), 0u) << "still out after the restart and the agent's hello";
  ASSERT_TRUE(core_->SetDeviceCare(kPhone, v1::DEVICE_STATE_UNSPECIFIED, "", "bob").ok());
  EXPECT_EQ(ch->assigned_count(), 1u);
  Open();
  EXPECT_EQ(Phone().state(), v1::DEVICE_STATE_OFFLINE) << "the clear was stored too";
}

TEST_F(DeviceCareTest, ForgetIsRefusedWhileConnectedThenFailsQueuedRunsAndRemovesThePhone) {
  auto ch = Hello();
  ASSERT_TRUE(core_->SetDeviceCare(kPhone, v1::DEVICE_STATE_DRAINED, "", "alice").ok());
  auto job = Submit(2, true);  // named: queued on the drained phone
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(core_->ForgetDevice(kPhone, "alice").status().code(), absl::StatusCode::kFailedPrecondition)
      << "its agent reports it connected";

  v1::DeviceUpdate gone;
  gone.mutable_device()->set_serial("P1");
  gone.set_removed(true);
  core_->DeviceUpdate("a1", gone);
  auto failed = core_->ForgetDevice(kPhone, "alice");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->size(), 2u);
  auto got = core_->GetJob(job->job_id());
  ASSERT_TRUE(got.ok());
  for (const auto& r : got->runs()) {
    EXPECT_EQ(r.state(), v1::RUN_STATE_FAILED);
    EXPECT_EQ(r.error_class(), v1::ERROR_CLASS_DEVICE_FORGOTTEN);
  }
  EXPECT_NE(got->job().finished_unix_ms(), 0);
  EXPECT_TRUE(core_->ListDevices({}).empty());
  EXPECT_EQ(core_->CheckDevice(kPhone).code(), absl::StatusCode::kNotFound);
  Open();
  EXPECT_TRUE(core_->ListDevices({}).empty()) << "gone from the database too";
  auto care = store_->ListDeviceCare();
  ASSERT_TRUE(care.ok());
  EXPECT_TRUE(care->empty()) << "its drain went with it";

  Hello();  // plugged in again: a new phone, in service
  EXPECT_EQ(Phone().state(), v1::DEVICE_STATE_IDLE);
}

TEST_F(DeviceCareTest, ForgetIsRefusedWhileARunHoldsThePhone) {
  auto ch = Hello();
  ASSERT_TRUE(Submit(1, true).ok());
  ASSERT_EQ(ch->assigned_count(), 1u);
  core_->set_agent_grace(absl::Minutes(10));
  core_->AgentGone("a1", ch.get());  // its run keeps its lease for the agent's grace
  auto st = core_->ForgetDevice(kPhone, "alice");
  EXPECT_EQ(st.status().code(), absl::StatusCode::kFailedPrecondition) << st.status();
  EXPECT_TRUE(absl::StrContains(st.status().message(), "held by run")) << st.status();
}

TEST_F(DeviceCareTest, UnknownPhonesAndBadStatesAreRefused) {
  EXPECT_EQ(core_->SetDeviceCare("a1/none", v1::DEVICE_STATE_DRAINED, "", "x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(core_->ForgetDevice("a1/none", "x").status().code(), absl::StatusCode::kNotFound);
  Hello();
  EXPECT_EQ(core_->SetDeviceCare(kPhone, v1::DEVICE_STATE_BUSY, "", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SchedulerPause, APausedPhoneIsNotLeasedAndItsQueueDoesNotTimeOutWhileOffline) {
  FakeClock clock;
  Scheduler s(&clock);
  SchedRun r;
  r.run_id = "r1";
  r.job_id = "j1";
  r.device_id = "d1";
  r.queue_timeout = absl::Minutes(1);
  s.SetDeviceOnline("d1", true);
  s.SetDevicePaused("d1", true);
  s.Enqueue(r);
  EXPECT_TRUE(s.Assign().empty());
  s.SetDeviceOnline("d1", false);
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(s.QueueExpired().empty()) << "a paused phone's runs wait for the admin";
  EXPECT_FALSE(s.ForgetDevice("d1")) << "a run is queued for it";
  s.SetDevicePaused("d1", false);
  EXPECT_TRUE(s.QueueExpired().empty()) << "the queue timeout starts again at unpause";
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(s.QueueExpired().size(), 1u);
  s.SetDeviceOnline("d1", true);
  ASSERT_EQ(s.Assign().size(), 1u);
}

TEST(SqliteAudit, ListsTheNewestSinceATimeOldestFirst) {
  benchlab::testing::TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/a.db");
  ASSERT_TRUE(store.ok());
  for (int i = 1; i <= 5; ++i) {
    v1::AuditEntry e;
    e.set_unix_ms(i * 1000);
    e.set_action(i == 3 ? "refused" : "submit");
    e.set_actor(absl::StrCat("user", i));
    e.set_target("t\x1b[2J");  // stored as given; the CLI escapes it
    ASSERT_TRUE((*store)->AppendAudit(&e).ok());
    EXPECT_EQ(e.seq(), i);
  }
  auto all = (*store)->ListAudit(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->entries_size(), 5);
  EXPECT_EQ(all->entries(0).actor(), "user1");
  EXPECT_EQ(all->entries(2).action(), "refused");
  EXPECT_EQ(all->entries(4).target(), "t\x1b[2J");
  EXPECT_FALSE(all->truncated());
  auto newest = (*store)->ListAudit(2000, 2);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->entries_size(), 2);
  EXPECT_EQ(newest->entries(0).actor(), "user4");
  EXPECT_EQ(newest->entries(1).actor(), "user5");
  EXPECT_TRUE(newest->truncated());
}

TEST(RefusalThrottle, AddressDropsThePortOnly) {
  EXPECT_EQ(RefusalThrottle::Address("ipv4:10.0.0.7:53412"), "ipv4:10.0.0.7");
  EXPECT_EQ(RefusalThrottle::Address("ipv6:[::1]:443"), "ipv6:[::1]");
  EXPECT_EQ(RefusalThrottle::Address("http:127.0.0.1:80"), "http:127.0.0.1");
  EXPECT_EQ(RefusalThrottle::Address("unix:/run/benchlab.sock"), "unix:/run/benchlab.sock");
}

// A client trying tokens in a loop: kPerMinute entries a minute from its address, the rest
// counted and named in the next entry; another address is not held back by it.
TEST(SqliteAudit, RefusalsAreThrottledPerAddressAndTheRestCounted) {
  benchlab::testing::TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/a.db");
  ASSERT_TRUE(store.ok());
  FakeClock clock;
  AuditLog audit(store->get(), &clock);
  TokenAuth auth;
  auth.Add("good", Role::kRead, "viewer");
  constexpr int kTries = RefusalThrottle::kPerMinute + 15;
  for (int i = 0; i < kTries; ++i) {
    EXPECT_FALSE(audit.AdmitToken(auth, absl::StrCat("ipv4:10.0.0.7:", 40000 + i), "/m", "guess", Role::kRead).ok());
  }
  EXPECT_FALSE(audit.AdmitToken(auth, "ipv4:10.0.0.8:1", "/m", "guess", Role::kRead).ok());
  EXPECT_TRUE(audit.AdmitToken(auth, "ipv4:10.0.0.7:2", "/m", "good", Role::kRead).ok());
  auto listed = (*store)->ListAudit(0, 1000);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->entries_size(), RefusalThrottle::kPerMinute + 1);
  clock.Advance(absl::Minutes(1));
  EXPECT_FALSE(audit.AdmitToken(auth, "ipv4:10.0.0.7:3", "/m", "", Role::kRead).ok());
  listed = (*store)->ListAudit(0, 1000);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->entries_size(), RefusalThrottle::kPerMinute + 2);
  const v1::AuditEntry& last = listed->entries(listed->entries_size() - 1);
  EXPECT_EQ(last.actor(), "none");
  EXPECT_TRUE(absl::StrContains(last.detail(), "and 15 more refusals from ipv4:10.0.0.7")) << last.detail();
}

}  // namespace
}  // namespace benchlab::coordinator
