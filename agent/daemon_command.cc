// The daemon's command line (benchlab-agent with no command): options, then run until
// SIGINT/SIGTERM.
#include "agent/daemon_command.h"

#include <signal.h>
#include <unistd.h>

#include <ostream>

#include "absl/strings/str_cat.h"
#include "agent/daemon.h"
#include "common/systemd/service_notifier.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace benchlab::agent {

void AddDaemonOptions(CLI::App& app, DaemonFlags* f) {
  app.add_option("--coordinator", f->coordinator, "Coordinator address HOST:PORT")
      ->envname("BENCHLAB_COORDINATOR");
  app.add_option("--name", f->name,
                 "This agent's id (honoured by an --insecure coordinator; with mTLS the "
                 "certificate's CN is the id). Default: the host name");
  app.add_option("--state-dir", f->state_dir, "Outbox and artifact cache (default ./benchlab-agent-state)");
  app.add_flag("--insecure", f->insecure, "Plaintext to a loopback coordinator (demos, tests)");
  app.add_option("--tls-ca", f->tls_ca, "CA certificate that signed the coordinator's (PEM)");
  app.add_option("--tls-cert", f->tls_cert, "This agent's client certificate (PEM)");
  app.add_option("--tls-key", f->tls_key, "This agent's client key (PEM)");
  app.add_option("--settle-ms", f->settle_ms, "How long a phone's change must hold before it is reported");
  app.add_option("--conditions-interval", f->conditions_interval_s,
                 "Seconds between reads of an idle phone's run conditions (battery, thermal "
                 "status, clocks); sent to the coordinator when they change. 0: only after runs")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--replay-jitter-ms", f->replay_jitter_ms,
                 "Random delay before replaying the outbox after a reconnect");
  app.add_option("--metrics-listen", f->metrics_listen,
                 "HOST:PORT to serve Prometheus /metrics on (plain HTTP; off when empty)");
  app.add_option("--cache-max-mb", f->cache_max_mb,
                 "Size cap of the artifact cache in MiB (default 4096; 0: no cap). Above it the "
                 "least recently used models/tools no run holds are deleted")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  app.add_option("--phone-max-models", f->phone_max_models,
                 "Model files kept in each phone's /data/local/tmp/benchlab after a run (default "
                 "8; 0: no cap); the least recently used others are removed, never the run's own")
      ->check(CLI::Range(0, 1000000));
  app.set_config("--config", "", "TOML/INI file with the same options (flags win)");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key is an error
}

int RunDaemon(const DaemonFlags& f, int adb_port, const AgentIo& io) {
  if (f.coordinator.empty()) {
    *io.err << "benchlab-agent: --coordinator HOST:PORT (or BENCHLAB_COORDINATOR) is required; "
               "or name a command (devices, bench); see --help\n";
    return kExitUsage;
  }
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  DaemonOptions options;
  options.link.target = f.coordinator;
  options.link.insecure = f.insecure;
  options.link.ca_file = f.tls_ca;
  options.link.cert_file = f.tls_cert;
  options.link.key_file = f.tls_key;
  options.link.agent_id = f.name.empty() ? host : f.name;
  options.link.hostname = host;
  options.link.version = kVersion;  // common/version.h: the project's one version
  options.link.replay_jitter = absl::Milliseconds(f.replay_jitter_ms);
  options.state_dir = f.state_dir;
  options.adb_port = adb_port;
  options.tracker.settle = absl::Milliseconds(f.settle_ms);
  options.conditions_interval = absl::Seconds(f.conditions_interval_s);
  options.metrics_listen = f.metrics_listen;
  options.artifact_cache.max_bytes = f.cache_max_mb * (int64_t{1} << 20);
  options.phone_max_models = f.phone_max_models;

  // Every thread inherits the blocked mask; this one waits for the signal.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  AgentDaemon daemon(options);
  if (absl::Status s = daemon.Start(); !s.ok()) {
    *io.err << "benchlab-agent: cannot start: " << s.message() << "\n";
    return kExitDaemonFailed;
  }
  ServiceNotifier systemd;
  systemd.Ready(absl::StrCat("agent ", options.link.hostname, " dialing ", options.link.target));
  int sig = 0;
  while (true) {
    // Without a watchdog this waits for the signal only (a year is "forever" here).
    const absl::Duration wait = systemd.watchdog() ? systemd.ping_interval() / 2 : absl::Hours(24 * 365);
    const timespec timeout = absl::ToTimespec(wait);
    sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig > 0) break;
    daemon.CheckAlive();
    systemd.Alive();
  }
  spdlog::info("event=stopping signal={}", sig);
  systemd.Stopping();
  daemon.Stop();
  return kExitOk;
}

}  // namespace benchlab::agent
