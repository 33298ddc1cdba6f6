// Backoff: the ceiling doubles from 0.5 s to 30 s, waits stay under it, Reset starts
// over, and a seed makes the jitter reproducible.
#include <gtest/gtest.h>

#include "agent/link/backoff.h"

namespace benchlab::agent::link {
namespace {

TEST(BackoffTest, CeilingGrowsByFactorUpToMaxAndWaitsStayBelowIt) {
  Backoff b(BackoffOptions{}, 42);
  absl::Duration ceiling = absl::Milliseconds(500);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(b.ceiling(), ceiling);
    absl::Duration wait = b.Next();
    EXPECT_GE(wait, absl::ZeroDuration());
    EXPECT_LE(wait, ceiling);
    ceiling = std::min(absl::Seconds(30), ceiling * 2);
  }
  EXPECT_EQ(b.ceiling(), absl::Seconds(30));
}

TEST(BackoffTest, ResetStartsFromInitialAgain) {
  Backoff b(BackoffOptions{}, 1);
  for (int i = 0; i < 5; ++i) b.Next();
  b.Reset();
  EXPECT_EQ(b.ceiling(), absl::Milliseconds(500));
  EXPECT_LE(b.Next(), absl::Milliseconds(500));
}

TEST(BackoffTest, SameSeedSameWaitsAndJitterSpreads) {
  Backoff a(BackoffOptions{}, 7), b(BackoffOptions{}, 7), c(BackoffOptions{}, 8);
  bool differs = false;
  for (int i = 0; i < 8; ++i) {
    absl::Duration wa = a.Next();
    EXPECT_EQ(wa, b.Next());
    if (wa != c.Next()) differs = true;
  }
  EXPECT_TRUE(differs);
}

TEST(BackoffTest, NextAtMaxWaitsInTheUpperHalfOfMax) {
  Backoff b(BackoffOptions{}, 3);
  for (int i = 0; i < 20; ++i) {
    absl::Duration wait = b.NextAtMax();
    EXPECT_GE(wait, absl::Seconds(15));
    EXPECT_LE(wait, absl::Seconds(30));
  }
}

}  // namespace
}  // namespace benchlab::agent::link
