// LatencyModel: the numbers a simulated benchmark run prints, from the phone (cpu_speed,
// cores), the model size, the flags (threads, delegates, run counts), the thermal
// frequency cap, run-to-run noise, drift and injected slowdowns (RunPerf). Deterministic for the same inputs: noise comes from a seed mixed from
// (phone seed, serial, run number).
//
// Also the tool's statistics formatting (count= line, %g averages), done exactly like
// tsl's Stat::OutputToStream so parsers see what a phone prints.
#ifndef BENCHLAB_DEVSIM_PHONE_LATENCY_MODEL_H_
#define BENCHLAB_DEVSIM_PHONE_LATENCY_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "devsim/phone/phone.h"

namespace benchlab::devsim {

// What the numbers depend on, taken from the app's flags (defaults as in the tool).
struct RunConfig {
  int64_t model_size_bytes = 0;
  int num_threads = -1;  // -1: runtime default (1 thread)
  bool use_gpu = false;
  bool use_nnapi = false;
  bool use_xnnpack = true;  // XNNPACK applies by default on CPU
  int num_runs = 50;
  double min_secs = 1.0;
  double max_secs = 150.0;
  int warmup_runs = 1;
  double warmup_min_secs = 0.5;
  double run_delay_secs = -1;
};

struct RunNumbers {
  int64_t init_us = 0;
  std::vector<int64_t> warmup_us;  // per iteration
  std::vector<int64_t> timed_us;
  double mem_init_mb = 0;  // KB/1024, as the tool prints them
  double mem_overall_mb = 0;
  double peak_mb = 0;  // absolute peak RSS (report_peak_memory_footprint)
  int vm_rss_mb = 0, rss_anon_mb = 0, rss_file_mb = 0;
  int delegated_nodes = 0, total_nodes = 0, partitions = 1;
  // Simulated benchmark time (sum of iterations), for the battery's heating.
  double busy_secs = 0;
};

// The phone's state and the lab's knobs at the start of a run (thermal.h, perf_knobs.h).
struct RunPerf {
  double big_freq_factor = 1.0;  // the big clusters' thermal frequency cap (1 = unthrottled)
  double noise_cv = 0.015;       // run-to-run coefficient of variation of the mean latency
  double drift_factor = 1.0;     // slow drift of the phone's speed
  double slowdown_factor = 1.0;  // an injected slowdown of this model on this phone (1.05 = 5 %)
};

// Seed of one run: mixes the phone's seed, its serial and the run number.
uint64_t RunSeed(uint64_t phone_seed, const PhoneProfile& profile, int run_number);

// Computes one run. A throttled phone (perf.big_freq_factor < 1) is slower in proportion
// to the lost frequency on CPU (less on GPU/NNAPI, whose clocks throttle less) and noisier.
RunNumbers ComputeRun(const PhoneProfile& profile, uint64_t run_seed, const RunPerf& perf,
                      const RunConfig& config);

// The tool's stats line for these samples: "count=0", "count=1 curr=X",
// "count=N curr=X(all same)", or "count=N first=.. curr=.. min=.. max=.. avg=%g std=N".
std::string FormatStatsLine(const std::vector<int64_t>& samples_us);
// The %g (6 significant digits) average of samples, as in "Warmup (avg): ..."; "nan" if empty.
std::string FormatAvg(const std::vector<int64_t>& samples_us);
// C++ ostream's default formatting of a double (= printf %g).
std::string FormatG(double v);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_LATENCY_MODEL_H_
