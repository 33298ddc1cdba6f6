// common/stats: Mann-Whitney U against R's wilcox.test and brute-force enumeration,
// Hodges-Lehmann intervals, Holm, and the verdict rule with its edge cases (n = 1, all
// ties, identical samples, zero variance).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "common/stats/hodges_lehmann.h"
#include "common/stats/holm.h"
#include "common/stats/mann_whitney.h"
#include "common/stats/normal.h"
#include "common/stats/verdict.h"

namespace benchlab::stats {
namespace {

// The example of R's ?wilcox.test (Hollander & Wolfe): W = 35, one-sided exact p 0.1272,
// so two-sided 0.2544 (also 0.254412 by enumerating all C(15, 5) orderings).
const std::vector<double> kRx = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
const std::vector<double> kRy = {1.15, 0.88, 0.90, 0.74, 1.21};

TEST(Normal, CdfAndQuantileRoundTrip) {
  EXPECT_NEAR(NormalCdf(0), 0.5, 1e-15);
  EXPECT_NEAR(NormalCdf(1.959963985), 0.975, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963985, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.995), 2.575829304, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.025), -1.959963985, 1e-8);
  EXPECT_TRUE(std::isinf(NormalQuantile(0)));
}

TEST(UDistribution, SmallTablesByHand) {
  // 2 vs 2: the 6 orderings give U = 0,1,2,2,3,4.
  UDistribution d(2, 2);
  EXPECT_NEAR(d.Cdf(0), 1.0 / 6, 1e-12);
  EXPECT_NEAR(d.Cdf(1), 2.0 / 6, 1e-12);
  EXPECT_NEAR(d.Cdf(2), 4.0 / 6, 1e-12);
  EXPECT_EQ(d.Cdf(4), 1.0);
  EXPECT_EQ(d.Cdf(-1), 0.0);
  // 5 vs 5: P(U <= 2) = 4/252, P(U <= 3) = 7/252, so qwilcox(0.025, 5, 5) = 3.
  UDistribution e(5, 5);
  EXPECT_NEAR(e.Cdf(2), 4.0 / 252, 1e-12);
  EXPECT_EQ(e.Quantile(0.025), 3);
  // Symmetric about m n / 2 for unequal sizes too.
  UDistribution f(3, 7);
  for (int u = 0; u <= 21; ++u) EXPECT_NEAR(f.Cdf(u), 1 - f.Cdf(20 - u), 1e-12) << u;
}

TEST(UDistribution, LargestExactSizeStaysNormalised) {
  UDistribution d(49, 49);
  EXPECT_NEAR(d.Cdf(49 * 49 / 2), 0.5, 0.01);
  EXPECT_GT(d.Cdf(0), 0);  // 1 / C(98, 49) is tiny but not lost
  EXPECT_LT(d.Cdf(0), 1e-27);
}

TEST(MannWhitney, ExactMatchesRWilcoxTestExample) {
  MannWhitneyResult r = MannWhitney(kRx, kRy);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.u, 35);
  EXPECT_NEAR(r.p_value, 0.2544122544, 1e-9);
  // Swapping the samples mirrors U and keeps the two-sided p.
  MannWhitneyResult s = MannWhitney(kRy, kRx);
  EXPECT_EQ(s.u, 15);
  EXPECT_NEAR(s.p_value, r.p_value, 1e-12);
}

TEST(MannWhitney, TiesUseTheCorrectedNormalApproximationLikeR) {
  // R: wilcox.test(x, y) -> W = 51.5, p-value = 0.5966 (with ties, continuity correction).
  std::vector<double> x = {1, 5, 9, 24, 56, 21, 3, 7, 21, 4};
  std::vector<double> y = {12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5};
  MannWhitneyResult r = MannWhitney(x, y);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.u, 51.5);
  EXPECT_NEAR(r.p_value, 0.5966, 5e-5);
  // R: same x against c(1233, 4356, 987, 39999, 1111, 200000) -> W = 0, p = 0.001364.
  MannWhitneyResult s = MannWhitney(x, {1233, 4356, 987, 39999, 1111, 200000});
  EXPECT_EQ(s.u, 0);
  EXPECT_NEAR(s.p_value, 0.001364, 5e-7);
}

