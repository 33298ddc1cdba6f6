// Options and entry point of the daemon (benchlab-agent without a command).
#ifndef BENCHLAB_AGENT_DAEMON_COMMAND_H_
#define BENCHLAB_AGENT_DAEMON_COMMAND_H_

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "agent/agent_cli.h"

namespace benchlab::agent {

struct DaemonFlags {
  std::string coordinator;
  std::string name;
  std::string state_dir = "benchlab-agent-state";
  bool insecure = false;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  int settle_ms = 1000;
  double conditions_interval_s = 30;
  int replay_jitter_ms = 2000;
  std::string metrics_listen;
  int64_t cache_max_mb = 4096;  // artifact cache cap; 0 = none
  int phone_max_models = 8;     // model files kept per phone; 0 = no cap
};

// Adds the daemon's options to the top-level app.
void AddDaemonOptions(CLI::App& app, DaemonFlags* flags);
// Runs until SIGINT/SIGTERM; returns the exit code.
int RunDaemon(const DaemonFlags& flags, int adb_port, const AgentIo& io);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_DAEMON_COMMAND_H_
