// The verdict rule and the repeats estimate; see verdict.h for both.
#include "common/stats/verdict.h"

#include <algorithm>
#include <cmath>

#include "common/stats/hodges_lehmann.h"
#include "common/stats/holm.h"
#include "common/stats/mann_whitney.h"
#include "common/stats/normal.h"

namespace benchlab::stats {
namespace {

// sqrt(pi / 3): the Hodges-Lehmann shift's stddev over the mean difference's, normal noise.
constexpr double kHlInefficiency = 1.0233;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Variance(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return ss / static_cast<double>(v.size() - 1);
}

// The fewest repeats per side for which the exact table can reach both the interval's
// coverage and a p-value below alpha / family_size at all: the most extreme ordering of
// n vs n has probability 1 / C(2n, n).
int MinRepeatsPerSide(int family_size, const VerdictOptions& o) {
  const double need = std::min(1 - o.ci_level, o.alpha / std::max(1, family_size));
  double choose = 2;  // C(2, 1)
  for (int n = 1; n < o.max_repeats; ++n) {
    if (2 / choose <= need) return n;
    choose = choose * (2 * n + 1) * (2 * n + 2) / ((n + 1) * (n + 1));  // C(2n+2, n+1)
  }
  return o.max_repeats;
}

int MoreRepeats(const SampleComparison& c, int family_size, const VerdictOptions& o) {
  const int n = std::max(1, std::min(c.n_baseline, c.n_candidate));
  const int n_min = MinRepeatsPerSide(family_size, o);
  const double z_ci = NormalQuantile(1 - (1 - o.ci_level) / 2);
  const double z_alpha = NormalQuantile(1 - o.alpha / (2.0 * std::max(1, family_size)));
  double h = 0;
  if (c.ci_confidence >= o.ci_level && c.ci_high_pct > c.ci_low_pct) {
    h = (c.ci_high_pct - c.ci_low_pct) / 2;
  } else if (c.spread_pct > 0) {
    h = z_ci * c.spread_pct * std::sqrt(2.0 / n) * kHlInefficiency;
  }
  double target = n_min;
  if (h > 0) {
    const double est = std::fabs(c.change_pct);
    double best = o.max_repeats;
    if (est > 0) best = std::min(best, n * std::pow(z_alpha * h / (z_ci * est), 2));
    if (est < o.threshold_pct) best = std::min(best, n * std::pow(h / (o.threshold_pct - est), 2));
    target = std::max(target, best);
  }
  const int total = std::min(o.max_repeats, static_cast<int>(std::ceil(target)));
  return std::max(1, total - n);
}

}  // namespace

std::string_view VerdictWord(Verdict v) {
  switch (v) {
    case Verdict::kFaster: return "faster";
    case Verdict::kSlower: return "slower";
    case Verdict::kSame: return "same";
    case Verdict::kInconclusive: break;
  }
  return "inconclusive";
}

SampleComparison CompareSamples(const std::vector<double>& baseline,
                                const std::vector<double>& candidate,
                                const VerdictOptions& options) {
  SampleComparison c;
  c.n_baseline = static_cast<int>(baseline.size());
  c.n_candidate = static_cast<int>(candidate.size());
  if (baseline.empty() || candidate.empty()) return c;
  c.baseline_median = Median(baseline);
  c.candidate_median = Median(candidate);
  if (!(c.baseline_median > 0)) return c;
  const MannWhitneyResult mw = MannWhitney(baseline, candidate);
  c.p_value = mw.p_value;
  c.exact = mw.exact;
  const ShiftInterval hl = HodgesLehmann(baseline, candidate, options.ci_level);
  const double scale = 100.0 / c.baseline_median;
  c.change_pct = hl.estimate * scale;
  c.ci_low_pct = hl.low * scale;
  c.ci_high_pct = hl.high * scale;
  c.ci_confidence = hl.confidence;
  c.spread_pct = std::sqrt((Variance(baseline) + Variance(candidate)) / 2) * scale;
  c.valid = true;
  return c;
}

Decision Decide(const SampleComparison& c, double p_adjusted, int family_size,
                const VerdictOptions& o) {
  Decision d;
  d.p_adjusted = p_adjusted;
  if (c.valid && c.n_baseline >= 2 && c.n_candidate >= 2) {
    if (c.ci_confidence >= o.ci_level && c.ci_low_pct > -o.threshold_pct &&
        c.ci_high_pct < o.threshold_pct) {
      d.verdict = Verdict::kSame;
      return d;
    }
    if (p_adjusted < o.alpha && c.ci_low_pct > 0) {
      d.verdict = Verdict::kSlower;
      return d;
    }
    if (p_adjusted < o.alpha && c.ci_high_pct < 0) {
      d.verdict = Verdict::kFaster;
      return d;
    }
  }
  d.more_repeats = MoreRepeats(c, family_size, o);
  return d;
}

std::vector<Decision> DecideFamily(const std::vector<SampleComparison>& family,
                                   const VerdictOptions& options) {
  std::vector<double> p;
  p.reserve(family.size());
  for (const auto& c : family) p.push_back(c.p_value);
  const std::vector<double> adjusted = HolmAdjust(p);
  std::vector<Decision> out;
  out.reserve(family.size());
  const int k = static_cast<int>(family.size());
  for (size_t i = 0; i < family.size(); ++i) out.push_back(Decide(family[i], adjusted[i], k, options));
  return out;
}

}  // namespace benchlab::stats
