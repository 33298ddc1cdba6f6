// The coordinator process minus flag parsing: opens the data directory (SQLite, artifacts),
// builds Core, serves Lab + AgentLink + health + reflection on one port, and ticks the
// scheduler. Tests start it in-process on 127.0.0.1:0.
#ifndef BENCHLAB_COORDINATOR_SERVER_H_
#define BENCHLAB_COORDINATOR_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/clock.h"

namespace grpc {
class Server;
}

namespace benchlab::coordinator {

struct ServerOptions {
  std::string listen = "127.0.0.1:7443";  // HOST:PORT; port 0 picks a free one
  std::string data_dir;
  // TLS: server certificate chain and key (PEM files), and the CA that signs agents'
  // client certificates. Required unless `insecure`.
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  // "<token> <role> [name]" lines; required with TLS, optional with --insecure.
  std::string tokens_file;
  // Plaintext, loopback addresses only (demos and tests): `listen` must resolve to
  // loopback addresses only (common/loopback.h).
  bool insecure = false;
  int max_message_bytes = 8 << 20;
  int64_t max_artifact_bytes = int64_t{2} << 30;
  absl::Duration tick = absl::Milliseconds(500);
  // How long a vanished agent's runs wait for it to redial before they end device_lost.
  absl::Duration agent_grace = absl::Seconds(10);
  // How long a queued run waits for its offline phone when its job sets no
  // queue_timeout_s; zero = no limit.
  absl::Duration queue_timeout = absl::Minutes(30);
  // Raw log lines of jobs finished longer ago than this are deleted; zero = kept.
  absl::Duration log_retention = absl::ZeroDuration();
  // Artifacts not pinned, not named by an unfinished job and unused by jobs for this long
  // are deleted (Core::SweepArtifacts); zero = kept.
  absl::Duration artifact_retention = absl::ZeroDuration();
  // The lab's run-conditions gate for jobs that set none (JobSpec's gate fields; unset =
  // no requirement).
  benchlab::v1::JobSpec gate_defaults;
  // HOST:PORT for Prometheus /metrics (plain HTTP: keep it on loopback or a private
  // network); empty = off.
  std::string metrics_listen;
  // HOST:PORT for the web dashboard and JSON API (dashboard_server.h); empty = off. Over
  // TLS with tls_cert/tls_key; without TLS only on a loopback address.
  std::string http_listen;
  // Agents' keepalive: ping interval the server sends, and how long to wait for the ack.
  absl::Duration keepalive_time = absl::Seconds(20);
  absl::Duration keepalive_timeout = absl::Seconds(10);
};

class CoordinatorServer {
 public:
  // Refuses non-loopback without TLS, TLS files that are not what their flag says, a key
  // that does not match its certificate, a bad tokens file, a data dir another
  // coordinator holds (flock on <data_dir>/lock) and a port in use (no SO_REUSEPORT):
  // an error whose message says what to fix, and nothing left running.
  static absl::StatusOr<std::unique_ptr<CoordinatorServer>> Start(const ServerOptions& options);
  ~CoordinatorServer();
  int port() const { return port_; }
  // The dashboard's port (0 when --http-listen is off).
  int http_port() const { return http_port_; }
  // Reads the tokens file again (SIGHUP). A file that cannot be read or has a bad line
  // keeps the tokens in use; the error says why. OK and nothing done without a tokens file.
  absl::Status ReloadTokens();
  // Reports NOT_SERVING on the health service, stops accepting, cancels streams, stops
  // the tick thread. Idempotent.
  void Shutdown();
  void Wait();

 private:
  CoordinatorServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  int http_port_ = 0;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_SERVER_H_
