// Spawning and reaping child processes for tests.
#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace benchlab::testing {
namespace {

int StatusToExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Spawn(const std::vector<std::string>& argv,
                                                              const SpawnOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  // Build everything the child needs before fork(): only async-signal-safe calls after it.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    env[std::string(*e, eq - *e)] = eq + 1;
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (auto& s : args) argvp.push_back(s.data());
  argvp.push_back(nullptr);

  const std::string log = options.log_path.empty() ? "/dev/null" : options.log_path;
  int out_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) return absl::InternalError(absl::StrCat("open ", log, ": ", strerror(errno)));
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    close(null_fd);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    setpgid(0, 0);  // own process group, so a kill reaches grandchildren spawned by scripts
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
    execvpe(argvp[0], argvp.data(), envp.data());
    _exit(127);
  }
  close(out_fd);
  close(null_fd);
  return std::unique_ptr<Subprocess>(new Subprocess(pid, options.log_path));
}

Subprocess::~Subprocess() {
  if (!exit_status_.has_value()) {
    Signal(SIGKILL);
    (void)Wait(absl::Seconds(10));
  }
}

void Subprocess::Signal(int signo) {
  if (!exit_status_.has_value()) kill(pid_, signo);
}

bool Subprocess::Running() {
  if (exit_status_.has_value()) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_status_ = StatusToExitCode(status);
    return false;
  }
  return true;
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (!Running()) return *exit_status_;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("pid ", pid_, " still running"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string Subprocess::Output() const { return ReadFile(log_path_); }

RunResult Run(const std::vector<std::string>& argv, const SpawnOptions& options,
              absl::Duration timeout) {
  TempDir dir;
  SpawnOptions opts = options;
  opts.log_path = dir.path() + "/output";
  RunResult result;
  auto child = Subprocess::Spawn(argv, opts);
  if (!child.ok()) {
    result.output = child.status().ToString();
    return result;
  }
  auto status = (*child)->Wait(timeout);
  result.exit_code = status.ok() ? *status : -1;
  if (!status.ok()) (*child)->Signal(SIGKILL);
  (void)(*child)->Wait(absl::Seconds(5));
  result.output = ReadFile(opts.log_path);
  return result;
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace benchlab::testing
