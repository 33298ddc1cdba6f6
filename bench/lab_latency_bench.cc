// lab_latency_bench: two figures of a whole lab (real coordinator, adb server, devsim,
// benchlab-agent) in one run:
//  a. dispatch latency: SubmitJob returning -> the agent receiving the assignment -> the
//     agent reporting RUNNING -> the phone's `am start` (ActivityTaskManager START line),
//     for single-run jobs on an idle phone with the APK and model already on it;
//  b. log throughput: phone logcat -> agent -> coordinator -> one Lab.StreamLogs
//     subscriber, with `devsimctl logflood N RATE` producing numbered lines; counts lines
//     received and gaps in the sequence numbers.
//
//   lab_latency_bench [--runs 20] [--run-seconds 0.3] [--rates 100000,250000,500000,1000000,0]
//                     [--seconds-per-rate 2] [--rings 4096,262144]
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/lab_bench_util.h"
#include "tests/support/lab_cluster.h"

namespace benchlab::bench {
namespace {

struct Options {
  int runs = 20;
  double run_seconds = 0.3;
  std::vector<double> rates = {100000, 250000, 500000, 1000000, 0};
  double seconds_per_rate = 2;
  // The phone's main log ring in entries (devsimctl logbuffer): 4096 is devsim's default
  // (~ a phone's 256 KB); a big ring shows the chain's own capacity.
  std::vector<uint64_t> rings = {4096, 262144};
};

// ---- a. dispatch latency ----

struct Dispatch {
  std::string run_id;
  int64_t submit_start_us = 0;
  int64_t submit_return_us = 0;
  int64_t agent_assigned_ms = 0;  // the agent's log line "event=assigned run=..."
  int64_t running_ms = 0;         // Run.timings.running_unix_ms
  int64_t am_start_ms = 0;        // the phone's ActivityTaskManager START line
};

// "[2026-11-25 06:30:00.123] [benchlab-agent] [info] event=assigned run=ID ..." (local time).
std::map<std::string, int64_t> AgentAssignTimes(const std::string& log_path) {
  std::map<std::string, int64_t> out;
  std::ifstream in(log_path);
  for (std::string line; std::getline(in, line);) {
    size_t at = line.find("event=assigned run=");
    if (at == std::string::npos || line.size() < 25 || line[0] != '[') continue;
    absl::Time t;
    std::string err;
    if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S", line.substr(1, 23), absl::LocalTimeZone(), &t,
                         &err)) {
      continue;
    }
    std::string rest = line.substr(at + std::strlen("event=assigned run="));
    out[rest.substr(0, rest.find(' '))] = absl::ToUnixMillis(t);
  }
  return out;
}

// The phone's `am start` moments from `logcat -b system -v epoch` ("  1732529031.112 ...").
std::vector<int64_t> AmStartTimes(testing::LabCluster& lab) {
  std::vector<int64_t> out;
  testing::RunResult r = lab.host(0).adb().Adb(
      {"-s", lab.host(0).Serial(0), "logcat", "-d", "-b", "system", "-v", "epoch"});
  for (absl::string_view line : absl::StrSplit(r.output, '\n')) {
    if (!absl::StrContains(line, "ActivityTaskManager") || !absl::StrContains(line, "START u0")) {
      continue;
    }
    double secs = 0;
    absl::string_view head = absl::StripLeadingAsciiWhitespace(line);
    if (absl::SimpleAtod(head.substr(0, head.find(' ')), &secs)) {
      out.push_back(static_cast<int64_t>(secs * 1000 + 0.5));
    }
  }
  return out;
}

void PrintStats(const char* what, const std::vector<double>& v) {
  std::printf("| %-46s | %7.1f | %7.1f | %7.1f | %7.1f |\n", what, Percentile(v, 50),
              Percentile(v, 90), v.empty() ? 0 : *std::max_element(v.begin(), v.end()),
              v.empty() ? 0 : *std::min_element(v.begin(), v.end()));
}

