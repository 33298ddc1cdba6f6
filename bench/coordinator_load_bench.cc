// coordinator_load_bench: a spawned benchlab-coordinator with many fake agents (each on its
// own TCP connection, N phones each). Prints the coordinator's RSS and CPU time idle, with
// all agents connected, and after one job that runs once on every phone; and the job's
// wall time from SubmitJob to WatchJob's end. The fake agents answer each assignment at
// once, so the figure is the coordinator's own overhead per run.
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "common/sha256.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/fake_agent_fleet.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace v1 = benchlab::v1;
namespace bt = benchlab::testing;

namespace {

struct ProcStats {
  double rss_mb = 0;
  double cpu_s = 0;
  int threads = 0;
};

ProcStats Stats(pid_t pid) {
  ProcStats s;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = std::atof(line.c_str() + 6) / 1024.0;
    if (line.rfind("Threads:", 0) == 0) s.threads = std::atoi(line.c_str() + 8);
  }
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string all((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream in(all.substr(all.rfind(')') + 2));
  std::string f;
  long ut = 0, st = 0;
  for (int i = 3; i <= 15 && in >> f; ++i) {
    if (i == 14) ut = std::atol(f.c_str());
    if (i == 15) st = std::atol(f.c_str());
  }
  s.cpu_s = double(ut + st) / sysconf(_SC_CLK_TCK);
  return s;
}


void Print(const char* phase, pid_t pid) {
  ProcStats s = Stats(pid);
  std::printf("%-28s rss_mb=%.1f cpu_s=%.2f threads=%d\n", phase, s.rss_mb, s.cpu_s, s.threads);
}

}  // namespace

int main(int argc, char** argv) {
  int agents = argc > 1 ? std::atoi(argv[1]) : 200;
  int phones = argc > 2 ? std::atoi(argv[2]) : 4;
  bt::TempDir dir;
  int port = bt::FreePort();
  std::string target = absl::StrCat("127.0.0.1:", port);
  bt::SpawnOptions spawn;
  spawn.log_path = dir.path() + "/coordinator.log";
  auto proc = bt::Subprocess::Spawn({bt::BinPath("benchlab-coordinator"), "--listen", target, "--data-dir",
                                     dir.path() + "/data", "--insecure"},
                                    spawn);
  if (!proc.ok() || !bt::WaitForPort(port, absl::Seconds(10))) {
    std::fprintf(stderr, "coordinator did not start\n");
    return 1;
  }
  pid_t pid = (*proc)->pid();
  absl::SleepFor(absl::Milliseconds(300));
  Print("idle", pid);

  absl::Time t0 = absl::Now();
  auto fleet = std::make_unique<bt::FakeAgentFleet>(target);
  int connected = fleet->Connect(agents, phones, absl::Seconds(120));
  std::printf("%d agents x %d phones connected in %.2f s\n", connected, phones,
              absl::ToDoubleSeconds(absl::Now() - t0));
  absl::SleepFor(absl::Milliseconds(500));
  Print("agents connected", pid);

  auto lab = v1::Lab::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  std::string shas[2];
  const char* contents[2] = {"model", "apk"};
  for (int k = 0; k < 2; ++k) {
    grpc::ClientContext ctx;
    v1::UploadArtifactResponse resp;
    auto w = lab->UploadArtifact(&ctx, &resp);
    v1::UploadArtifactRequest h;
    h.mutable_header()->set_kind(k == 0 ? v1::ARTIFACT_KIND_MODEL : v1::ARTIFACT_KIND_APK);
    h.mutable_header()->set_sha256(shas[k] = benchlab::Sha256Hex(contents[k]));
    h.mutable_header()->set_size_bytes(std::strlen(contents[k]));
    (void)w->Write(h);
    v1::UploadArtifactRequest c;
    c.set_chunk(contents[k]);
    (void)w->Write(c);
    w->WritesDone();
    if (!w->Finish().ok()) return 1;
  }
  grpc::ClientContext sctx;
  v1::SubmitJobRequest req;
  req.mutable_spec()->set_model_sha256(shas[0]);
  req.mutable_spec()->set_apk_sha256(shas[1]);
  req.mutable_spec()->mutable_selector()->set_all(true);
  v1::SubmitJobResponse sresp;
  absl::Time start = absl::Now();
  auto st = lab->SubmitJob(&sctx, req, &sresp);
  double submit_s = absl::ToDoubleSeconds(absl::Now() - start);
  if (!st.ok()) {
    std::fprintf(stderr, "submit: %s\n", st.error_message().c_str());
    return 1;
  }
  grpc::ClientContext wctx;
  v1::WatchJobRequest wreq;
  wreq.set_job_id(sresp.job().job_id());
  auto watch = lab->WatchJob(&wctx, wreq);
  v1::WatchJobResponse w;
  v1::Job last;
  int messages = 0;
  while (watch->Read(&w)) {
    last = w.job();
    ++messages;
  }
  double secs = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("job of %d runs: done=%d in %.2f s (%.0f runs/s), %d watch messages\n", last.runs_total(),
              last.runs_done(), secs, last.runs_done() / secs, messages);
  // Dispatch: SubmitJob's start to the last assignment received (lost runs may be
  // assigned again later, which this then includes: see assignments vs runs).
  std::printf("dispatch: %d assignments, the last %.2f s after submit (SubmitJob returned after %.2f s); failed=%d (lost)\n",
              fleet->assigned(), absl::ToDoubleSeconds(absl::FromUnixNanos(fleet->last_assign_ns()) - start),
              submit_s, last.runs_failed());
  Print("after job", pid);
  // Sessions the coordinator lost while the fake agents were all alive.
  std::ifstream log(spawn.log_path);
  int dropped = 0;
  std::string first_drop;
  for (std::string line; std::getline(log, line);) {
    if (line.find("event=agent_disconnected") == std::string::npos) continue;
    if (++dropped == 1) first_drop = line;
  }
  std::printf("agent sessions dropped: %d (fake agents whose session ended: %d) %s\n", dropped, fleet->ended(),
              first_drop.c_str());
  if (const char* keep = std::getenv("BENCHLAB_BENCH_KEEP_LOG")) {
    std::filesystem::copy_file(spawn.log_path, keep, std::filesystem::copy_options::overwrite_existing);
  }
  fleet.reset();
  (*proc)->Signal(SIGTERM);
  (void)(*proc)->Wait(absl::Seconds(10));
  return 0;
}
