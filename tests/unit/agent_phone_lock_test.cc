// The per-phone lock without a phone: taken once per (adb port, serial), refused with the
// holder's name, waited for up to a deadline, given up on a cancel, free again when the
// holder lets go. flock is per open file, so two holders in one process conflict too.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "agent/run/phone_lock.h"
#include "tests/support/temp_dir.h"

namespace benchlab::agent {
namespace {

class PhoneLockTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("BENCHLAB_LOCK_DIR", (dir_.path() + "/locks").c_str(), 1); }
  void TearDown() override { unsetenv("BENCHLAB_LOCK_DIR"); }
  testing::TempDir dir_;
};

TEST_F(PhoneLockTest, ASecondHolderIsRefusedWithTheFirstOnesName) {
  auto held = PhoneLock::Acquire(5037, "127.0.0.1:5555", "benchlab-agent daemon, run r1",
                                 absl::InfinitePast());
  ASSERT_TRUE(held.ok()) << held.status();
  auto second = PhoneLock::Acquire(5037, "127.0.0.1:5555", "bench", absl::InfinitePast());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(second.status().message(), "in use by benchlab-agent daemon, run r1"))
      << second.status();
  // Another phone, or the same serial on another adb server, is another lock.
  EXPECT_TRUE(PhoneLock::Acquire(5037, "R58M123", "bench", absl::InfinitePast()).ok());
  EXPECT_TRUE(PhoneLock::Acquire(5038, "127.0.0.1:5555", "bench", absl::InfinitePast()).ok());
  held->reset();
  EXPECT_TRUE(PhoneLock::Acquire(5037, "127.0.0.1:5555", "bench", absl::InfinitePast()).ok());
}

TEST_F(PhoneLockTest, AWaiterGetsThePhoneWhenTheHolderLetsGoOrStopsOnACancel) {
  auto held = PhoneLock::Acquire(5037, "S1", "first", absl::InfinitePast());
  ASSERT_TRUE(held.ok());
  std::thread release([&] {
    absl::SleepFor(absl::Milliseconds(300));  // the holder's run
    held->reset();
  });
  const absl::Time t0 = absl::Now();
  auto waited = PhoneLock::Acquire(5037, "S1", "second", absl::Now() + absl::Seconds(10));
  release.join();
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_GE(absl::Now() - t0, absl::Milliseconds(250));

  std::atomic<bool> cancelled{false};
  std::thread cancel([&] {
    absl::SleepFor(absl::Milliseconds(200));
    cancelled = true;
  });
  auto gave_up = PhoneLock::Acquire(5037, "S1", "third", absl::InfiniteFuture(),
                                    [&] { return cancelled.load(); });
  cancel.join();
  EXPECT_EQ(gave_up.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(PhoneLockTest, TheFileNameIsSafeWhateverTheSerial) {
  EXPECT_EQ(PhoneLockPath("/d", 5037, "127.0.0.1:5555"), "/d/adb-5037-127.0.0.1_5555.lock");
  EXPECT_EQ(PhoneLockPath("/d", 5037, "../../etc/x y"), "/d/adb-5037-.._.._etc_x_y.lock");
}

}  // namespace
}  // namespace benchlab::agent
