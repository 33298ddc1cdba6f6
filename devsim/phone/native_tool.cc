// A devsim benchmark binary run from the shell: a process of the shell user (its own pid,
// or the shell's after `exec`) that plays a planned run (run_plan.h) on stdout/stderr as the
// native tools print it (tflite-benchmark.md §2), also to logcat, and ends with the tool's
// exit status, or 128+N when `kill -N` hits it. Also `taskset`, which pins what it runs.
#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/run_plan.h"
#include "devsim/phone/shell.h"

namespace benchlab::devsim {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(10);
constexpr int kSigHup = 1;

// One line of the tool on its streams. The classic tool's TFLITE_LOG prints INFO/WARN on
// stdout and ERROR on stderr with a severity prefix (builds from 2023 on); LITERT_LOG
// prints every message to stderr as "<SEVERITY>: <message>" (litert/c/internal/
// litert_logging.cc). A stats line ends with the tool's own endl: an empty line follows.
bool WriteToolLine(CommandIo& io, const PlannedLine& l) {
  const char* severity = l.prio == 'E' ? "ERROR" : l.prio == 'W' ? "WARN" : l.prio == 'F' ? "FATAL" : "INFO";
  std::string text = absl::StrCat(severity, ": ", l.msg, "\n");
  if (absl::StartsWith(l.msg, "count=")) text += "\n";
  if (l.tag == "litert" || l.prio == 'E' || l.prio == 'F') return io.WriteStderr(text);
  return io.WriteStdout(text);
}

// Waits until `until`; false when the process was killed or the stream closed meanwhile.
bool WaitAlive(PhoneState& phone, CommandIo& io, int32_t pid, absl::Time until) {
  while (true) {
    if (!phone.procs().Alive(pid) || io.Cancelled()) return false;
    const absl::Time now = absl::Now();
    if (now >= until) return true;
    absl::SleepFor(std::min(kPoll, until - now));
  }
}

// The status of a process that stopped early: the signal that killed it, or SIGHUP when
// adb's stream closed under it (adbd closes the pty/pipe; the tool dies of it).
int StoppedStatus(PhoneState& phone, CommandIo& io, int32_t pid) {
  if (phone.procs().Alive(pid)) {
    (void)io;  // the stream closed: the process goes with it
    phone.procs().Kill(pid, kSigHup);
    return 128 + kSigHup;
  }
  const int sig = phone.procs().KilledBy(pid);
  return 128 + (sig == 0 ? 9 : sig);
}

// toybox taskset [-p] MASK [PID | COMMAND...] (toys/other/taskset.c): the mask in hex;
// with -p and a PID, sets or prints that process's mask; else runs COMMAND pinned.
int Taskset(ShellCall& c) {
  size_t i = 1;
  bool pid_mode = false;
  while (i < c.argv.size() && absl::StartsWith(c.argv[i], "-")) {
    if (absl::StrContains(c.argv[i], 'p')) pid_mode = true;
    ++i;
  }
  std::vector<std::string> rest(c.argv.begin() + static_cast<std::ptrdiff_t>(i), c.argv.end());
  const int cpus = [&] {
    int n = 0;
    for (const CpuCluster& cl : c.phone.profile().clusters) n = std::max(n, cl.first_cpu + cl.count);
    return n;
  }();
  const uint64_t all = cpus >= 64 ? ~uint64_t{0} : (uint64_t{1} << cpus) - 1;
  if (pid_mode && rest.size() == 1) {
    int32_t pid = 0;
    if (!absl::SimpleAtoi(rest[0], &pid) || !c.phone.procs().Alive(pid)) {
      return c.Fail(absl::StrCat("sched_getaffinity: No such process"));
    }
    uint64_t mask = c.phone.procs().Affinity(pid);
    return c.Out(absl::StrFormat("pid %d's affinity mask: %x\n", pid, mask == 0 ? all : mask)) ? 0 : 1;
  }
  if (rest.size() < 2) return c.Fail("Need 2 arguments");
  uint64_t mask = 0;
  std::string hex = rest[0];
  if (absl::StartsWithIgnoreCase(hex, "0x")) hex = hex.substr(2);
  if (hex.empty() || hex.size() > 16 || !absl::SimpleHexAtoi(hex, &mask)) {
    return c.Fail(absl::StrCat("bad mask '", rest[0], "'"));
  }
  if ((mask & all) == 0) return c.Fail("sched_setaffinity: Invalid argument");
  mask &= all;
  if (pid_mode) {
    int32_t pid = 0;
    if (!absl::SimpleAtoi(rest[1], &pid) || !c.phone.procs().Alive(pid)) {
      return c.Fail("sched_setaffinity: No such process");
    }
    // sched_setaffinity(2) needs CAP_SYS_NICE or the caller's uid to match the target's:
    // the shell user (uid 2000) may pin its own processes, not an app's (EPERM).
    if (!c.phone.procs().ShellUser(pid)) return c.Fail("sched_setaffinity: Operation not permitted");
    c.phone.procs().SetAffinity(pid, mask);
    return 0;
  }
  const uint64_t before = c.shell.affinity();
  c.shell.set_affinity(mask);
  std::vector<std::string> command(rest.begin() + 1, rest.end());
  const int status = c.shell.RunArgv(std::move(command), c.io);
  c.shell.set_affinity(before);
  return status;
}

}  // namespace

