// Processes of a test lab, started the way deploy/demo.sh starts them.
#include "tests/support/lab_cluster.h"

#include <csignal>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"

namespace benchlab::testing {

absl::StatusOr<std::unique_ptr<LabCluster>> LabCluster::Start(const LabClusterOptions& options) {
  std::unique_ptr<LabCluster> lab(new LabCluster());
  lab->options_ = options;
  RunResult made = Run({BinPath("benchlab-devsim"), "--make-apk", lab->apk_path(), "--make-model",
                        lab->model_path()});
  if (made.exit_code != 0) return absl::InternalError("devsim --make-apk: " + made.output);
  for (const char* flavor : {"tflite", "litert"}) {
    made = Run({BinPath("benchlab-devsim"), "--make-binary", lab->binary_path(flavor), "--flavor", flavor});
    if (made.exit_code != 0) return absl::InternalError("devsim --make-binary: " + made.output);
  }
  lab->coordinator_port_ = FreePort();
  if (absl::Status s = lab->StartCoordinator(); !s.ok()) return s;
  for (int h = 0; h < options.hosts; ++h) {
    // Distinct hosts hold distinct phones (ro.serialno); one seed everywhere would be one
    // phone on every host.
    std::vector<std::string> extra = {"--seed", absl::StrCat(h + 1)};
    extra.insert(extra.end(), options.devsim_extra.begin(), options.devsim_extra.end());
    auto host = DevsimLab::Start({.phones = options.phones_per_host,
                                  .run_seconds = options.run_seconds,
                                  .extra = std::move(extra),
                                  .log_path = absl::StrCat(lab->dir(), "/devsim", h, ".log")});
    if (!host.ok()) return host.status();
    lab->hosts_.push_back(std::move(*host));
    lab->agents_.emplace_back();
    if (absl::Status s = lab->StartAgent(h); !s.ok()) return s;
  }
  if (absl::Status s = lab->WaitForIdleDevices(options.hosts * options.phones_per_host,
                                               absl::Seconds(30));
      !s.ok()) {
    return s;
  }
  return lab;
}

LabCluster::~LabCluster() {
  // Agents first, so they do not spend their last moments redialling.
  for (auto& a : agents_) {
    if (a) a->Signal(SIGTERM);
  }
  for (auto& a : agents_) {
    if (a) (void)a->Wait(absl::Seconds(10));
  }
}

std::string LabCluster::address() const { return absl::StrCat("127.0.0.1:", coordinator_port_); }

std::string LabCluster::AgentName(int host) const { return absl::StrCat("host", host); }

std::string LabCluster::DeviceId(int host, int phone) const {
  return absl::StrCat(AgentName(host), "/", hosts_[host]->Serial(phone));
}

absl::Status LabCluster::StartCoordinator() {
  std::vector<std::string> argv = {BinPath("benchlab-coordinator"), "--listen", address(),
                                   "--data-dir",
                                   options_.coordinator_data_dir.empty() ? dir() + "/coordinator"
                                                                         : options_.coordinator_data_dir,
                                   "--insecure"};
  argv.insert(argv.end(), options_.coordinator_extra.begin(), options_.coordinator_extra.end());
  if (!options_.api_token.empty()) {
    const std::string tokens = dir() + "/tokens";
    std::ofstream(tokens) << options_.api_token << " admin e2e\n";
    argv.insert(argv.end(), {"--tokens-file", tokens});
  }
  SpawnOptions spawn;
  spawn.log_path = dir() + "/coordinator.log";
  auto p = Subprocess::Spawn(argv, spawn);
  if (!p.ok()) return p.status();
  coordinator_ = std::move(*p);
  if (!WaitForPort(coordinator_port_, absl::Seconds(15))) {
    return absl::UnavailableError("the coordinator did not listen; see " + spawn.log_path);
  }
  return absl::OkStatus();
}

absl::Status LabCluster::StartAgent(int host) {
  SpawnOptions spawn;
  spawn.log_path = absl::StrCat(dir(), "/agent", host, ".log");
  std::vector<std::string> argv = {
      BinPath("benchlab-agent"), "--coordinator", address(), "--insecure", "--name",
      AgentName(host), "--adb-port", std::to_string(hosts_[host]->adb_port()), "--state-dir",
      absl::StrCat(dir(), "/agent", host), "--settle-ms", "300", "--replay-jitter-ms", "200"};
  argv.insert(argv.end(), options_.agent_extra.begin(), options_.agent_extra.end());
  auto p = Subprocess::Spawn(argv, spawn);
  if (!p.ok()) return p.status();
  agents_[host] = std::move(*p);
  return absl::OkStatus();
}

void LabCluster::KillCoordinator() {
  coordinator_->Signal(SIGKILL);
  (void)coordinator_->Wait(absl::Seconds(10));
}

void LabCluster::KillAgent(int host) {
  agents_[host]->Signal(SIGKILL);
  (void)agents_[host]->Wait(absl::Seconds(10));
}

void LabCluster::Authorize(grpc::ClientContext* ctx) const {
  if (!BearerToken().empty()) ctx->AddMetadata("authorization", "Bearer " + BearerToken());
}

std::unique_ptr<benchlab::v1::Lab::Stub> LabCluster::Lab() const {
  return benchlab::v1::Lab::NewStub(
      grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
}

absl::StatusOr<benchlab::v1::Job> LabCluster::SubmitAndWait(benchlab::v1::Lab::Stub& lab,
                                                            const benchlab::v1::JobSpec& spec) const {
  grpc::ClientContext sctx;
  Authorize(&sctx);
  benchlab::v1::SubmitJobRequest req;
  *req.mutable_spec() = spec;
  benchlab::v1::SubmitJobResponse submitted;
  if (grpc::Status st = lab.SubmitJob(&sctx, req, &submitted); !st.ok()) {
    return absl::InternalError(absl::StrCat("SubmitJob: ", st.error_message()));
  }
  grpc::ClientContext wctx;
  Authorize(&wctx);
  benchlab::v1::WatchJobRequest wreq;
  wreq.set_job_id(submitted.job().job_id());
  auto watch = lab.WatchJob(&wctx, wreq);
  benchlab::v1::WatchJobResponse msg;
  bool finished = false;
  while (!finished && watch->Read(&msg)) finished = msg.job().finished_unix_ms() != 0;
  wctx.TryCancel();
  (void)watch->Finish();
  if (!finished) return absl::InternalError(absl::StrCat("job ", submitted.job().job_id(), ": the watch ended early"));
  return submitted.job();
}

absl::StatusOr<benchlab::v1::ArtifactRef> LabCluster::Upload(benchlab::v1::Lab::Stub& lab,
                                                            const std::string& path,
                                                            benchlab::v1::ArtifactKind kind) {
  auto digest = Sha256File(path);
  if (!digest.ok()) return digest.status();
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  benchlab::v1::UploadArtifactResponse response;
  auto writer = lab.UploadArtifact(&ctx, &response);
  benchlab::v1::UploadArtifactRequest header;
  header.mutable_header()->set_kind(kind);
  header.mutable_header()->set_sha256(digest->sha256);
  header.mutable_header()->set_size_bytes(static_cast<int64_t>(data.size()));
  header.mutable_header()->set_name(path.substr(path.rfind('/') + 1));
  writer->Write(header);
  for (size_t off = 0; off < data.size(); off += 256 * 1024) {
    benchlab::v1::UploadArtifactRequest chunk;
    chunk.set_chunk(data.substr(off, 256 * 1024));
    if (!writer->Write(chunk)) break;  // the server ended the call; Finish says why
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), "upload " + path + ": " + s.error_message());
  return response.artifact();
}

absl::Status LabCluster::WaitForIdleDevices(int n, absl::Duration timeout) {
  auto lab = Lab();
  const absl::Time deadline = absl::Now() + timeout;
  int idle = 0;
  // The test waits for a state it cannot subscribe to (ListDevices has no stream); a
  // short poll is the honest way to wait here.
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    Authorize(&ctx);
    benchlab::v1::ListDevicesResponse r;
    if (lab->ListDevices(&ctx, {}, &r).ok()) {
      idle = 0;
      for (const auto& d : r.devices()) idle += d.state() == benchlab::v1::DEVICE_STATE_IDLE;
      if (idle >= n) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("only ", idle, " of ", n, " phones idle"));
}

RunResult LabCluster::Cli(const std::vector<std::string>& args, absl::Duration timeout) const {
  std::vector<std::string> argv = {BinPath("benchlab")};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions options;
  options.env["BENCHLAB_COORDINATOR"] = address();
  if (!BearerToken().empty()) options.env["BENCHLAB_TOKEN"] = BearerToken();
  return Run(argv, options, timeout);
}

}  // namespace benchlab::testing
