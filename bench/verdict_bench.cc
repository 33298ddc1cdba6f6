// How often the compare verdict is wrong, by simulation: A/A pairs (no change) and pairs
// with a real slowdown, each side n repeats with log-normal run-to-run noise of a given
// CV, judged by common/stats (one device, one metric) and, side by side, by the old
// two-sigma rule that coordinator/aggregation.h still computes (MetricComparison.significant).
// Usage: verdict_bench [--trials N] [--aa-trials N] [--cv PCT] [--seed S]
// (default 2000 trials per power row, 10000 per A/A row so a 1 % rate is measured to
// +-0.1 %, CV 2 %)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/stats/verdict.h"
#include "coordinator/aggregation.h"

namespace {

namespace stats = benchlab::stats;

struct Tally {
  int faster = 0, slower = 0, same = 0, inconclusive = 0;
  int old_flagged = 0;      // old rule: |change| beyond noise, either direction
  int old_slower = 0;       // old rule: beyond noise and higher
  long more_repeats_sum = 0;
  int trials = 0;
  double Pct(int k) const { return 100.0 * k / trials; }
};

std::vector<double> Draw(std::mt19937_64& rng, int n, double cv, double factor) {
  // Log-normal with the asked CV: sigma^2 = ln(1 + cv^2).
  std::normal_distribution<double> noise(0.0, std::sqrt(std::log(1 + cv * cv)));
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(10000.0 * factor * std::exp(noise(rng)));
  return v;
}

Tally Simulate(std::mt19937_64& rng, int n, double cv, double slowdown_pct, int trials) {
  const stats::VerdictOptions options;
  Tally t;
  t.trials = trials;
  for (int i = 0; i < trials; ++i) {
    const std::vector<double> a = Draw(rng, n, cv, 1.0);
    const std::vector<double> b = Draw(rng, n, cv, 1.0 + slowdown_pct / 100);
    const stats::SampleComparison c = stats::CompareSamples(a, b, options);
    const stats::Decision d = stats::DecideFamily({c}, options)[0];
    switch (d.verdict) {
      case stats::Verdict::kFaster: ++t.faster; break;
      case stats::Verdict::kSlower: ++t.slower; break;
      case stats::Verdict::kSame: ++t.same; break;
      case stats::Verdict::kInconclusive: ++t.inconclusive; t.more_repeats_sum += d.more_repeats; break;
    }
    const auto old = benchlab::coordinator::Compare(benchlab::coordinator::Aggregate("avg_us", a),
                                                    benchlab::coordinator::Aggregate("avg_us", b));
    if (old.significant()) {
      ++t.old_flagged;
      if (old.change_pct() > 0) ++t.old_slower;
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int trials = 2000;
  int aa_trials = 10000;
  double cv_pct = 2.0;
  uint64_t seed = 20261206;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--trials")) trials = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--aa-trials")) aa_trials = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--cv")) cv_pct = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (trials < 1 || aa_trials < 1 || cv_pct <= 0) {
    std::fprintf(stderr, "usage: verdict_bench [--trials N>0] [--aa-trials N>0] [--cv PCT>0] [--seed S]\n");
    return 2;
  }
  const double cv = cv_pct / 100;
  std::mt19937_64 rng(seed);
  const stats::VerdictOptions o;
  std::printf("verdict_bench: %d trials per A/A row, %d per power row, run-to-run CV %.1f %%, "
              "threshold %.1f %%, CI %.0f %%, alpha %.2f (Holm, family of 1)\n\n",
              aa_trials, trials, cv_pct, o.threshold_pct, 100 * o.ci_level, o.alpha);

  std::printf("(a) A/A: no change (false alarm = faster + slower)\n");
  std::printf("%4s  %8s %8s %8s %13s  %12s  %16s\n", "n", "faster", "slower", "same",
              "inconclusive", "avg +repeats", "old rule flagged");
  long aa_alarms = 0, aa_total = 0;
  for (int n : {2, 3, 4, 5, 7, 10, 15, 20, 30}) {
    Tally t = Simulate(rng, n, cv, 0, aa_trials);
    aa_alarms += t.faster + t.slower;
    aa_total += t.trials;
    std::printf("%4d  %7.2f%% %7.2f%% %7.2f%% %12.2f%%  %12.1f  %15.2f%%\n", n, t.Pct(t.faster),
                t.Pct(t.slower), t.Pct(t.same), t.Pct(t.inconclusive),
                t.inconclusive ? static_cast<double>(t.more_repeats_sum) / t.inconclusive : 0.0,
                t.Pct(t.old_flagged));
  }

  std::printf("=> A/A called faster or slower: %ld of %ld comparisons (%.2f %%)\n", aa_alarms, aa_total,
              100.0 * aa_alarms / aa_total);

  for (double change : {5.0, 3.0, 2.0}) {
    std::printf("\n(b) power: candidate %.0f %% slower\n", change);
    std::printf("%4s  %8s %8s %13s  %12s  %16s\n", "n", "slower", "same", "inconclusive",
                "avg +repeats", "old rule slower");
    int first_95 = 0;
    for (int n : {2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 35, 40, 45, 50, 60}) {
      Tally t = Simulate(rng, n, cv, change, trials);
      std::printf("%4d  %7.2f%% %7.2f%% %12.2f%%  %12.1f  %15.2f%%\n", n, t.Pct(t.slower),
                  t.Pct(t.same), t.Pct(t.inconclusive),
                  t.inconclusive ? static_cast<double>(t.more_repeats_sum) / t.inconclusive : 0.0,
                  t.Pct(t.old_slower));
      if (!first_95 && t.slower >= 0.95 * trials) first_95 = n;
      if (first_95 && n >= first_95 + 10) break;
    }
    if (first_95) {
      std::printf("=> %.0f %% slowdown called slower in >= 95 %% of trials from n = %d per side\n",
                  change, first_95);
    } else {
      std::printf("=> %.0f %% slowdown: 95 %% not reached by n = 60 per side\n", change);
    }
  }
  return 0;
}
