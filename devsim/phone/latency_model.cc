// The numbers model. Single-thread CPU cost grows with the model's size and shrinks with
// the phone's speed; threads help with diminishing returns past the big cores; GPU and
// NNAPI divide the cost but pay a longer init; each iteration gets log-normal noise and
// now and then an outlier; the run as a whole gets run-to-run noise, drift, an injected
// slowdown and the thermal frequency cap (RunPerf).
#include "devsim/phone/latency_model.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace benchlab::devsim {
namespace {

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr double kCpuUsPerMb = 3000.0;  // one big core of a 2023 flagship, fp32 CNN
constexpr size_t kMaxSamples = 200000;  // bounds memory for absurd flag values

// The benchmark's loop rule (BenchmarkModel::Run): iterate while (run < min_runs or
// elapsed < min_secs) and elapsed <= max_secs; a started iteration always finishes.
std::vector<int64_t> SamplePhase(std::mt19937_64& rng, double mean_us, double first_factor,
                                 int min_runs, double min_secs, double max_secs,
                                 double run_delay_secs, double sigma) {
  std::vector<int64_t> out;
  std::normal_distribution<double> noise(0.0, sigma);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  double elapsed_us = 0;
  const double min_us = min_secs * 1e6, max_us = max_secs * 1e6;
  while ((static_cast<int>(out.size()) < min_runs || elapsed_us < min_us) && elapsed_us <= max_us &&
         out.size() < kMaxSamples) {
    double v = mean_us * std::exp(noise(rng));
    if (out.empty()) v *= first_factor;
    if (uni(rng) < 0.015) v *= 1.25 + 0.4 * uni(rng);  // a preempted iteration
    const int64_t us = std::max<int64_t>(1, std::llround(v));
    out.push_back(us);
    elapsed_us += static_cast<double>(us) + 35.0;  // loop overhead per iteration
    if (run_delay_secs > 0) elapsed_us += run_delay_secs * 1e6;
  }
  return out;
}

}  // namespace

uint64_t RunSeed(uint64_t phone_seed, const PhoneProfile& profile, int run_number) {
  uint64_t h = Mix(phone_seed);
  for (char c : profile.serialno) h = Mix(h ^ static_cast<unsigned char>(c));
  return Mix(h ^ static_cast<uint64_t>(run_number));
}

