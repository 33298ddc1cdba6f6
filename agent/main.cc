// benchlab-agent: see agent_cli.h.
#include <iostream>

#include "agent/agent_cli.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  // stdout carries tables and JSON; log lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("benchlab-agent"));
  return benchlab::agent::RunAgentCli(argc, argv, {.out = &std::cout, .err = &std::cerr});
}
