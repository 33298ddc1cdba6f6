// The verdict on two samples of one metric (baseline vs candidate repeats, lower is
// better): `faster`, `slower`, `same` or `inconclusive` with about how many more repeats
// per side would decide.
//
// Decision rule (tuned with bench/verdict_bench.cc; figures in bench/README.md):
//  - change: the Hodges-Lehmann shift of the candidate against the baseline, as a
//    percentage of the baseline median, with its distribution-free interval at
//    ci_level (95 %) from the Mann-Whitney critical values;
//  - `same` when that interval really has ci_level coverage (at least 4 repeats a side)
//    and lies inside (-threshold, +threshold) (default 2 %). Checked first: a change
//    shown to be smaller than the threshold is `same` even if it is significant;
//  - `slower` / `faster` when the Mann-Whitney p-value, Holm-adjusted over every device
//    and metric of the comparison, is below alpha (default 0.01) and the interval lies
//    above / below 0. alpha is 0.01, not 0.05: at 0.05 a single A/A comparison is
//    called a change 5 % of the time, over the 1 % false-alarm budget, while 0.01 still
//    finds a 5 % slowdown at a run-to-run CV of 2 % in >= 95 % of trials with 7 repeats;
//  - otherwise `inconclusive`, and at least 2 repeats a side are needed for anything.
//
// Repeats estimate (inconclusive only): the interval's half-width h shrinks as
// 1/sqrt(n) with n repeats per side. h comes from the observed interval when it has
// its coverage, else from the observed spread (pooled relative stddev s) as
// z * s * sqrt(2 / n) * 1.023 (the Hodges-Lehmann shift is 1/sqrt(3/pi) less efficient
// than the mean difference under normal noise). Taking the observed change c as the
// truth, a change is decided once |c| > h(n') * z_alpha / z_ci (z_alpha with the Holm
// factor of the family) and `same` once |c| + h(n') < threshold; n' is the smaller,
// and at least the repeats the exact table needs to reach ci_level and alpha at all.
// "more" = n' - n (at least 1), capped so n' stays within max_repeats. It is an
// estimate: the observed change and spread are themselves noisy.
#ifndef BENCHLAB_COMMON_STATS_VERDICT_H_
#define BENCHLAB_COMMON_STATS_VERDICT_H_

#include <string_view>
#include <vector>

namespace benchlab::stats {

enum class Verdict { kInconclusive, kFaster, kSlower, kSame };

// "faster", "slower", "same", "inconclusive": the words of tables and JSON.
std::string_view VerdictWord(Verdict v);

struct VerdictOptions {
  // `same` band, percent of the baseline median.
  double threshold_pct = 2.0;
  // Coverage of the reported interval (and the one `same` needs).
  double ci_level = 0.95;
  // Family-wise level for `faster` / `slower` (Holm-adjusted p-values).
  double alpha = 0.01;
  // The repeats estimate never suggests more than this many per side.
  int max_repeats = 1000;
};

// Everything about one pair of samples that does not depend on the rest of the family.
struct SampleComparison {
  int n_baseline = 0;
  int n_candidate = 0;
  double baseline_median = 0;
  double candidate_median = 0;
  // Hodges-Lehmann shift / baseline median * 100, and its interval.
  double change_pct = 0;
  double ci_low_pct = 0;
  double ci_high_pct = 0;
  // Actual coverage of [ci_low_pct, ci_high_pct] (see hodges_lehmann.h).
  double ci_confidence = 0;
  // Two-sided Mann-Whitney p-value and whether it is exact.
  double p_value = 1;
  bool exact = false;
  // Pooled relative stddev of both sides, percent of the baseline median.
  double spread_pct = 0;
  // False when a side is empty or the baseline median is not positive.
  bool valid = false;
};

SampleComparison CompareSamples(const std::vector<double>& baseline,
                                const std::vector<double>& candidate,
                                const VerdictOptions& options);

struct Decision {
  Verdict verdict = Verdict::kInconclusive;
  double p_adjusted = 1;
  // inconclusive only: about this many more repeats per side would decide; 0 otherwise.
  int more_repeats = 0;
};

// Verdict for one comparison whose p-value, Holm-adjusted over a family of
// `family_size` comparisons, is `p_adjusted`.
Decision Decide(const SampleComparison& c, double p_adjusted, int family_size,
                const VerdictOptions& options);

// Holm-adjusts the family's p-values and decides each comparison.
std::vector<Decision> DecideFamily(const std::vector<SampleComparison>& family,
                                   const VerdictOptions& options);

}  // namespace benchlab::stats

#endif  // BENCHLAB_COMMON_STATS_VERDICT_H_
