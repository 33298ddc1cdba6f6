// CoordinatorServer: wiring of store, artifacts, core, services and the gRPC server.
#include "coordinator/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/loopback.h"
#include "common/systemd/service_notifier.h"
#include "common/pem_files.h"
#include "coordinator/agent_link_service.h"
#include "coordinator/artifact_store.h"
#include "coordinator/auth.h"
#include "coordinator/core.h"
#include "coordinator/dashboard_server.h"
#include "coordinator/file_modes.h"
#include "coordinator/lab_service.h"
#include "coordinator/metrics.h"
#include "coordinator/rpc_metrics.h"
#include "coordinator/store.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace {

// The data dir belongs to one coordinator: an exclusive flock on <data_dir>/lock, held
// (by the open descriptor) for the life of the process; the kernel drops it when the
// process ends, however it ends. The file holds the owner's pid for the message.
absl::StatusOr<int> LockDataDir(const std::string& data_dir) {
  std::string path = data_dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char pid[32] = {};
    (void)!::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("data dir ", data_dir, " is in use by another benchlab-coordinator (pid ",
                       absl::StripAsciiWhitespace(pid), "); stop it or give another --data-dir"));
    }
    return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ", std::strerror(err)));
  }
  // The lock is what counts; the pid is only for the message above.
  std::string me = absl::StrCat(::getpid(), "\n");
  (void)!::ftruncate(fd, 0);
  (void)!::pwrite(fd, me.data(), me.size(), 0);
  return fd;
}

}  // namespace

struct CoordinatorServer::Impl {
  RpcMetrics rpc_metrics;  // first: destroyed last, after the server whose interceptors count into it
  RealClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<ArtifactStore> artifacts;
  std::unique_ptr<Core> core;
  TokenAuth auth;
  std::unique_ptr<LabService> lab;
  std::unique_ptr<AgentLinkService> agent_link;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<exposition::MetricsEndpoint> metrics;
  std::unique_ptr<DashboardServer> dashboard;
  absl::Notification stop;
  ServiceNotifier systemd;  // Type=notify: ready, alive from the ticker, stopping
  std::thread ticker;
  bool shut = false;
  int data_dir_lock = -1;
  std::string tokens_file;  // flock'd descriptor of <data_dir>/lock
};

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(const ServerOptions& o) {
  if (o.data_dir.empty()) return absl::InvalidArgumentError("--data-dir is required");
  bool tls = !o.tls_cert.empty() || !o.tls_key.empty();
  if (!tls && !o.insecure) {
    return absl::FailedPreconditionError("no TLS configured: give --tls-cert and --tls-key (and --client-ca for agents), "
                                         "or --insecure for a loopback-only demo");
  }
  if (!tls) {
    if (auto st = CheckLoopbackTarget(o.listen); !st.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("refusing to listen on ", o.listen, " without TLS: ",
                                                        st.message(), "; --insecure is for loopback addresses only"));
    }
  }
  if (!tls && !o.http_listen.empty()) {
    // The dashboard carries the same bearer tokens: the same loopback rule as gRPC's.
    if (auto st = CheckLoopbackTarget(o.http_listen); !st.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("refusing to serve the dashboard on ", o.http_listen,
                                                        " without TLS: ", st.message(),
                                                        "; give --tls-cert and --tls-key, or a loopback --http-listen"));
    }
  }
  if (tls && (o.tls_cert.empty() || o.tls_key.empty())) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (tls && o.tokens_file.empty()) {
    return absl::InvalidArgumentError("--tokens-file is required with TLS (API callers need bearer tokens)");
  }
  // Every file is read and checked before anything is started or written.
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (tls) {
    auto cert = ReadCertificatePem(o.tls_cert, "--tls-cert");
    if (!cert.ok()) return cert.status();
    auto key = ReadPrivateKeyPem(o.tls_key, "--tls-key");
    if (!key.ok()) return key.status();
    if (auto st = CheckKeyMatchesCertificate(*cert, *key, "--tls-cert", "--tls-key"); !st.ok()) return st;
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    if (!o.client_ca.empty()) {
      auto ca = ReadCertificatePem(o.client_ca, "--client-ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    } else {
      ssl.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    }
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  std::unique_ptr<CoordinatorServer> s(new CoordinatorServer());
  s->impl_ = std::make_unique<Impl>();
  Impl& im = *s->impl_;
  if (!o.tokens_file.empty()) {
    if (auto st = im.auth.LoadFile(o.tokens_file); !st.ok()) return st;
  }
  im.tokens_file = o.tokens_file;
  std::error_code ec;
  // A data dir made here is 0750 (jobs, artifacts and the database are not for others).
  if (std::filesystem::create_directories(o.data_dir, ec) && !ec) {
    std::filesystem::permissions(o.data_dir, std::filesystem::perms(0750), ec);
  }
  if (ec) return absl::UnavailableError(absl::StrCat("create data dir ", o.data_dir, ": ", ec.message()));
  auto lock = LockDataDir(o.data_dir);
  if (!lock.ok()) return lock.status();
  im.data_dir_lock = *lock;
  // The database holds every job and token name: made 0600 (SQLite gives its WAL and
  // shared-memory files the database's mode). An existing one keeps its mode (warned below).
  const std::string db_path = o.data_dir + "/benchlab.db";
  if (int fd = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  WarnLooseModes(FindLooseModes(o.data_dir, {db_path, o.tls_key, o.tokens_file},
                                {"database", "TLS key", "tokens file"}));
  auto store = OpenSqliteStore(db_path);
  if (!store.ok()) return store.status();
  im.store = std::move(*store);
  im.artifacts = std::make_unique<ArtifactStore>(o.data_dir + "/artifacts", o.max_artifact_bytes);
  if (auto st = im.artifacts->Init(); !st.ok()) return st;
  auto core = Core::Open(im.store.get(), im.artifacts.get(), &im.clock);
  if (!core.ok()) return core.status();
  im.core = std::move(*core);
  im.core->set_agent_grace(o.agent_grace);
  im.core->set_queue_timeout(o.queue_timeout);
  im.core->set_gate_defaults(o.gate_defaults);
  im.core->set_log_retention(o.log_retention);
  im.core->set_artifact_retention(o.artifact_retention);
  im.lab = std::make_unique<LabService>(im.core.get(), &im.auth);
  AgentLinkService::Options lo;
  lo.allow_hello_identity = !tls;
  im.agent_link = std::make_unique<AgentLinkService>(im.core.get(), lo);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder b;
  b.AddListeningPort(o.listen, creds, &s->port_);
  b.RegisterService(im.lab.get());
  b.RegisterService(im.agent_link.get());
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(im.rpc_metrics.InterceptorFactory());
    b.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  // gRPC sets SO_REUSEPORT by default: a second coordinator on this port would start and
  // share the connections. One port, one coordinator.
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  b.SetMaxReceiveMessageSize(o.max_message_bytes);
  b.SetMaxSendMessageSize(o.max_message_bytes);
  b.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(absl::ToInt64Milliseconds(o.keepalive_time)));
  b.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                       static_cast<int>(absl::ToInt64Milliseconds(o.keepalive_timeout)));
  b.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  b.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  b.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  im.server = b.BuildAndStart();
  if (im.server == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen,
                                               ": the port is in use (another coordinator?) or the address is not "
                                               "this machine's; give another --listen"));
  }
  // The default health service answers for "" only; load balancers and probes also ask
  // for the services by name.
  if (auto* health = im.server->GetHealthCheckService()) {
    for (const char* service : {"", "benchlab.v1.Lab", "benchlab.v1.AgentLink"}) {
      health->SetServingStatus(service, true);
    }
  }
  if (!o.metrics_listen.empty()) {
    auto m = StartMetrics(o.metrics_listen, im.core.get(), &im.rpc_metrics);
    if (!m.ok()) {
      im.server->Shutdown();
      return m.status();
    }
    im.metrics = std::move(*m);
  }
  if (!o.http_listen.empty()) {
    DashboardOptions d;
    d.listen = o.http_listen;
    if (tls) {
      d.tls_cert = o.tls_cert;
      d.tls_key = o.tls_key;
    }
    auto dash = DashboardServer::Start(d, im.core.get(), &im.auth);
    if (!dash.ok()) {
      im.server->Shutdown();
      return dash.status();
    }
    im.dashboard = std::move(*dash);
    s->http_port_ = im.dashboard->port();
  }
  im.ticker = std::thread([&im, tick = o.tick] {
    // The watchdog hears from the ticker: while it turns, the scheduler, retries and
    // retention run and Core's lock is free; a deadlock or a stuck loop silences it and
    // systemd restarts the coordinator (runs in flight resume from SQLite).
    absl::Time next_alive = absl::InfinitePast();
    while (!im.stop.WaitForNotificationWithTimeout(tick)) {
      im.core->Tick();
      (void)im.core->PruneLogs();  // logged; tried again at its next time
      (void)im.core->SweepArtifacts();  // likewise
      if (absl::Now() >= next_alive) {
        im.systemd.Alive();
        next_alive = absl::Now() + im.systemd.ping_interval() / 2;
      }
    }
  });
  spdlog::info("event=listening addr={} port={} tls={} tokens={}", o.listen, s->port_, tls, im.auth.enabled());
  im.systemd.Ready(absl::StrCat("listening on ", o.listen, " port ", s->port_));
  return s;
}

