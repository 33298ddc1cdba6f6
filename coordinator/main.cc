// benchlab-coordinator: flags (and an optional config file) to ServerOptions; runs until
// SIGINT/SIGTERM.
#include <csignal>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/synchronization/mutex.h"
#include "CLI/CLI.hpp"
#include "coordinator/server.h"
#include "spdlog/spdlog.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil is built with mutex deadlock detection on: a graph update per lock
  // (~9% of the live-log path in perf). Unit tests, which link the libraries, keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  benchlab::coordinator::ServerOptions o;
  CLI::App app{"benchlab coordinator: schedules TFLite benchmark runs on lab phones"};
  app.set_config("--config", "", "TOML/INI file with the same option names (flags win)");
  app.add_option("--listen", o.listen, "HOST:PORT to serve Lab and AgentLink on")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "directory for benchlab.db and artifacts/")->required();
  app.add_option("--tls-cert", o.tls_cert, "server certificate chain (PEM)");
  app.add_option("--tls-key", o.tls_key, "server private key (PEM)");
  app.add_option("--client-ca", o.client_ca, "CA that signs agents' client certificates (PEM)");
  app.add_option("--tokens-file", o.tokens_file, "API tokens: '<token> <read|submit|admin> [name]' per line");
  app.add_flag("--insecure", o.insecure, "plaintext, loopback only (demos)");
  app.add_option("--metrics-listen", o.metrics_listen, "HOST:PORT for Prometheus /metrics (off when empty)");
  int64_t max_artifact_mb = 2048;
  app.add_option("--max-artifact-mb", max_artifact_mb, "largest artifact accepted")->capture_default_str();
  double agent_grace_s = absl::ToDoubleSeconds(o.agent_grace);
  app.add_option("--agent-grace-s", agent_grace_s,
                 "seconds a vanished agent's runs wait for it to redial before they are retried")
      ->capture_default_str();
  int64_t queue_timeout_s = absl::ToInt64Seconds(o.queue_timeout);
  app.add_option("--queue-timeout-s", queue_timeout_s,
                 "seconds a queued run waits for its offline phone when the job sets none (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  int max_message_mb = 8;
  app.add_option("--max-message-mb", max_message_mb, "largest gRPC message")->capture_default_str();
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");
  CLI11_PARSE(app, argc, argv);
  if (verbose) spdlog::set_level(spdlog::level::debug);
  o.max_artifact_bytes = max_artifact_mb << 20;
  o.agent_grace = absl::Seconds(agent_grace_s);
  o.queue_timeout = absl::Seconds(queue_timeout_s);
  o.max_message_bytes = max_message_mb << 20;

  auto server = benchlab::coordinator::CoordinatorServer::Start(o);
  if (!server.ok()) {
    spdlog::error("event=start_failed error=\"{}\"", server.status().ToString());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // Print the port for scripts that pass :0.
  std::printf("listening on port %d\n", (*server)->port());
  std::fflush(stdout);
  while (!g_stop) ::usleep(100 * 1000);
  spdlog::info("event=stopping");
  (*server)->Shutdown();
  return 0;
}