std::optional<int> RunNativeBinary(Shell& shell, PhoneState& phone, CommandIo& io,
                                   const std::vector<std::string>& argv, const std::string& path) {
  auto bytes = phone.fs().Read(path);
  if (!bytes.ok()) return std::nullopt;
  const std::string flavor_name = FakeBinaryFlavor(**bytes);
  if (flavor_name.empty()) return std::nullopt;
  auto st = phone.fs().Stat(path);
  if (!st.ok() || (st->mode & 0111) == 0) {
    io.WriteStderr(absl::StrCat("/system/bin/sh: ", argv[0], ": can't execute: Permission denied\n"));
    return 126;
  }
  const ToolFlavor flavor = flavor_name == "litert" ? ToolFlavor::kLitert : ToolFlavor::kTflite;
  const std::string name = path.substr(path.rfind('/') + 1);
  int32_t pid;
  if (shell.in_exec()) {
    pid = shell.Pid();  // exec: the program replaces the shell, same pid
    phone.procs().Rename(pid, name);
  } else {
    pid = phone.procs().Spawn(name, /*shell_user=*/true);
  }
  phone.procs().SetAffinity(pid, shell.affinity());

  // Every devsim binary run on this process counts, so runs differ as a phone's do.
  static std::atomic<int> runs{0};
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  RunPlan plan(pid, flavor);
  const PlannedEnd end = PlanBenchmarkRun(phone, plan, absl::StrJoin(args, " "), 100000 + ++runs,
                                          shell.affinity());
  std::vector<PlannedBatch*> batches;
  for (PlannedBatch& b : plan.batches()) batches.push_back(&b);
  std::stable_sort(batches.begin(), batches.end(),
                   [](const PlannedBatch* a, const PlannedBatch* b) { return a->at < b->at; });

  const absl::Time t0 = absl::Now();
  for (PlannedBatch* b : batches) {
    const absl::Time due = t0 + b->at;
    if (!WaitAlive(phone, io, pid, due)) return StoppedStatus(phone, io, pid);
    if (b->action) b->action();
    for (const PlannedLine& l : b->lines) {
      // On Android the tools' loggers also write every line to logcat.
      phone.logs().Write(l.id, l.pid, l.tid, l.prio, l.tag, l.msg, due);
      if (l.pid == pid && (l.tag == "tflite" || l.tag == "litert")) WriteToolLine(io, l);
    }
    if (b->dies_with.has_value()) {
      phone.procs().Kill(pid, *b->dies_with - 128);
      return *b->dies_with;
    }
  }
  if (end.hangs) {
    WaitAlive(phone, io, pid, absl::InfiniteFuture());
    return StoppedStatus(phone, io, pid);
  }
  if (!phone.procs().Alive(pid)) return StoppedStatus(phone, io, pid);
  phone.procs().Kill(pid, 0);  // exited
  return end.exit_status;
}

void RegisterTasksetCommand(ShellCommandTable& t) { t["taskset"] = Taskset; }

}  // namespace benchlab::devsim
