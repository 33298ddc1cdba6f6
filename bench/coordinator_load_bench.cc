// coordinator_load_bench: a spawned benchlab-coordinator with many fake agents (each on its
// own TCP connection, N phones each). Prints the coordinator's RSS and CPU time idle, with
// all agents connected, and after one job that runs once on every phone; and the job's
// wall time from SubmitJob to WatchJob's end. The fake agents answer each assignment at
// once, so the figure is the coordinator's own overhead per run.
#include <openssl/evp.h>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "grpcpp/grpcpp.h"
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

std::string Sha(const std::string& d) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(d.data(), d.size(), md, &n, EVP_sha256(), nullptr);
  std::string h;
  for (unsigned i = 0; i < n; ++i) absl::StrAppendFormat(&h, "%02x", md[i]);
  return h;
}

// A fake agent on gRPC's callback API: no thread of its own, so 2,000 of them do not
// starve each other of CPU (a thread per agent made the bench, not the coordinator, late
// to answer its keepalive pings on a loaded machine).
class Agent : public grpc::ClientBidiReactor<v1::AgentMessage, v1::CoordinatorMessage> {
 public:
  Agent(const std::string& target, int index, int phones) {
    grpc::ChannelArguments args;
    args.SetInt("benchlab.bench.agent", index);  // a distinct arg: a connection of its own
    stub_ = v1::AgentLink::NewStub(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
    stub_->async()->Connect(&ctx_, this);
    v1::AgentMessage m;
    m.mutable_hello()->set_agent_id(absl::StrCat("host", index));
    for (int p = 0; p < phones; ++p) {
      auto* d = m.mutable_hello()->add_devices();
      d->set_serial(absl::StrCat("SER", index, "-", p));  // each phone on one host only
      d->set_adb_state("device");
      d->set_model("Pixel 7");
    }
    Send(std::move(m));
    StartRead(&in_);
    StartCall();
  }
  ~Agent() {
    ctx_.TryCancel();
    done_.WaitForNotification();
  }
  static std::atomic<int> connected;
  // Assignments received by all agents, and when the latest arrived (dispatch time).
  static std::atomic<int> assigned;
  static std::atomic<int64_t> last_assign_ns;

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_hello_ack()) ++connected;
    if (in_.has_assign()) {
      const auto& a = in_.assign();
      ++assigned;
      int64_t now_ns = absl::GetCurrentTimeNanos();
      for (int64_t prev = last_assign_ns.load(); prev < now_ns && !last_assign_ns.compare_exchange_weak(prev, now_ns);) {
      }
      auto send = [&](auto fill) {
        v1::AgentMessage out;
        auto* e = out.mutable_run_event();
        e->set_event_id(absl::StrCat(a.run_id(), "/", ++seq_));
        e->set_run_id(a.run_id());
        e->set_attempt(a.attempt());
        fill(e);
        Send(std::move(out));
      };
      send([](v1::RunEvent* e) { e->set_state(v1::RUN_STATE_RUNNING); });
      send([](v1::RunEvent* e) {
        e->mutable_result()->set_state(v1::RUN_STATE_DONE);
        e->mutable_result()->mutable_metrics()->set_avg_us(1234);
      });
    }
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override {
    const v1::AgentMessage* next = nullptr;
    {
      absl::MutexLock l(&mu_);
      out_.pop_front();
      if (ok && !out_.empty()) next = &out_.front();
    }
    if (next) StartWrite(next);  // not under mu_: a reaction may run inline
  }
  void OnDone(const grpc::Status&) override { done_.Notify(); }

 private:
  // One write in flight at a time; the rest wait in out_ (front = in flight).
  void Send(v1::AgentMessage m) {
    const v1::AgentMessage* first = nullptr;
    {
      absl::MutexLock l(&mu_);
      out_.push_back(std::move(m));  // a deque: the in-flight front does not move
      if (out_.size() == 1) first = &out_.front();
    }
    if (first) StartWrite(first);
  }
  std::unique_ptr<v1::AgentLink::Stub> stub_;
  grpc::ClientContext ctx_;
  v1::CoordinatorMessage in_;
  int seq_ = 0;  // read path only
  absl::Mutex mu_;
  std::deque<v1::AgentMessage> out_ ABSL_GUARDED_BY(mu_);
  absl::Notification done_;
};
std::atomic<int> Agent::connected{0};
std::atomic<int> Agent::assigned{0};
std::atomic<int64_t> Agent::last_assign_ns{0};

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

  std::vector<std::unique_ptr<Agent>> fleet;
  absl::Time t0 = absl::Now();
  // At most 100 hellos outstanding: all at once, some dials wait out gRPC's connect backoff.
  for (int i = 0; i < agents; ++i) {
    while (Agent::connected < i - 100 && absl::Now() - t0 < absl::Seconds(120)) absl::SleepFor(absl::Milliseconds(5));
    fleet.push_back(std::make_unique<Agent>(target, i, phones));
  }
  while (Agent::connected < agents && absl::Now() - t0 < absl::Seconds(120)) absl::SleepFor(absl::Milliseconds(10));
  std::printf("%d agents x %d phones connected in %.2f s\n", Agent::connected.load(), phones,
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
    h.mutable_header()->set_sha256(shas[k] = Sha(contents[k]));
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
              Agent::assigned.load(), absl::ToDoubleSeconds(absl::FromUnixNanos(Agent::last_assign_ns.load()) - start),
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
  std::printf("agent sessions dropped: %d %s\n", dropped, first_drop.c_str());
  if (const char* keep = std::getenv("BENCHLAB_BENCH_KEEP_LOG")) {
    std::filesystem::copy_file(spawn.log_path, keep, std::filesystem::copy_options::overwrite_existing);
  }
  fleet.clear();
  (*proc)->Signal(SIGTERM);
  (void)(*proc)->Wait(absl::Seconds(10));
  return 0;
}