TEST(MannWhitney, CompletelySeparatedSmallSamples) {
  // 4 vs 4 separated: 2 / C(8, 4) = 2/70; 3 vs 3: 2/20.
  EXPECT_NEAR(MannWhitney({1, 2, 3, 4}, {5, 6, 7, 8}).p_value, 2.0 / 70, 1e-12);
  EXPECT_NEAR(MannWhitney({1, 2, 3}, {4, 5, 6}).p_value, 0.1, 1e-12);
}

TEST(MannWhitney, EdgeCases) {
  EXPECT_EQ(MannWhitney({}, {1, 2}).p_value, 1);
  EXPECT_EQ(MannWhitney({1}, {2}).p_value, 1);  // 1 vs 1: either order has p 1/2, doubled
  EXPECT_EQ(MannWhitney({3, 3, 3}, {3, 3, 3}).p_value, 1);  // all ties: no evidence
  // Zero variance on each side, different levels (5 vs 5): W = 0, tie-corrected sigma
  // sqrt(25/12 * (11 - 240/90)) = 4.167, p = 2 Phi(-12 / 4.167) = 0.00398.
  MannWhitneyResult r = MannWhitney({100, 100, 100, 100, 100}, {110, 110, 110, 110, 110});
  EXPECT_FALSE(r.exact);
  EXPECT_NEAR(r.p_value, 2 * NormalCdf((-12.5 + 0.5) / std::sqrt(25.0 / 12 * (11 - 240.0 / 90))),
              1e-12);
  EXPECT_NEAR(r.p_value, 0.00398, 1e-5);
}

TEST(HodgesLehmann, MatchesEnumerationOnTheRExample) {
  // Enumerated: differences y - x, estimate -0.305, qwilcox(0.025, 10, 5) = 9, so the
  // interval is [d_(9), d_(42)] = [-0.76, 0.15] with coverage 1 - 2 P(U <= 8) = 0.96004.
  // (R reports x - y: 0.305 and [-0.15, 0.76].)
  ShiftInterval s = HodgesLehmann(kRx, kRy, 0.95);
  ASSERT_TRUE(s.valid);
  EXPECT_NEAR(s.estimate, -0.305, 1e-12);
  EXPECT_NEAR(s.low, -0.76, 1e-12);
  EXPECT_NEAR(s.high, 0.15, 1e-12);
  EXPECT_NEAR(s.confidence, 0.96003996, 1e-7);
}

TEST(HodgesLehmann, SmallSamplesReportTheCoverageTheyReallyHave) {
  ShiftInterval four = HodgesLehmann({1, 2, 3, 4}, {5, 6, 7, 8}, 0.95);
  EXPECT_EQ(four.estimate, 4);
  EXPECT_EQ(four.low, 1);
  EXPECT_EQ(four.high, 7);
  EXPECT_NEAR(four.confidence, 1 - 2.0 / 70, 1e-12);
  ShiftInterval two = HodgesLehmann({1, 2}, {3, 4}, 0.95);
  EXPECT_EQ(two.low, 1);
  EXPECT_EQ(two.high, 3);
  EXPECT_NEAR(two.confidence, 2.0 / 3, 1e-12);
  ShiftInterval one = HodgesLehmann({10}, {12}, 0.95);
  EXPECT_EQ(one.estimate, 2);
  EXPECT_EQ(one.low, 2);
  EXPECT_EQ(one.high, 2);
  EXPECT_EQ(one.confidence, 0);
}

TEST(HodgesLehmann, TiesAndZeroVariance) {
  ShiftInterval same = HodgesLehmann({5, 5, 5, 5, 5}, {5, 5, 5, 5, 5}, 0.95);
  EXPECT_EQ(same.estimate, 0);
  EXPECT_EQ(same.low, 0);
  EXPECT_EQ(same.high, 0);
  EXPECT_NEAR(same.confidence, 1 - 2 * 4.0 / 252, 1e-12);  // the exact table's coverage
  ShiftInterval step = HodgesLehmann({100, 100, 100, 100}, {110, 110, 110, 110}, 0.95);
  EXPECT_EQ(step.estimate, 10);
  EXPECT_EQ(step.low, 10);
  EXPECT_EQ(step.high, 10);
}

