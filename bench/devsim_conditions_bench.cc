// devsim_conditions_bench: the numbers of devsim's run-conditions model (devsim/phone/thermal.*,
// perf_knobs.*, latency_model.*), so a detection figure can say what it was measured against:
// the measured run-to-run CV of "Inference (avg)" for each --noise-cv, the slowdown and CV of
// a throttled phone by SoC temperature, where back-to-back runs settle for each idle gap, and
// the cost of one run-conditions shell call on a phone.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "devsim/phone/latency_model.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/thermal.h"

namespace {

using benchlab::devsim::ComputeRun;
using benchlab::devsim::MakeProfile;
using benchlab::devsim::PhoneProfile;
using benchlab::devsim::RunConfig;
using benchlab::devsim::RunPerf;
using benchlab::devsim::RunSeed;
using benchlab::devsim::Thermal;
using benchlab::devsim::ThermalOptions;

struct Moments {
  double mean = 0, cv = 0, busy_s = 0;
};

Moments Runs(const RunPerf& perf, int n) {
  const PhoneProfile p = MakeProfile(1, 0);
  RunConfig c;
  c.model_size_bytes = 4000000;
  c.num_threads = 4;
  std::vector<double> avgs;
  Moments m;
  for (int i = 0; i < n; ++i) {
    const auto r = ComputeRun(p, RunSeed(1, p, i), perf, c);
    double s = 0;
    for (int64_t v : r.timed_us) s += static_cast<double>(v);
    avgs.push_back(s / static_cast<double>(r.timed_us.size()));
    m.busy_s += r.busy_secs / n;
  }
  for (double a : avgs) m.mean += a / n;
  double var = 0;
  for (double a : avgs) var += (a - m.mean) * (a - m.mean);
  m.cv = std::sqrt(var / (n - 1)) / m.mean;
  return m;
}

// A phone whose time the bench moves by hand.
struct Sim {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  Thermal thermal{30, ThermalOptions(), [this] { return now; }};
};

}  // namespace

int main() {
  constexpr int kRuns = 4000;
  std::printf("run-to-run CV of Inference (avg), %d runs, 4 MB model, 4 threads\n", kRuns);
  std::printf("%-12s %-12s\n", "--noise-cv", "measured CV");
  for (double cv : {0.0, 1.0, 1.5, 2.0, 3.0, 5.0}) {
    RunPerf perf;
    perf.noise_cv = cv / 100;
    std::printf("%-12.1f %.2f %%\n", cv, Runs(perf, kRuns).cv * 100);
  }

  std::printf("\nthrottled phone (--throttle-c 42, --noise-cv 1.5), %d runs each\n", kRuns);
  std::printf("%-10s %-8s %-12s %-10s %-12s\n", "SoC C", "status", "big freq", "latency", "measured CV");
  RunPerf cool;
  const Moments base = Runs(cool, kRuns);
  for (double soc : {30.0, 42.0, 44.0, 46.0, 48.0, 52.0, 58.0}) {
    Sim sim;
    sim.thermal.SetSocTemp(soc);
    RunPerf perf;
    perf.big_freq_factor = sim.thermal.big_freq_factor();
    const Moments m = Runs(perf, kRuns);
    std::printf("%-10.0f %-8d %-12.2f x%-9.3f %.2f %%\n", soc,
                static_cast<int>(sim.thermal.status()), perf.big_freq_factor, m.mean / base.mean,
                m.cv * 100);
  }

  std::printf("\nback-to-back runs (busy %.2f s each at full load, tau 40 s, ambient 30 C): SoC after N runs\n",
              base.busy_s);
  std::printf("%-14s %-10s %-10s %-10s %-10s\n", "idle gap (s)", "N=5", "N=10", "N=30", "N=100");
  for (double gap : {1.0, 3.0, 10.0, 30.0, 60.0, 120.0}) {
    Sim sim;
    std::printf("%-14.0f", gap);
    for (int n = 1; n <= 100; ++n) {
      sim.thermal.Heat(base.busy_s, 1.0);
      sim.now += absl::Seconds(gap + base.busy_s);
      if (n == 5 || n == 10 || n == 30 || n == 100) std::printf(" %-10.1f", sim.thermal.soc_c());
    }
    std::printf("\n");
  }

  // One run-conditions shell call (what a reader sends before and after a run).
  benchlab::devsim::Phone phone(MakeProfile(1, 1), 1, absl::Seconds(1));
  phone.SetBackgroundLogs(false);
  class NullIo : public benchlab::devsim::CommandIo {
   public:
    bool WriteStdout(absl::string_view d) override { bytes += d.size(); return true; }
    bool WriteStderr(absl::string_view d) override { bytes += d.size(); return true; }
    std::string ReadStdin(size_t) override { return ""; }
    bool Cancelled() override { return false; }
    size_t bytes = 0;
  } io;
  const char* script =
      "dumpsys battery; echo ---; dumpsys thermalservice; echo ---; "
      "for z in /sys/class/thermal/thermal_zone*; do cat $z/type $z/temp; done; echo ---; "
      "grep . /sys/devices/system/cpu/online /sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq "
      "/sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq /sys/devices/system/cpu/cpu*/cpufreq/related_cpus; "
      "echo ---; dumpsys power; grep -e MemTotal -e MemAvailable /proc/meminfo; getprop ro.build.fingerprint";
  constexpr int kCalls = 2000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) phone.RunShell(script, io);
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / kCalls;
  std::printf("\none run-conditions shell call in-process: %.1f us, %zu bytes of output\n", us,
              io.bytes / kCalls);
  return 0;
}