bool DispatchLatency(testing::LabCluster& lab, v1::Lab::Stub& stub, const v1::JobSpec& base,
                     const Options& o) {
  // Warm-up: installs the APK and pushes the model, so the measured runs skip both.
  auto warm = Submit(stub, base);
  if (!warm.ok()) return false;
  WatchUntilDone(stub, warm->job_id(), absl::Minutes(2));

  std::vector<Dispatch> runs;
  for (int i = 0; i < o.runs; ++i) {
    Dispatch d;
    d.submit_start_us = absl::ToUnixMicros(absl::Now());
    auto job = Submit(stub, base);
    d.submit_return_us = absl::ToUnixMicros(absl::Now());
    if (!job.ok()) return false;
    auto result = WatchUntilDone(stub, job->job_id(), absl::Minutes(2));
    if (result.size() != 1 || result.begin()->second.state() != v1::RUN_STATE_DONE) {
      std::fprintf(stderr, "job %s did not finish DONE\n", job->job_id().c_str());
      return false;
    }
    d.run_id = result.begin()->first;
    d.running_ms = result.begin()->second.timings().running_unix_ms();
    runs.push_back(d);
  }
  auto assigned = AgentAssignTimes(absl::StrCat(lab.dir(), "/agent0.log"));
  std::vector<int64_t> starts = AmStartTimes(lab);
  std::vector<double> to_assigned, to_running, to_am_start, submit_call, running_to_am;
  for (Dispatch& d : runs) {
    d.agent_assigned_ms = assigned.count(d.run_id) ? assigned[d.run_id] : 0;
    // This run's START is the first one after its SubmitJob began.
    for (int64_t s : starts) {
      if (s * 1000 >= d.submit_start_us - 1000) {
        d.am_start_ms = s;
        break;
      }
    }
    const double ret_ms = static_cast<double>(d.submit_return_us) / 1000;
    submit_call.push_back(static_cast<double>(d.submit_return_us - d.submit_start_us) / 1000);
    if (d.agent_assigned_ms) to_assigned.push_back(static_cast<double>(d.agent_assigned_ms) - ret_ms);
    to_running.push_back(static_cast<double>(d.running_ms) - ret_ms);
    if (d.am_start_ms) {
      to_am_start.push_back(static_cast<double>(d.am_start_ms) - ret_ms);
      running_to_am.push_back(static_cast<double>(d.am_start_ms - d.running_ms));
    }
  }
  std::printf("\n## a. dispatch latency, %d single-run jobs on one idle phone, artifacts cached\n\n",
              o.runs);
  std::printf("| %-46s | %7s | %7s | %7s | %7s |\n", "interval (ms)", "median", "p90", "max", "min");
  std::printf("|%s|---------|---------|---------|---------|\n", std::string(48, '-').c_str());
  PrintStats("SubmitJob call (start -> return)", submit_call);
  PrintStats("SubmitJob return -> agent got assignment (log)", to_assigned);
  PrintStats("SubmitJob return -> RUNNING (running_unix_ms)", to_running);
  PrintStats("SubmitJob return -> phone `am start` (logcat)", to_am_start);
  PrintStats("RUNNING -> phone `am start`", running_to_am);
  std::printf("\n(agent log times have ms resolution; %zu/%d runs matched an agent line, %zu/%d "
              "a START line)\n",
              to_assigned.size(), o.runs, to_am_start.size(), o.runs);
  return true;
}

// ---- b. log throughput ----