TEST(HodgesLehmann, NormalIntervalCoversTheTrueShiftAtItsLevel) {
  // 60 vs 60 (normal approximation): over many draws the 95 % interval of a true shift
  // of 3 covers it about 95 % of the time.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(100, 2);
  int covered = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> x, y;
    for (int i = 0; i < 60; ++i) x.push_back(noise(rng));
    for (int i = 0; i < 60; ++i) y.push_back(noise(rng) + 3);
    ShiftInterval s = HodgesLehmann(x, y, 0.95);
    EXPECT_NEAR(s.confidence, 0.95, 0.01);
    if (s.low <= 3 && 3 <= s.high) ++covered;
  }
  EXPECT_GE(covered, trials * 0.92);
  EXPECT_LE(covered, trials * 0.98);
}

TEST(Holm, MatchesRPAdjust) {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
  std::vector<double> adj = HolmAdjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adj.size(), 4u);
  EXPECT_NEAR(adj[0], 0.03, 1e-12);
  EXPECT_NEAR(adj[1], 0.06, 1e-12);
  EXPECT_NEAR(adj[2], 0.06, 1e-12);
  EXPECT_NEAR(adj[3], 0.02, 1e-12);
  EXPECT_EQ(HolmAdjust({0.7, 0.9})[1], 1.0);  // capped at 1
  EXPECT_TRUE(HolmAdjust({}).empty());
}

std::vector<double> Scaled(const std::vector<double>& v, double factor) {
  std::vector<double> out;
  for (double x : v) out.push_back(x * factor);
  return out;
}

const std::vector<double> kBase = {1000, 1012, 994, 1006, 998, 1003, 991, 1009, 1001, 997};

TEST(Verdict, ClearSlowdownIsSlower) {
  VerdictOptions o;
  SampleComparison c = CompareSamples(kBase, Scaled(kBase, 1.08), o);
  ASSERT_TRUE(c.valid);
  EXPECT_TRUE(c.exact);
  EXPECT_NEAR(c.change_pct, 8.0, 0.5);
  EXPECT_GT(c.ci_low_pct, 0);
  Decision d = DecideFamily({c}, o)[0];
  EXPECT_EQ(VerdictWord(d.verdict), "slower");
  EXPECT_EQ(d.more_repeats, 0);
  Decision f = DecideFamily({CompareSamples(kBase, Scaled(kBase, 0.9), o)}, o)[0];
  EXPECT_EQ(VerdictWord(f.verdict), "faster");
}

TEST(Verdict, IdenticalSamplesAreSameWithEnoughRepeats) {
  VerdictOptions o;
  SampleComparison c = CompareSamples(kBase, kBase, o);
  EXPECT_EQ(c.change_pct, 0);
  EXPECT_NEAR(c.p_value, 1, 1e-12);
  EXPECT_EQ(VerdictWord(DecideFamily({c}, o)[0].verdict), "same");
}

TEST(Verdict, TwoRepeatsCanNeverDecide) {
  VerdictOptions o;
  SampleComparison c = CompareSamples({1000, 1010}, {1500, 1510}, o);
  Decision d = DecideFamily({c}, o)[0];
  EXPECT_EQ(VerdictWord(d.verdict), "inconclusive");
  // The exact table needs 5 a side to reach p < 0.01 at all.
  EXPECT_GE(d.more_repeats, 3);
}

