// benchlab-agent: see agent_cli.h.
#include <malloc.h>

#include <iostream>

#include "absl/synchronization/mutex.h"
#include "agent/agent_cli.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  // The daemon lives for months on hosts with little memory, and each run's thread
  // allocates push buffers of 2 MiB. glibc would give every such thread its own arena and,
  // after the first free of an mmapped buffer, raise its mmap threshold so later buffers
  // stay in those arenas: 8 parallel runs left ~10 MB of freed heap resident. Two arenas
  // and a fixed threshold (large buffers always mmapped, so returned on free) keep the
  // idle daemon at its start-up size. Figures: bench/README.md, agent_rss_bench.
  // Debian's abseil is built with mutex deadlock detection on: a graph update per lock
  // (~9% of the live-log path in perf). Unit tests, which link the libraries, keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  // stdout carries tables and JSON; log lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("benchlab-agent"));
  return benchlab::agent::RunAgentCli(argc, argv, {.out = &std::cout, .err = &std::cerr});
}
