// agent_rss_bench: memory and threads of the real benchlab-agent daemon on a host with N
// simulated phones, connected to a real coordinator: idle after the phones are known, and
// after one job with one run per phone (all phones in parallel).
//
//   agent_rss_bench [--phones 8] [--settle-s 5] [--run-seconds 1]
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/lab_bench_util.h"
#include "tests/support/lab_cluster.h"

namespace benchlab::bench {
namespace {

void Row(const char* phase, const ProcFigures& f) {
  std::printf("| %-40s | %7.1f | %7.1f | %7.1f | %7.1f | %7d | %6.2f |\n", phase, f.rss_mb,
              f.anon_mb, f.file_mb, f.hwm_mb, f.threads, f.cpu_s);
}

int Main(int argc, char** argv) {
  int phones = 8;
  double settle_s = 5;
  double run_seconds = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--phones")) (void)absl::SimpleAtoi(argv[i + 1], &phones);
    if (!std::strcmp(argv[i], "--settle-s")) (void)absl::SimpleAtod(argv[i + 1], &settle_s);
    if (!std::strcmp(argv[i], "--run-seconds")) (void)absl::SimpleAtod(argv[i + 1], &run_seconds);
  }
  std::printf("# %s\n", CommandLine(argc, argv).c_str());
  std::printf("# benchlab-agent daemon, 1 host x %d devsim phones, real coordinator (loopback)\n",
              phones);

  auto lab = testing::LabCluster::Start(
      {.hosts = 1, .phones_per_host = phones, .run_seconds = run_seconds, .coordinator_extra = {}});
  if (!lab.ok()) {
    std::fprintf(stderr, "lab: %s\n", lab.status().ToString().c_str());
    return 1;
  }
  const pid_t agent = (*lab)->agent(0).pid();
  ProcFigures connected = ReadProc(agent);
  absl::SleepFor(absl::Seconds(settle_s));
  ProcFigures idle = ReadProc(agent);

  auto stub = (*lab)->Lab();
  auto uploaded = UploadAndSpec(**lab, *stub, "agent_rss_bench");
  if (!uploaded.ok()) {
    std::fprintf(stderr, "upload failed: %s\n", uploaded.status().ToString().c_str());
    return 1;
  }
  v1::JobSpec spec = *uploaded;
  spec.mutable_selector()->set_all(true);
  spec.set_repeats(1);
  spec.set_timeout_s(120);
  spec.set_cooldown_s(0);
  auto job = Submit(*stub, spec);
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.status().ToString().c_str());
    return 1;
  }
  // Sample while the runs are in flight for the thread peak.
  int peak_threads = 0;
  std::map<std::string, v1::Run> runs;
  std::thread watcher([&] { runs = WatchUntilDone(*stub, job->job_id(), absl::Minutes(5)); });
  const absl::Time t0 = absl::Now();
  v1::GetJobResponse state;
  do {
    peak_threads = std::max(peak_threads, ReadProc(agent).threads);
    absl::SleepFor(absl::Milliseconds(20));
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetJobRequest req;
    req.set_job_id(job->job_id());
    if (!stub->GetJob(&ctx, req, &state).ok()) break;
  } while (state.job().finished_unix_ms() == 0 && absl::Now() - t0 < absl::Minutes(5));
  watcher.join();
  const double job_s = absl::ToDoubleSeconds(absl::Now() - t0);
  int done = 0;
  for (const auto& [id, r] : runs) done += r.state() == v1::RUN_STATE_DONE;
  ProcFigures after = ReadProc(agent);
  absl::SleepFor(absl::Seconds(settle_s));
  ProcFigures after_settled = ReadProc(agent);

  std::printf("\n| %-40s | %7s | %7s | %7s | %7s | %7s | %6s |\n", "phase", "RSS MB", "anon MB",
              "file MB", "HWM MB", "threads", "CPU s");
  std::printf("|%s|---------|---------|---------|---------|---------|--------|\n",
              std::string(42, '-').c_str());
  Row("phones idle in ListDevices", connected);
  Row(absl::StrCat("idle, after ", settle_s, " s").c_str(), idle);
  Row(absl::StrCat("job of ", phones, " runs done (", done, " DONE, ", absl::StrFormat("%.1f", job_s),
                   " s)")
          .c_str(),
      after);
  Row(absl::StrCat("after the job + ", settle_s, " s").c_str(), after_settled);
  std::printf("\npeak threads during the job: %d\n", peak_threads);
  std::printf("expected: idle RSS <= 15 MB -> %s\n", idle.rss_mb <= 15 ? "OK" : "ABOVE");
  return done == phones ? 0 : 2;
}

}  // namespace
}  // namespace benchlab::bench

int main(int argc, char** argv) { return benchlab::bench::Main(argc, argv); }