// Tallies one flood's lines as the subscriber reads them.
class FloodCounter {
 public:
  void Reset() {
    absl::MutexLock l(&mu_);
    received_ = gaps_ = missed_ = max_seq_ = last_seq_ = out_of_order_ = 0;
    first_ = last_ = absl::InfinitePast();
  }
  void Add(const v1::LogBatch& batch) {
    const absl::Time now = absl::Now();
    absl::MutexLock l(&mu_);
    missed_ += batch.missed_lines();
    for (const v1::LogLine& line : batch.lines()) {
      // "flood seq=I of N"
      absl::string_view m = line.message();
      if (!absl::ConsumePrefix(&m, "flood seq=")) continue;
      uint64_t seq = 0;
      if (!absl::SimpleAtoi(m.substr(0, m.find(' ')), &seq)) continue;
      if (received_ == 0) first_ = now;
      last_ = now;
      ++received_;
      if (seq > last_seq_ + 1) gaps_ += seq - last_seq_ - 1;
      if (seq <= last_seq_) ++out_of_order_;
      last_seq_ = seq;
      max_seq_ = std::max(max_seq_, seq);
    }
  }
  // Waits until sequence `n` arrived or no line came for `quiet`.
  void WaitFor(uint64_t n, absl::Duration quiet) {
    absl::MutexLock l(&mu_);
    while (max_seq_ < n) {
      const uint64_t before = received_;
      auto moved = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return received_ != before || max_seq_ >= n;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&moved), quiet)) return;
    }
  }
  struct Figures {
    uint64_t received, gaps, missed, max_seq, out_of_order;
    absl::Time first, last;
  };
  Figures Get() {
    absl::MutexLock l(&mu_);
    return {received_, gaps_, missed_, max_seq_, out_of_order_, first_, last_};
  }

 private:
  absl::Mutex mu_;
  uint64_t received_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t gaps_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t missed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t max_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t out_of_order_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time first_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

testing::RunResult Flood(testing::LabCluster& lab, uint64_t n, double rate) {
  return lab.host(0).adb().Adb({"-s", lab.host(0).Serial(0), "shell",
                                absl::StrFormat("devsimctl logflood %d %.0f", n, rate)},
                               absl::Minutes(5));
}

