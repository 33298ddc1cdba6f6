// Real child processes for tests: spawn, signal, wait, capture output.
// Tests kill things for real (kill -9), so a Subprocess owns its pid and reaps it.
#ifndef BENCHLAB_TESTS_SUPPORT_SUBPROCESS_H_
#define BENCHLAB_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace benchlab::testing {

struct SpawnOptions {
  // Added to (or overriding) the parent's environment.
  std::map<std::string, std::string> env;
  // stdout and stderr of the child go here (appended); empty means /dev/null.
  std::string log_path;
  // Working directory; empty keeps the parent's.
  std::string cwd;
};

// A running child process. The destructor sends SIGKILL (if still running) and reaps it.
class Subprocess {
 public:
  static absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(const std::vector<std::string>& argv,
                                                           const SpawnOptions& options = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signo` to the child (no-op once it has been reaped).
  void Signal(int signo);
  // Waits up to `timeout` for the child to exit. Returns the exit status as a shell
  // shows it (128 + signal when killed), or DeadlineExceeded.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // True while the child has not exited.
  bool Running();
  // The child's output so far (from log_path), for diagnostics.
  std::string Output() const;

 private:
  Subprocess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  std::optional<int> exit_status_;
};

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it timed out
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv to completion (killed after `timeout`) and captures its output.
RunResult Run(const std::vector<std::string>& argv, const SpawnOptions& options = {},
              absl::Duration timeout = absl::Seconds(60));

// Writes `data` to `path`, replacing it; returns false on error.
bool WriteFile(const std::string& path, const std::string& data);
// Reads a whole file; empty string when missing.
std::string ReadFile(const std::string& path);

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_SUBPROCESS_H_
