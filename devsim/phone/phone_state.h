// Internal to devsim/phone: the state behind one Phone that the shell commands, the
// package manager and the benchmark app share. Not part of the transport's contract.
//
// Threading: thread-safe; each member documents its own locking.
#ifndef BENCHLAB_DEVSIM_PHONE_PHONE_STATE_H_
#define BENCHLAB_DEVSIM_PHONE_PHONE_STATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"

namespace benchlab::devsim {

class PackageManager;
class BenchmarkApp;
class ProcessTable;
class Battery;
class LogNoise;
class Thermal;
class PerfKnobs;

class PhoneState {
 public:
  PhoneState(const PhoneProfile& profile, uint64_t seed, absl::Duration run_duration, Vfs& fs,
             LogBuffer& logs, const PhoneSimOptions& sim = PhoneSimOptions());
  ~PhoneState();

  const PhoneProfile& profile() const { return profile_; }
  uint64_t seed() const { return seed_; }
  absl::Duration run_duration() const { return run_duration_; }
  Vfs& fs() { return fs_; }
  LogBuffer& logs() { return logs_; }
  ProcessTable& procs() { return *procs_; }
  Battery& battery() { return *battery_; }
  Thermal& thermal() { return *thermal_; }
  PerfKnobs& knobs() { return *knobs_; }
  // Screen on (Awake, display ON) or off (Asleep, display OFF): `devsimctl screen`.
  bool screen_on() const;
  void SetScreenOn(bool on);
  // Simulated seconds since the phone started (the drift's clock).
  double SimUptimeS() const;
  PackageManager& packages() { return *packages_; }
  BenchmarkApp& app() { return *app_; }
  // Installs APK bytes (pm install, streamed install) and stops the old app process when
  // its package is replaced. Returns pm's line without '\n' ("Success" / "Failure [...]").
  std::string InstallApk(const std::vector<std::string>& args, std::string apk);
  // Turns the background log noise of other processes on or off (on by default).
  void SetBackgroundLogs(bool on);

  Fault fault() const;
  // Stores the fault; for a link fault, calls the listener (outside the lock); a crash or
  // hang also hits a run in progress (BenchmarkApp::InjectFault).
  void SetFault(Fault fault);
  void SetLinkFaultListener(std::function<void(Fault)> listener);

  // System properties (getprop), sorted by key.
  const std::map<std::string, std::string>& properties() const { return properties_; }

 private:
  const PhoneProfile& profile_;
  const uint64_t seed_;
  const absl::Duration run_duration_;
  Vfs& fs_;
  LogBuffer& logs_;
  const std::map<std::string, std::string> properties_;
  std::unique_ptr<ProcessTable> procs_;
  std::unique_ptr<Thermal> thermal_;
  std::unique_ptr<Battery> battery_;
  std::unique_ptr<PerfKnobs> knobs_;
  const absl::Time start_;
  std::unique_ptr<PackageManager> packages_;
  std::unique_ptr<BenchmarkApp> app_;  // after the parts it uses: destroyed first
  std::unique_ptr<LogNoise> noise_;

  mutable absl::Mutex mu_;
  Fault fault_ ABSL_GUARDED_BY(mu_) = Fault::kNone;
  std::function<void(Fault)> listener_ ABSL_GUARDED_BY(mu_);
  bool screen_on_ ABSL_GUARDED_BY(mu_) = true;
};

// Adds the phone's generated kernel files to its Vfs: /proc/meminfo,
// /sys/class/thermal/thermal_zoneN/{type,temp}, /sys/devices/system/cpu/{online,
// cpuN/cpufreq/...} (kernel_files.cc).
void AddKernelFiles(PhoneState& phone);

bool IsLinkFault(Fault fault);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_PHONE_STATE_H_