bool LogThroughput(testing::LabCluster& lab, v1::Lab::Stub& stub, const Options& o) {
  FloodCounter counter;
  grpc::ClientContext ctx;
  v1::StreamLogsRequest req;
  req.set_device_id(lab.DeviceId(0, 0));
  req.add_tags("benchlab-flood");
  auto reader = stub.StreamLogs(&ctx, req);
  std::thread reading([&] {
    v1::LogBatch batch;
    while (reader->Read(&batch)) counter.Add(batch);
  });
  // The subscription reaches the agent asynchronously: probe until a line comes through.
  const absl::Time t0 = absl::Now();
  while (counter.Get().received == 0 && absl::Now() - t0 < absl::Seconds(20)) {
    (void)Flood(lab, 1, 0);
    counter.WaitFor(1, absl::Milliseconds(500));
  }
  bool ok = counter.Get().received > 0;
  if (!ok) std::fprintf(stderr, "no flood line reached the subscriber\n");

  std::printf("\n## b. log lines: phone logcat -> agent -> coordinator -> 1 StreamLogs subscriber\n\n");
  std::printf("| phone ring | offered lines/s | lines | devsim wrote at | received | lost | of which "
              "missed_lines (hub) | received lines/s | devsim CPU %% | agent CPU %% | coordinator CPU %% | subscriber CPU %% |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const pid_t devsim = FindChild("benchlab-devsim");
  for (uint64_t ring : o.rings) {
  (void)lab.host(0).adb().Adb(
      {"-s", lab.host(0).Serial(0), "shell", absl::StrCat("devsimctl logbuffer ", ring)});
  for (double rate : o.rates) {
    if (!ok) break;
    const uint64_t n = rate > 0 ? static_cast<uint64_t>(rate * o.seconds_per_rate) : 1000000;
    counter.Reset();
    ProcFigures devsim0 = ReadProc(devsim);
    ProcFigures self0 = ReadProc(getpid());
    ProcFigures agent0 = ReadProc(lab.agent(0).pid());
    ProcFigures coord0 = ReadProc(lab.coordinator().pid());
    const absl::Time start = absl::Now();
    testing::RunResult r = Flood(lab, n, rate);
    counter.WaitFor(n, absl::Seconds(3));
    FloodCounter::Figures f = counter.Get();
    ProcFigures devsim1 = ReadProc(devsim);
    ProcFigures self1 = ReadProc(getpid());
    ProcFigures agent1 = ReadProc(lab.agent(0).pid());
    ProcFigures coord1 = ReadProc(lab.coordinator().pid());
    // The busy window: flood start to the last line received (the quiet tail excluded).
    const double secs = absl::ToDoubleSeconds((f.received ? f.last : absl::Now()) - start);
    std::string wrote = "?";
    if (size_t at = r.output.find("lines_per_s="); at != std::string::npos) {
      wrote = r.output.substr(at + 12, r.output.find_first_of("\r\n", at) - at - 12);
    }
    std::printf("| %llu | %s | %llu | %s | %llu | %llu | %llu | %.0f | %.0f | %.0f | %.0f | %.0f |\n",
                static_cast<unsigned long long>(ring), rate > 0 ? absl::StrFormat("%.0f", rate).c_str() : "unpaced",
                static_cast<unsigned long long>(n), wrote.c_str(),
                static_cast<unsigned long long>(f.received),
                static_cast<unsigned long long>(n - std::min(n, f.received)),
                static_cast<unsigned long long>(f.missed),
                secs > 0 ? static_cast<double>(f.received) / secs : 0.0,
                100 * (devsim1.cpu_s - devsim0.cpu_s) / secs, 100 * (agent1.cpu_s - agent0.cpu_s) / secs, 100 * (coord1.cpu_s - coord0.cpu_s) / secs,
                100 * (self1.cpu_s - self0.cpu_s) / secs);
    std::fflush(stdout);
    if (f.out_of_order) std::printf("   (%llu lines out of order)\n", static_cast<unsigned long long>(f.out_of_order));
  }
  }
  ctx.TryCancel();
  reading.join();
  (void)reader->Finish();
  return ok;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) (void)absl::SimpleAtoi(argv[i + 1], &o.runs);
    if (!std::strcmp(argv[i], "--run-seconds")) (void)absl::SimpleAtod(argv[i + 1], &o.run_seconds);
    if (!std::strcmp(argv[i], "--seconds-per-rate")) {
      (void)absl::SimpleAtod(argv[i + 1], &o.seconds_per_rate);
    }
    if (!std::strcmp(argv[i], "--rings")) {
      o.rings.clear();
      for (absl::string_view r : absl::StrSplit(argv[i + 1], ',')) {
        uint64_t v = 0;
        if (absl::SimpleAtoi(r, &v)) o.rings.push_back(v);
      }
    }
    if (!std::strcmp(argv[i], "--rates")) {
      o.rates.clear();
      for (absl::string_view r : absl::StrSplit(argv[i + 1], ',')) {
        double v = 0;
        if (absl::SimpleAtod(r, &v)) o.rates.push_back(v);
      }
    }
  }
  std::printf("# %s\n", CommandLine(argc, argv).c_str());
  std::printf("# 1 host x 1 devsim phone, real benchlab-agent and benchlab-coordinator (loopback)\n");
  auto lab = testing::LabCluster::Start({.hosts = 1, .phones_per_host = 1,
                                         .run_seconds = o.run_seconds, .coordinator_extra = {}});
  if (!lab.ok()) {
    std::fprintf(stderr, "lab: %s\n", lab.status().ToString().c_str());
    return 1;
  }
  auto stub = (*lab)->Lab();
  auto uploaded = UploadAndSpec(**lab, *stub, "lab_latency_bench");
  if (!uploaded.ok()) {
    std::fprintf(stderr, "upload failed: %s\n", uploaded.status().ToString().c_str());
    return 1;
  }
  v1::JobSpec spec = *uploaded;
  spec.mutable_selector()->add_devices((*lab)->DeviceId(0, 0));
  spec.set_repeats(1);
  spec.set_timeout_s(60);
  spec.set_cooldown_s(0);
  bool ok = DispatchLatency(**lab, *stub, spec, o);
  std::fflush(stdout);
  ok = LogThroughput(**lab, *stub, o) && ok;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace benchlab::bench

int main(int argc, char** argv) { return benchlab::bench::Main(argc, argv); }