absl::Status CoordinatorServer::ReloadTokens() {
  if (!impl_ || impl_->tokens_file.empty()) return absl::OkStatus();
  if (auto st = impl_->auth.LoadFile(impl_->tokens_file); !st.ok()) {
    spdlog::error("event=tokens_reload_failed file={} kept={} error=\"{}\"", impl_->tokens_file, impl_->auth.size(),
                  std::string(st.message()));
    return st;
  }
  spdlog::info("event=tokens_reloaded file={} tokens={}", impl_->tokens_file, impl_->auth.size());
  return absl::OkStatus();
}

// Also the clean-up of a Start that failed half way: any part may be missing.
void CoordinatorServer::Shutdown() {
  if (!impl_ || impl_->shut) return;
  impl_->shut = true;
  impl_->systemd.Stopping();
  // Probes see NOT_SERVING at once, while streams wind down.
  if (impl_->server) {
    if (auto* health = impl_->server->GetHealthCheckService()) health->SetServingStatus(false);
  }
  impl_->stop.Notify();
  if (impl_->ticker.joinable()) impl_->ticker.join();
  if (impl_->dashboard) impl_->dashboard->Shutdown();
  // Streams end UNAVAILABLE "shutting down" (clients redial at once), not CANCELLED.
  if (impl_->core) impl_->core->BeginShutdown();
  if (impl_->lab) impl_->lab->BeginShutdown();
  if (impl_->server) impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

void CoordinatorServer::Wait() {
  if (impl_ && impl_->server) impl_->server->Wait();
}

CoordinatorServer::~CoordinatorServer() {
  Shutdown();
  // The data dir is free once everything that writes to it is gone.
  if (impl_) {
    int lock = impl_->data_dir_lock;
    impl_.reset();
    if (lock >= 0) ::close(lock);
  }
}

}  // namespace benchlab::coordinator
