// history_bench: how well the change-point detector (coordinator/change_points.h) finds a
// step in a benchmark history, simulated in-process with devsim's noise model.
// A "job" is `repeats` runs whose latency is level * (1 + N(0, cv)) (devsim's run-to-run
// noise, devsim --noise-cv); its point is the median of its runs, as
// GetHistory computes it. Each trial is a series of `jobs` points, flat, or with one step of
// `step` % at the middle. Prints, per setting: the share of flat series with any change
// point (false alarms), and for the step series the share where exactly that change point
// (index within ±1) and no other was found, plus one example series.
// `--lab`: the same figure through the real chain instead (coordinator, adb, devsim, agent,
// `benchlab run` per job): 30 jobs of 5 runs on two devsim phones at a run-to-run CV of 2 %
// (devsim `noise`); from job 15 on, phone 0 runs the model 4 % slower (devsim `slowdown`);
// then GetHistory's series and change points (phone 1 is the flat control).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "benchlab/v1/lab.grpc.pb.h"
#include "common/sha256.h"
#include "coordinator/change_points.h"
#include "tests/support/lab_cluster.h"

namespace {

using benchlab::coordinator::ChangePointOptions;
using benchlab::coordinator::FindChangePoints;
using benchlab::coordinator::Median;

struct Setting {
  int jobs = 30;
  int repeats = 3;
  double cv = 0.02;
  double step_pct = 4;
};

std::vector<double> Series(const Setting& s, bool with_step, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0.0, s.cv);
  std::vector<double> points;
  for (int j = 0; j < s.jobs; ++j) {
    const double level = 1000.0 * (with_step && j >= s.jobs / 2 ? 1 + s.step_pct / 100 : 1.0);
    std::vector<double> runs;
    for (int r = 0; r < s.repeats; ++r) runs.push_back(level * (1 + noise(rng)));
    points.push_back(Median(runs));
  }
  return points;
}

void Measure(const Setting& s, const ChangePointOptions& o, int trials, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int false_alarms = 0, exact = 0, extra = 0;
  for (int t = 0; t < trials; ++t) {
    if (!FindChangePoints(Series(s, false, rng), o).empty()) ++false_alarms;
    auto cps = FindChangePoints(Series(s, true, rng), o);
    bool hit = false;
    for (const auto& c : cps) {
      if (std::abs(c.index - s.jobs / 2) <= 1) hit = true;
    }
    if (hit && cps.size() == 1) ++exact;
    if (hit && cps.size() > 1) ++extra;
  }
  std::printf("| %d | %d | %.1f %% | %.0f %% | t>=%.1f, window %d | %.2f %% | %.1f %% | %.2f %% |\n", s.jobs,
              s.repeats, s.cv * 100, s.step_pct, o.min_t, o.window, 100.0 * false_alarms / trials,
              100.0 * exact / trials, 100.0 * extra / trials);
}

// The figure through real processes; returns the process exit code.
int MeasureLab(int jobs) {
  auto started = benchlab::testing::LabCluster::Start({.hosts = 2, .phones_per_host = 1, .run_seconds = 0.2});
  if (!started.ok()) {
    std::fprintf(stderr, "lab: %s\n", started.status().ToString().c_str());
    return 1;
  }
  auto& lab = **started;
  auto digest = benchlab::Sha256File(lab.model_path());
  if (!digest.ok()) return 1;
  if (!lab.host(0).Control("noise 0 2").ok() || !lab.host(1).Control("noise 0 2").ok()) return 1;
  for (int j = 0; j < jobs; ++j) {
    if (j == jobs / 2 && !lab.host(0).Control("slowdown 0 " + digest->sha256 + " 4").ok()) return 1;
    auto r = lab.Cli({"run", lab.model_path(), "--apk", lab.apk_path(), "--repeat", "5", "--runs", "10", "--warmup",
                      "1", "--flag", "--min_secs=0.01", "--flag", "--warmup_min_secs=0.01"});
    if (r.exit_code != 0) {
      std::fprintf(stderr, "job %d: %s\n", j, r.output.c_str());
      return 1;
    }
  }
  auto stub = lab.Lab();
  grpc::ClientContext ctx;
  benchlab::v1::GetHistoryRequest req;
  req.set_model_sha256(digest->sha256);
  benchlab::v1::GetHistoryResponse resp;
  if (!stub->GetHistory(&ctx, req, &resp).ok()) return 1;
  std::printf("lab: %d jobs x 5 runs per phone, run CV 2 %%, model 4 %% slower on %s from job %d\n", jobs,
              lab.DeviceId(0, 0).c_str(), jobs / 2);
  for (const auto& series : resp.series()) {
    std::printf("%s, %s per job:\n", series.key().device_id().c_str(), series.key().metric().c_str());
    for (int i = 0; i < series.points_size(); ++i) std::printf("%s%.0f", i ? " " : "", series.points(i).median());
    std::printf("\nchange points:");
    for (const auto& c : series.change_points()) {
      std::printf(" index %d (%.0f -> %.0f, %+.2f %%, t %.1f)", c.index(), c.before_median(), c.after_median(),
                  c.change_pct(), c.t());
    }
    std::printf("%s\n", series.change_points().empty() ? " none" : "");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--lab") == 0) return MeasureLab(30);
  }
  int trials = 2000;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--trials") == 0) trials = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::printf("%d trials per row (flat and step series each), seed %llu\n\n", trials,
              static_cast<unsigned long long>(seed));
  std::printf("| jobs | runs/job | run CV | step | test | flat: any change point | step: found, no other | step: found + extra |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  const ChangePointOptions defaults;
  for (Setting s : {Setting{30, 3, 0.02, 4}, Setting{30, 1, 0.02, 4}, Setting{30, 5, 0.02, 4},
                    Setting{30, 3, 0.02, 2}, Setting{30, 3, 0.02, 6}, Setting{16, 3, 0.02, 4}}) {
    Measure(s, defaults, trials, seed);
  }
  // The same lab at other thresholds, to show the trade-off the default picks.
  for (double t : {3.5, 4.0, 4.5, 6.0}) {
    ChangePointOptions o;
    o.min_t = t;
    Measure(Setting{30, 3, 0.02, 4}, o, trials, seed);
    Measure(Setting{30, 1, 0.02, 4}, o, trials, seed);
  }

  // One example: the figure's series (30 jobs of 3 runs, 2 % run CV, +4 % from job 15).
  std::mt19937_64 rng(seed);
  Setting figure;
  auto v = Series(figure, true, rng);
  std::printf("\nexample series (median of 3 runs per job, +4 %% from job 15):\n");
  for (size_t i = 0; i < v.size(); ++i) std::printf("%s%.1f", i ? " " : "", v[i]);
  std::printf("\nchange points:");
  for (const auto& c : FindChangePoints(v)) {
    std::printf(" index %d (%.1f -> %.1f, %+.2f %%, t %.1f)", c.index, c.before_median, c.after_median,
                c.change_pct, c.t);
  }
  std::printf("\n");
  return 0;
}
