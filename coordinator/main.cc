// benchlab-coordinator: flags (and an optional config file) to ServerOptions; runs until
// SIGINT/SIGTERM. A start that fails exits 2 with one line on stderr saying what to fix.
// `benchlab-coordinator pki ...` makes the lab's certificates instead (pki_command.h), and
// `benchlab-coordinator backup ...` copies the live database (backup_command.h).
#include <csignal>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "grpc/support/log.h"

#include "absl/synchronization/mutex.h"
#include "CLI/CLI.hpp"
#include "common/config_file_error.h"
#include "common/version.h"
#include "coordinator/backup_command.h"
#include "coordinator/pki_command.h"
#include "coordinator/server.h"
#include "spdlog/spdlog.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;
void OnSignal(int) { g_stop = 1; }
// SIGHUP: read the tokens file again (in the main loop, not in the handler).
void OnHangup(int) { g_reload = 1; }

// gRPC's own log lines go through spdlog. While starting they are debug only: a failed
// start is explained by the one line main prints, not by gRPC's lines about the same
// thing (e.g. "No address added out of total 1 resolved" for a port in use).
constexpr int kExitStartFailed = 2;
std::atomic<bool> g_started{false};
void GrpcLogToSpdlog(gpr_log_func_args* args) {
  auto level = spdlog::level::debug;
  if (g_started.load() && args->severity == GPR_LOG_SEVERITY_ERROR) level = spdlog::level::warn;
  spdlog::log(level, "event=grpc_log file={}:{} message=\"{}\"", args->file, args->line, args->message);
}
}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil is built with mutex deadlock detection on: a graph update per lock
  // (~9% of the live-log path in perf). Unit tests, which link the libraries, keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  benchlab::coordinator::ServerOptions o;
  CLI::App app{"benchlab coordinator: schedules TFLite benchmark runs on lab phones"};
  app.set_version_flag("--version", std::string("benchlab-coordinator ") + benchlab::kVersion);
  app.set_config("--config", "", "TOML/INI file with the same option names (flags win)");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key is an error
  app.add_option("--listen", o.listen, "HOST:PORT to serve Lab and AgentLink on")->capture_default_str();
  // Required to serve; checked below, since `pki` needs none.
  app.add_option("--data-dir", o.data_dir, "directory for benchlab.db and artifacts/ (required to serve)");
  app.add_option("--tls-cert", o.tls_cert, "server certificate chain (PEM)");
  app.add_option("--tls-key", o.tls_key, "server private key (PEM)");
  app.add_option("--client-ca", o.client_ca, "CA that signs agents' client certificates (PEM)");
  app.add_option("--tokens-file", o.tokens_file, "API tokens: '<token> <read|submit|admin> [name]' per line");
  app.add_flag("--insecure", o.insecure, "plaintext, loopback only (demos)");
  app.add_option("--metrics-listen", o.metrics_listen, "HOST:PORT for Prometheus /metrics (off when empty)");
  app.add_option("--http-listen", o.http_listen,
                 "HOST:PORT for the web dashboard and JSON API (off when empty; TLS as --listen, plain HTTP "
                 "only on loopback)");
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
  // The lab's run-conditions gate: the same names as `benchlab run`'s, for jobs that set none.
  std::optional<double> max_battery_temp_c;
  std::optional<int> min_battery_pct, min_idle_s, max_thermal_status, gate_timeout_s;
  std::string gate_policy = "proceed";
  app.add_option("--max-battery-temp", max_battery_temp_c, "default gate: battery at most C degrees Celsius")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--min-battery", min_battery_pct, "default gate: battery at least PCT percent unless charging")
      ->check(CLI::Range(0, 100));
  app.add_option("--min-idle", min_idle_s, "default gate: seconds since the phone's last run")
      ->check(CLI::Range(0, 86400));
  app.add_option("--max-thermal-status", max_thermal_status, "default gate: Android thermal status at most N")
      ->check(CLI::Range(0, 6));
  app.add_option("--gate-timeout-s", gate_timeout_s, "default: seconds a run waits at its gate (0 = no limit)")
      ->check(CLI::Range(0, 86400));
  app.add_option("--gate-policy", gate_policy, "default past the gate timeout: proceed or fail")
      ->check(CLI::IsMember({"proceed", "fail"}))
      ->capture_default_str();
  double log_retention_days = 0;
  app.add_option("--log-retention-days", log_retention_days,
                 "delete the stored raw log lines of jobs finished more than DAYS ago (0 = keep them)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  double artifact_retention_days = 0;
  app.add_option("--artifact-retention-days", artifact_retention_days,
                 "delete artifacts (models, APKs, binaries) no job used for DAYS, unless pinned or named by an "
                 "unfinished job (0 = keep them)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  int max_message_mb = 8;
  app.add_option("--max-message-mb", max_message_mb, "largest gRPC message")->capture_default_str();
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");
  app.require_subcommand(0, 1);
  benchlab::coordinator::PkiCommand pki;
  benchlab::coordinator::AddPkiCommand(app, &pki);
  benchlab::coordinator::BackupCommand backup;
  benchlab::coordinator::AddBackupCommand(app, &backup);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    std::fprintf(stderr, "benchlab-coordinator: %s\n",
                 benchlab::ConfigFileErrorLine(e.what(), app.get_config_ptr()->as<std::string>()).c_str());
    return kExitStartFailed;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "benchlab-coordinator: %s; see --help\n", e.what());
    return kExitStartFailed;
  }
  if (pki.pki->parsed()) return benchlab::coordinator::RunPkiCommand(pki, std::cout, std::cerr);
  if (backup.backup->parsed()) {
    return benchlab::coordinator::RunBackupCommand(backup, o.data_dir, std::cout, std::cerr);
  }
  if (o.data_dir.empty()) {
    std::fprintf(stderr, "benchlab-coordinator: --data-dir is required; see --help\n");
    return kExitStartFailed;
  }
  if (verbose) spdlog::set_level(spdlog::level::debug);
  o.max_artifact_bytes = max_artifact_mb << 20;
  o.agent_grace = absl::Seconds(agent_grace_s);
  o.queue_timeout = absl::Seconds(queue_timeout_s);
  o.max_message_bytes = max_message_mb << 20;
  o.log_retention = absl::Seconds(log_retention_days * 86400);
  o.artifact_retention = absl::Seconds(artifact_retention_days * 86400);
  if (max_battery_temp_c) o.gate_defaults.set_max_battery_temp_c(*max_battery_temp_c);
  if (min_battery_pct) o.gate_defaults.set_min_battery_pct(*min_battery_pct);
  if (min_idle_s) o.gate_defaults.set_min_idle_s(*min_idle_s);
  if (max_thermal_status) o.gate_defaults.set_max_thermal_status(*max_thermal_status);
  if (gate_timeout_s) o.gate_defaults.set_gate_timeout_s(*gate_timeout_s);
  o.gate_defaults.set_gate_policy(gate_policy == "fail" ? benchlab::v1::GATE_POLICY_FAIL
                                                        : benchlab::v1::GATE_POLICY_PROCEED);

  gpr_set_log_function(GrpcLogToSpdlog);
  auto server = benchlab::coordinator::CoordinatorServer::Start(o);
  if (!server.ok()) {
    std::fprintf(stderr, "benchlab-coordinator: %s\n", std::string(server.status().message()).c_str());
    return kExitStartFailed;
  }
  g_started = true;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGHUP, OnHangup);
  // Print the port for scripts that pass :0.
  std::printf("listening on port %d\n", (*server)->port());
  if ((*server)->http_port() != 0) std::printf("dashboard on port %d\n", (*server)->http_port());
  std::fflush(stdout);
  while (!g_stop) {
    ::usleep(100 * 1000);
    if (g_reload) {
      g_reload = 0;
      (void)(*server)->ReloadTokens();  // logged either way; a bad file keeps the old tokens
    }
  }
  spdlog::info("event=stopping");
  (*server)->Shutdown();
  return 0;
}
