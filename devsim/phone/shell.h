// Shell: runs one `sh -c` line on a phone (parse with shell_parser, expand, redirect,
// dispatch to the command table). One Shell per RunShell call; it holds the variables
// that `export` sets for the rest of that line.
//
// Threading: a Shell is used by the one thread that runs the command line.
#ifndef BENCHLAB_DEVSIM_PHONE_SHELL_H_
#define BENCHLAB_DEVSIM_PHONE_SHELL_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/phone_state.h"
#include "devsim/phone/shell_parser.h"

namespace benchlab::devsim {

class Shell;
class RedirectIo;  // shell.cc

// What a command gets: its argv (argv[0] is the name), the phone and its streams.
struct ShellCall {
  PhoneState& phone;
  CommandIo& io;
  std::vector<std::string> argv;
  Shell& shell;

  // Writes; return false once the stream is closed.
  bool Out(absl::string_view s) { return io.WriteStdout(s); }
  bool Err(absl::string_view s) { return io.WriteStderr(s); }
  // Writes "<argv0>: <msg>\n" to stderr and returns `code` (toybox style).
  int Fail(absl::string_view msg, int code = 1);
  // `path` made absolute against the shell's working directory (cd), normalised.
  std::string Path(absl::string_view path) const;
};

using ShellCommandFn = std::function<int(ShellCall&)>;
using ShellCommandTable = absl::flat_hash_map<std::string, ShellCommandFn>;

// Each shell_*.cc registers its commands here.
void RegisterBuiltinCommands(ShellCommandTable& table);  // shell_builtins.cc
void RegisterFileCommands(ShellCommandTable& table);     // shell_files.cc
void RegisterSystemCommands(ShellCommandTable& table);   // shell_system.cc (date, pidof, ps ...)
void RegisterDumpsysCommand(ShellCommandTable& table);   // shell_dumpsys.cc
void RegisterTextCommands(ShellCommandTable& table);     // shell_text.cc (grep, head, tail, wc)
void RegisterPackageCommands(ShellCommandTable& table);  // shell_packages.cc (pm, cmd, am ...)
void RegisterLogcatCommand(ShellCommandTable& table);    // logcat.cc
void RegisterTasksetCommand(ShellCommandTable& table);   // native_tool.cc

// Runs argv[0], a file on the phone, when it is a devsim benchmark binary
// (fake_artifacts.h): nullopt when it is not one (the caller reports "can't execute").
std::optional<int> RunNativeBinary(Shell& shell, PhoneState& phone, CommandIo& io,
                                   const std::vector<std::string>& argv, const std::string& path);

class Shell {
 public:
  Shell(PhoneState& phone, CommandIo& io);
  // The shell's process (if `$$` made it one) ends with it.
  ~Shell();
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  // Runs the line; returns its exit status (0-255).
  int Run(absl::string_view line);
  // Runs argv as one simple command (used by `exec`, `cmd`, pipelines).
  int RunArgv(std::vector<std::string> argv, CommandIo& io);

  // Variables (exported or not; a phone's shell has PATH etc. too).
  std::string GetVar(absl::string_view name) const;
  void SetVar(const std::string& name, std::string value) { vars_[name] = std::move(value); }
  // Working directory: "/" at start, as adbd's shell; `cd` changes it.
  const std::string& cwd() const { return cwd_; }
  void set_cwd(std::string dir) { cwd_ = std::move(dir); }
  std::string Resolve(absl::string_view path) const;
  // The shell's own pid ($$): a shell-user process "sh" in the phone's process table,
  // made on first use (most command lines never ask).
  int32_t Pid() const;
  // True while `exec` runs its program: the program takes over the shell's pid.
  bool in_exec() const { return in_exec_; }
  void set_in_exec(bool on) { in_exec_ = on; }
  // The CPU affinity that commands run from here get (taskset); 0 = every core.
  uint64_t affinity() const { return affinity_; }
  void set_affinity(uint64_t mask) { affinity_ = mask; }
  // `exit N` / after `exec`: stop running further commands.
  bool exit_requested() const { return exit_requested_; }
  void RequestExit(int status) {
    exit_requested_ = true;
    exit_status_ = status;
  }

 private:
  // Runs pipelines [begin, end) with their && || joins; a `for` pipeline runs its loop up
  // to the matching `done`.
  int RunPipelines(const std::vector<ShellPipeline>& pipelines, size_t begin, size_t end);
  int RunFor(const std::vector<ShellPipeline>& pipelines, size_t for_index, size_t done_index);
  int RunPipeline(const ShellPipeline& pipeline);
  // Applies [n]< [n]> [n]>> [n]>&m to `io` (which wraps `outer_io`); false after printing
  // sh's error for a file it cannot open or create.
  bool ApplyRedirects(const std::vector<ShellRedirect>& redirects, CommandIo& outer_io,
                      RedirectIo& io);
  int FlushFileOutput(RedirectIo& io, int status);
  // A word's argv entries: expanded, then globbed when unquoted (none when it expands to
  // nothing unquoted).
  std::vector<std::string> ExpandArgv(const ShellWord& word) const;
  int RunCommand(const ShellCommand& cmd, CommandIo& io);
  std::string Expand(const ShellWord& word) const;
  // Vfs paths matching a wildcard pattern (wildcards in any component), sorted; empty if
  // none (the word stays as is).
  std::vector<std::string> Glob(const std::string& pattern) const;

  PhoneState& phone_;
  CommandIo* io_;  // the line's streams; a loop with redirections swaps in its own
  std::map<std::string, std::string> vars_;
  std::string cwd_ = "/";
  int last_status_ = 0;
  mutable int32_t pid_ = 0;  // 0 until Pid() is asked
  bool in_exec_ = false;
  uint64_t affinity_ = 0;
  bool exit_requested_ = false;
  int exit_status_ = 0;
};

// `dumpsys package NAME` (shell_packages.cc), used by dumpsys in shell_system.cc.
int DumpsysPackage(ShellCall& call, const std::string& name);

// The table of every command a phone knows (built once).
const ShellCommandTable& ShellCommands();

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_SHELL_H_