TEST(Verdict, SingleRepeatAndAllTiesAreInconclusive) {
  VerdictOptions o;
  Decision one = DecideFamily({CompareSamples({1000}, {1000}, o)}, o)[0];
  EXPECT_EQ(VerdictWord(one.verdict), "inconclusive");
  EXPECT_GE(one.more_repeats, 1);
  // Three identical values a side: the interval [0, 0] has only 90 % coverage.
  Decision three = DecideFamily({CompareSamples({5, 5, 5}, {5, 5, 5}, o)}, o)[0];
  EXPECT_EQ(VerdictWord(three.verdict), "inconclusive");
  // Five a side reach 96.8 %: the same constant on both sides is `same`.
  Decision five = DecideFamily({CompareSamples({5, 5, 5, 5, 5}, {5, 5, 5, 5, 5}, o)}, o)[0];
  EXPECT_EQ(VerdictWord(five.verdict), "same");
}

TEST(Verdict, ZeroVarianceStepIsDecided) {
  VerdictOptions o;
  std::vector<double> a(6, 100.0), b(6, 110.0);
  SampleComparison c = CompareSamples(a, b, o);
  EXPECT_EQ(c.change_pct, 10);
  EXPECT_EQ(c.ci_low_pct, 10);
  EXPECT_EQ(VerdictWord(DecideFamily({c}, o)[0].verdict), "slower");
}

TEST(Verdict, NonPositiveBaselineIsInvalid) {
  VerdictOptions o;
  SampleComparison c = CompareSamples({0, 0, 0}, {1, 1, 1}, o);
  EXPECT_FALSE(c.valid);
  EXPECT_EQ(VerdictWord(DecideFamily({c}, o)[0].verdict), "inconclusive");
}

TEST(Verdict, SmallSignificantChangeInsideTheThresholdIsSame) {
  VerdictOptions o;
  std::vector<double> base, cand;
  for (int i = 0; i < 30; ++i) base.push_back(1000 + (i % 7));
  for (int i = 0; i < 30; ++i) cand.push_back(1005 + (i % 7));
  SampleComparison c = CompareSamples(base, cand, o);
  EXPECT_LT(c.p_value, 0.01);
  EXPECT_LT(c.ci_high_pct, 2);
  EXPECT_EQ(VerdictWord(DecideFamily({c}, o)[0].verdict), "same");
  o.threshold_pct = 0.2;  // a stricter threshold makes it a slowdown
  EXPECT_EQ(VerdictWord(DecideFamily({c}, o)[0].verdict), "slower");
}

TEST(Verdict, HolmFamilyCanUndoABorderlineCall) {
  VerdictOptions o;
  // 5 vs 5 separated: p = 2/252 = 0.0079 < 0.01 alone, but not with 2 in the family.
  SampleComparison c = CompareSamples({100, 101, 102, 103, 104}, {110, 111, 112, 113, 114}, o);
  EXPECT_EQ(VerdictWord(DecideFamily({c}, o)[0].verdict), "slower");
  SampleComparison quiet = CompareSamples(kBase, kBase, o);
  std::vector<Decision> fam = DecideFamily({c, quiet}, o);
  EXPECT_NEAR(fam[0].p_adjusted, 2 * 2.0 / 252, 1e-12);
  EXPECT_EQ(VerdictWord(fam[0].verdict), "inconclusive");
  EXPECT_GE(fam[0].more_repeats, 1);
}

TEST(Verdict, MoreRepeatsShrinkWithTheSquareRootRule) {
  VerdictOptions o;
  // A/A-like noise at CV ~0.7 % with 10 repeats: the interval is too wide for `same`
  // inside a 0.5 % threshold; more repeats are needed, about n * (h / (T - |c|))^2 - n.
  o.threshold_pct = 0.5;
  SampleComparison c = CompareSamples(kBase, Scaled(kBase, 1.0005), o);
  Decision d = DecideFamily({c}, o)[0];
  ASSERT_EQ(VerdictWord(d.verdict), "inconclusive");
  const double h = (c.ci_high_pct - c.ci_low_pct) / 2;
  const double expect = 10 * std::pow(h / (0.5 - std::fabs(c.change_pct)), 2) - 10;
  EXPECT_NEAR(d.more_repeats, std::ceil(expect), 1.0);
  // Capped by max_repeats.
  o.max_repeats = 12;
  EXPECT_LE(DecideFamily({c}, o)[0].more_repeats, 2);
}

}  // namespace
}  // namespace benchlab::stats
