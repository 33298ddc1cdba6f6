// Aggregates across repeats, the noise rule of CompareJobs, and flag rendering.
#include <gtest/gtest.h>

#include "coordinator/aggregation.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

TEST(Aggregate, MedianMeanSampleStddevMinMax) {
  auto a = Aggregate("avg_us", {4, 1, 3, 2});
  EXPECT_EQ(a.n(), 4);
  EXPECT_DOUBLE_EQ(a.median(), 2.5);
  EXPECT_DOUBLE_EQ(a.mean(), 2.5);
  EXPECT_NEAR(a.stddev(), 1.2909944, 1e-6);
  EXPECT_EQ(a.min(), 1);
  EXPECT_EQ(a.max(), 4);
  EXPECT_EQ(Aggregate("x", {7}).stddev(), 0);
}

TEST(AggregateRuns, OnlyMetricsThatWerePrinted) {
  v1::BenchmarkMetrics m1, m2;
  m1.set_avg_us(100);
  m1.set_peak_memory_mb(10);
  m2.set_avg_us(300);
  auto aggs = AggregateRuns({&m1, &m2});
  ASSERT_EQ(aggs.size(), 2u);
  EXPECT_EQ(aggs[0].metric(), "avg_us");
  EXPECT_EQ(aggs[0].median(), 200);
  EXPECT_EQ(aggs[1].metric(), "peak_memory_mb");
  EXPECT_EQ(aggs[1].n(), 1);
}

TEST(Compare, ChangeBeyondNoiseIsSignificant) {
  auto base = Aggregate("avg_us", {1000, 1010, 990});
  auto faster = Aggregate("avg_us", {900, 905, 895});
  auto c = Compare(base, faster);
  EXPECT_NEAR(c.change_pct(), -10.0, 1e-9);
  EXPECT_TRUE(c.significant());
}

TEST(Compare, ChangeWithinNoiseIsNot) {
  auto base = Aggregate("avg_us", {1000, 1100, 900});
  auto cand = Aggregate("avg_us", {1050, 1150, 950});
  auto c = Compare(base, cand);
  EXPECT_NEAR(c.change_pct(), 5.0, 1e-9);
  EXPECT_GT(c.noise_pct(), 5.0);  // 2 * pooled stddev (100) / 1000 = 20%
  EXPECT_FALSE(c.significant());
}

TEST(Compare, TinyChangeOfQuietRunsStaysBelowTheOnePercentFloor) {
  auto c = Compare(Aggregate("avg_us", {1000, 1000}), Aggregate("avg_us", {1005, 1005}));
  EXPECT_DOUBLE_EQ(c.noise_pct(), 1.0);
  EXPECT_FALSE(c.significant());
}

TEST(Compare, SingleRepeatIsNeverSignificant) {
  EXPECT_FALSE(Compare(Aggregate("avg_us", {1000}), Aggregate("avg_us", {2000})).significant());
}

}  // namespace
}  // namespace benchlab::coordinator