RunNumbers ComputeRun(const PhoneProfile& profile, uint64_t run_seed, const RunPerf& perf,
                      const RunConfig& c) {
  std::mt19937_64 rng(run_seed);
  // A throttled phone also varies more: the cap moves during the run.
  const double freq = std::clamp(perf.big_freq_factor, 0.05, 1.0);
  const double cv = std::max(0.0, perf.noise_cv) + 0.04 * (1.0 - freq);
  std::normal_distribution<double> run_noise(0.0, cv);
  std::normal_distribution<double> init_noise(0.0, 0.02);
  RunNumbers n;
  const double size_mb = std::max(0.001, static_cast<double>(c.model_size_bytes) / 1e6);
  const double speed = std::max(0.05, profile.cpu_speed);
  const double single_us = kCpuUsPerMb * size_mb / speed;

  // Threads: full gain up to 4 big cores, a quarter per little core after that.
  const int threads = c.num_threads <= 0 ? 1 : std::min(c.num_threads, 64);
  const double effective =
      std::min(threads, 4) + 0.25 * std::max(0, std::min(threads, profile.cores) - 4);
  double cpu_us = single_us / std::pow(effective, 0.8);
  if (threads > profile.cores) cpu_us *= 1.0 + 0.08 * (threads - profile.cores);  // contention
  if (!c.use_xnnpack) cpu_us *= 1.6;                                              // builtin kernels

  double mean_us = cpu_us;
  double first_factor = 1.45, sigma = 0.035;
  double init_us = 18000.0 + 1500.0 * size_mb / speed;
  n.total_nodes = std::clamp(static_cast<int>(10 + size_mb * 4), 8, 400);
  n.delegated_nodes = c.use_xnnpack ? n.total_nodes : 0;
  if (c.use_gpu) {
    mean_us = single_us * 0.08 + 600.0;
    first_factor = 2.5;
    sigma = 0.05;
    init_us = 900000.0 + 20000.0 * size_mb;
    n.delegated_nodes = n.total_nodes;
  } else if (c.use_nnapi) {
    mean_us = single_us * 0.22 + 900.0;
    first_factor = 3.0;
    sigma = 0.06;
    init_us = 300000.0 + 25000.0 * size_mb;
    n.delegated_nodes = std::max(1, n.total_nodes - 8);
    n.partitions = 2;
  }
  // Thermal throttling: CPU work scales with the big cores' clock; delegates less so.
  const double thermal = (c.use_gpu || c.use_nnapi) ? 1.0 / std::sqrt(freq) : 1.0 / freq;
  mean_us *= thermal * perf.drift_factor * perf.slowdown_factor *
             std::max(0.5, 1.0 + run_noise(rng));
  init_us *= 1.0 + std::abs(init_noise(rng)) * 3;

  n.init_us = std::llround(init_us);
  n.warmup_us = SamplePhase(rng, mean_us * 1.04, first_factor, c.warmup_runs, c.warmup_min_secs,
                            c.max_secs, c.run_delay_secs, sigma * 1.6);
  n.timed_us =
      SamplePhase(rng, mean_us, 1.0, c.num_runs, c.min_secs, c.max_secs, c.run_delay_secs, sigma);
  double busy = 0;
  for (int64_t v : n.warmup_us) busy += static_cast<double>(v);
  for (int64_t v : n.timed_us) busy += static_cast<double>(v);
  n.busy_secs = busy / 1e6;

  // Memory: deltas of ru_maxrss in KB, printed KB/1024. overall >= init always.
  std::uniform_int_distribution<int> jitter(0, 400);
  const double gpu_extra_kb = c.use_gpu ? 18000 : 0;
  const int64_t init_kb = std::llround(2000 + size_mb * 1380 + gpu_extra_kb) + jitter(rng);
  const int64_t overall_kb = init_kb + std::llround(2500 + size_mb * 420) + jitter(rng);
  n.mem_init_mb = static_cast<double>(init_kb) / 1024.0;
  n.mem_overall_mb = static_cast<double>(overall_kb) / 1024.0;
  n.peak_mb = std::round((140.0 + n.mem_overall_mb * 1.9 + jitter(rng) / 40.0) * 100) / 100;
  n.vm_rss_mb = static_cast<int>(n.peak_mb * 0.94);
  n.rss_anon_mb = static_cast<int>(n.vm_rss_mb * 0.48);
  n.rss_file_mb = n.vm_rss_mb - n.rss_anon_mb;
  return n;
}

std::string FormatG(double v) { return absl::StrFormat("%g", v); }

std::string FormatAvg(const std::vector<int64_t>& s) {
  if (s.empty()) return "nan";
  int64_t sum = 0;
  for (int64_t v : s) sum += v;
  return FormatG(static_cast<double>(sum) / static_cast<double>(s.size()));
}

std::string FormatStatsLine(const std::vector<int64_t>& s) {
  if (s.empty()) return "count=0";
  const int64_t n = static_cast<int64_t>(s.size());
  const auto [mn, mx] = std::minmax_element(s.begin(), s.end());
  if (*mn == *mx) {
    return absl::StrCat("count=", n, " curr=", s.back(), n > 1 ? "(all same)" : "");
  }
  int64_t sum = 0;
  double sumsq = 0;
  for (int64_t v : s) {
    sum += v;
    sumsq += static_cast<double>(v) * static_cast<double>(v);
  }
  const double avg = static_cast<double>(sum) / static_cast<double>(n);
  // The tool truncates the variance and then the root to int64 (fixtures/README.md).
  const int64_t var = static_cast<int64_t>(sumsq / static_cast<double>(n) - avg * avg);
  const int64_t std_dev =
      static_cast<int64_t>(std::sqrt(static_cast<double>(std::max<int64_t>(0, var))));
  return absl::StrCat("count=", n, " first=", s.front(), " curr=", s.back(), " min=", *mn,
                      " max=", *mx, " avg=", FormatG(avg), " std=", std_dev);
}

}  // namespace benchlab::devsim
