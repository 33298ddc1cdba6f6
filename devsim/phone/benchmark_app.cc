// The benchmark app: `am start` spawns its process and plans the run (run_plan.h), whose
// timed batches of log lines go to the Scheduler. Lines in one batch share a timestamp, as
// the tool's summary block does on a phone.
#include "devsim/phone/benchmark_app.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/digest.h"
#include "devsim/phone/perf_knobs.h"
#include "devsim/phone/thermal.h"
#include "devsim/phone/benchmark_flags.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/latency_model.h"
#include "devsim/phone/op_profile.h"
#include "devsim/phone/package_manager.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/run_plan.h"
#include "devsim/phone/scheduler.h"
#include "spdlog/spdlog.h"

namespace benchlab::devsim {


BenchmarkApp::BenchmarkApp(PhoneState& phone) : phone_(phone) {}

BenchmarkApp::~BenchmarkApp() {
  absl::MutexLock lock(&mu_);
  if (group_ != 0) Scheduler::Get().CancelGroup(group_);
}

int32_t BenchmarkApp::pid() const {
  absl::MutexLock lock(&mu_);
  return pid_ != 0 && phone_.procs().Alive(pid_) ? pid_ : 0;
}

int BenchmarkApp::runs_started() const {
  absl::MutexLock lock(&mu_);
  return runs_;
}

void BenchmarkApp::StopLocked(int32_t caller_pid, bool log_force_stop) {
  LogBuffer& logs = phone_.logs();
  std::optional<InstalledPackage> pkg = phone_.packages().Find(std::string(kBenchmarkPackage));
  const int uid = pkg ? pkg->uid : 10241;
  if (group_ != 0) {
    // Scheduler tasks never take mu_, so waiting for a running one here cannot deadlock.
    Scheduler::Get().CancelGroup(group_);
    group_ = 0;
  }
  if (log_force_stop) {
    logs.Write(LogId::kSystem, kPidSystemServer, 1460, 'I', "ActivityManager",
               absl::StrCat("Force stopping org.tensorflow.lite.benchmark appid=", uid,
                            " user=0: from pid ", caller_pid));
  }
  if (pid_ != 0 && phone_.procs().Kill(pid_)) {
    logs.Write(
        LogId::kSystem, kPidSystemServer, 1460, 'I', "ActivityManager",
        absl::StrCat("Killing ", pid_, ":org.tensorflow.lite.benchmark/u0a", uid - 10000,
                     " (adj 0): stop org.tensorflow.lite.benchmark due to from pid ", caller_pid));
  }
  pid_ = 0;
}

void BenchmarkApp::ForceStop(int32_t caller_pid) {
  absl::MutexLock lock(&mu_);
  StopLocked(caller_pid, /*log_force_stop=*/true);
}

int32_t BenchmarkApp::Launch(const std::optional<std::string>& args, bool has_extras,
                             bool stop_first, int32_t caller_pid) {
  absl::MutexLock lock(&mu_);
  if (stop_first || pid_ != 0) StopLocked(caller_pid, stop_first);
  LogBuffer& logs = phone_.logs();
  std::optional<InstalledPackage> pkg = phone_.packages().Find(std::string(kBenchmarkPackage));
  const int uid = pkg ? pkg->uid : 10241;
  const int run_number = ++runs_;

  logs.Write(LogId::kSystem, kPidSystemServer, 4711, 'I', "ActivityTaskManager",
             absl::StrCat("START u0 {flg=0x10000000 cmp=org.tensorflow.lite.benchmark/"
                          ".BenchmarkModelActivity",
                          has_extras ? " (has extras)" : "",
                          "} with LAUNCH_MULTIPLE from uid 2000 (BAL_ALLOW_PERMISSION) result "
                          "code=0"));
  const int32_t pid = phone_.procs().Spawn(std::string(kBenchmarkPackage));
  pid_ = pid;
  // The reason's wording changed across releases (tflite-benchmark.md §1.2).
  const int sdk = phone_.profile().sdk;
  const char* reason = sdk >= 33   ? "next-top-activity"
                       : sdk >= 31 ? "pre-top-activity"
                                   : "activity";
  logs.Write(
      LogId::kSystem, kPidSystemServer, 1471, 'I', "ActivityManager",
      absl::StrCat("Start proc ", pid, ":org.tensorflow.lite.benchmark/u0a", uid - 10000, " for ",
                   reason, " {org.tensorflow.lite.benchmark/", kBenchmarkActivity, "}"));


  RunPlan plan(pid);
  const PlannedEnd end = PlanBenchmarkRun(phone_, plan, args, run_number);
  const Fault fault = phone_.fault();

  spdlog::debug("devsim app launch serial={} pid={} run={} fault={} args=\"{}\"",
                phone_.profile().serialno, pid, run_number, std::string(FaultName(fault)),
                args.value_or("<none>"));
  ScheduleLocked(plan, end.hangs);
  return pid;
}

void BenchmarkApp::InjectFault(Fault fault) {
  if (fault != Fault::kCrash && fault != Fault::kHang) return;
  absl::MutexLock lock(&mu_);
  if (pid_ == 0 || !phone_.procs().Alive(pid_) || absl::Now() >= run_end_) return;
  Scheduler::Get().CancelGroup(group_);  // the rest of the run never comes
  group_ = 0;
  RunPlan plan(pid_);
  if (fault == Fault::kCrash) {
    ProcessTable* procs = &phone_.procs();
    const int32_t pid = pid_;
    AddAppCrash(plan, absl::Milliseconds(30),
             "java.lang.OutOfMemoryError: Failed to allocate a 268435472 byte allocation with "
             "25165824 free bytes and 186MB until OOM, target footprint 201326592, growth "
             "limit 402653184",
             true, [procs, pid] { procs->Kill(pid); });
  }
  ScheduleLocked(plan, fault == Fault::kHang);
}

void BenchmarkApp::ScheduleLocked(RunPlan& plan, bool in_progress_forever) {
  // Hand the batches to the scheduler, in one group so a force-stop drops them all.
  group_ = Scheduler::Get().NewGroup();
  const absl::Time t0 = absl::Now();
  run_end_ = t0;
  LogBuffer* logs_ptr = &phone_.logs();
  for (PlannedBatch& b : plan.batches()) {
    if (b.lines.empty() && !b.action) continue;
    if (!b.epilogue) run_end_ = std::max(run_end_, t0 + b.at);
    // Stamped with the planned time, not the moment the scheduler gets to it, so a busy
    // machine delays lines but does not squeeze the run's timeline.
    const absl::Time due = t0 + b.at;
    Scheduler::Get().Add(group_, due,
                         [logs_ptr, due, lines = std::move(b.lines), action = std::move(b.action)] {
                           // The action first: whoever sees "has died" finds the pid gone.
                           if (action) action();
                           for (const PlannedLine& l : lines) {
                             logs_ptr->Write(l.id, l.pid, l.tid, l.prio, l.tag, l.msg, due);
                           }
                         });
  }
  if (in_progress_forever) run_end_ = absl::InfiniteFuture();
}

}  // namespace benchlab::devsim
