// One simulated Android phone: its identity, file system, packages, logcat and shell.
// The adb transport (devsim/*.cc: connection and services) turns device-service requests into
// calls on this class; everything a phone "does" lives behind it.
//
// Threading: every public method is thread-safe. The transport calls RunShell from one
// thread per open stream; long commands (logcat in follow mode) block that thread until
// they end or the stream is cancelled (CommandIo::Cancelled, checked at least every
// 250 ms). The benchmark app itself runs on a scheduler thread shared by all phones, so
// `am start` returns at once. Destroy a Phone only after every RunShell/RunArgv/
// InstallStreamed call on it has returned (cancel the streams first).
#ifndef BENCHLAB_DEVSIM_PHONE_PHONE_H_
#define BENCHLAB_DEVSIM_PHONE_PHONE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace benchlab::devsim {

class Vfs;
class LogBuffer;

// One CPU cluster (a cpufreq policy): cores first_cpu .. first_cpu+count-1 share a clock.
struct CpuCluster {
  int first_cpu = 0;
  int count = 4;
  int64_t min_khz = 300000;   // cpuinfo_min_freq
  int64_t max_khz = 1800000;  // cpuinfo_max_freq
};

// What a phone is: fixed at start from --seed and the phone's index.
struct PhoneProfile {
  std::string serialno;         // ro.serialno
  std::string product_name;     // ro.product.name
  std::string model;            // ro.product.model (may contain spaces)
  std::string device;           // ro.product.device
  std::string manufacturer;     // ro.product.manufacturer
  std::string soc_model;        // ro.soc.model, e.g. "SM8550"
  std::string android_release;  // ro.build.version.release, e.g. "14"
  int sdk = 34;                 // ro.build.version.sdk
  std::string abi = "arm64-v8a";
  double cpu_speed = 1.0;  // relative speed; 1.0 = a 2023 flagship's big core
  int cores = 8;
  int battery_level = 87;
  double battery_temp_c = 31.5;  // at start: the room (ambient) temperature
  // Little cluster first, the biggest last; cores = the sum of their counts.
  std::vector<CpuCluster> clusters = {{0, 4, 300000, 1800000}, {4, 4, 300000, 2400000}};
  int64_t mem_total_kb = 7838048;  // /proc/meminfo MemTotal
};

// How the simulated physics behave (devsim flags; the defaults are a realistic phone).
struct PhoneSimOptions {
  double thermal_tau_s = 40;       // --thermal-tau: cooling time constant (simulated s)
  double thermal_time_scale = 1;   // --thermal-time-scale: simulated s per wall s
  double throttle_c = 42;          // --throttle-c: SoC °C where the big cores slow down
  double noise_cv_pct = 1.5;       // --noise-cv: run-to-run coefficient of variation, %
  double drift_pct = 0.5;          // --drift-pct: amplitude of the slow drift, %
  double drift_period_s = 1800;    // period of the drift (simulated s)
};

// Faults a phone can be told to show, from --fault or at run time through the
// `devsimctl fault NAME` shell command (so a test can trigger one mid-run).
enum class Fault {
  kNone,
  kGraphMissing,  // the benchmark app reports the model file missing, whatever exists
  kInvalidFlag,   // the benchmark app rejects its flags (Failed to parse flag ...)
  kCrash,         // Java FATAL EXCEPTION, then ActivityManager's "has died"
  kHang,          // the app starts, logs its start line, and never prints a result
  kBadModel,      // the model is "not a valid Flatbuffer"
  kDisconnect,    // the transport drops the link (during a push or a run)
  kUnauthorized,  // the transport answers CNXN with AUTH and never accepts
  kSlowLink,      // the transport delays every packet
  kDelegateNone,  // the asked-for delegate (GPU, NNAPI, XNNPACK) claims no node: the CPU runs it all
  kResultSkew,    // the tool's result file (--result_file_path) says 25 % slower than its log
};

// Parses "crash", "graph-missing", ... ; returns false for an unknown name.
bool ParseFault(absl::string_view name, Fault* fault);
absl::string_view FaultName(Fault fault);

// The byte streams of one running command, provided by the transport.
class CommandIo {
 public:
  virtual ~CommandIo() = default;
  // Writes to the command's stdout/stderr. Blocks while the client is not reading
  // (flow control). Returns false once the stream is closed: the command should stop.
  virtual bool WriteStdout(absl::string_view data) = 0;
  virtual bool WriteStderr(absl::string_view data) = 0;
  // Reads at most `max_bytes` of stdin, blocking until some arrive. Returns an empty
  // string at end of input (close-stdin, or the stream closed).
  virtual std::string ReadStdin(size_t max_bytes) = 0;
  // True once the client has closed the stream (e.g. Ctrl-C on `adb logcat`).
  virtual bool Cancelled() = 0;
};

class Phone {
 public:
  Phone(PhoneProfile profile, uint64_t seed, absl::Duration run_duration,
        PhoneSimOptions sim = PhoneSimOptions());
  ~Phone();
  Phone(const Phone&) = delete;
  Phone& operator=(const Phone&) = delete;

  const PhoneProfile& profile() const { return profile_; }

  // Runs one shell command line the way `/system/bin/sh -c LINE` would on a phone
  // (sh quoting, $VAR, `;` `&&` `||` `|`, redirections, globs; the commands are listed in
  // README.md), with I/O on `io`. Returns the exit status (0-255); unknown commands give
  // "/system/bin/sh: NAME: inaccessible or not found" and 127. Blocks until the command
  // ends; logcat without -d ends only when io.Cancelled() or a write fails.
  int RunShell(absl::string_view command_line, CommandIo& io);

  // Interactive shell (`adb shell` with no command): writes a prompt ("husky:/ $ "), runs
  // each line read from stdin with the state of one shell (cd, export persist), until
  // `exit`, end of input or cancel. No echo and no line editing (a PTY's job). Returns the
  // last status.
  int RunInteractive(CommandIo& io);

  // Runs one command from an already split argv, without shell parsing or quoting: for
  // `abb_exec:package\0path\0PKG` call RunArgv({"cmd", "package", "path", "PKG"}, io).
  // Returns the exit status; an unknown argv[0] gives 127 as in RunShell.
  int RunArgv(const std::vector<std::string>& argv, CommandIo& io);

  // Streamed install (`cmd package install -S N`, `abb_exec:package install -S N`):
  // reads exactly `size` bytes of APK from io's stdin, writes "Success\n" or
  // "Failure [INSTALL_FAILED_...: ...]\n" to stdout. Returns the exit status (0 / 1).
  // `pm_args` are pm's flags (-r -d -g ...), accepted and otherwise ignored. Bytes that do
  // not start with "PK\x03\x04" fail with INSTALL_PARSE_FAILED_NOT_APK; see
  // fake_artifacts.h for APK bytes that install. RunShell routes `pm install -S N` and
  // `cmd package install -S N` here too (stdin carries the APK).
  int InstallStreamed(const std::vector<std::string>& pm_args, int64_t size, CommandIo& io);

  // Background log lines from other processes (system tags, Play services' `tflite`
  // lines) every 0.5-1 s; on by default. Tests that compare exact logcat output turn it off.
  void SetBackgroundLogs(bool on);

  // The phone's files, for the sync service.
  Vfs& fs() { return *fs_; }
  // The phone's logcat buffers.
  LogBuffer& logs() { return *logs_; }

  // Faults. The transport reads link faults (disconnect, unauthorized, slow link);
  // the app reads the others when it starts, and kCrash/kHang set while a run is in
  // progress also hit that run at once. A fault stays set until SetFault(kNone).
  void SetFault(Fault fault);
  Fault fault() const;
  // Called when a link fault is set at run time (e.g. by `devsimctl fault disconnect`),
  // so the transport can act at once. Set by the transport before serving.
  void SetLinkFaultListener(std::function<void(Fault)> listener);

 private:
  class Impl;
  PhoneProfile profile_;
  std::unique_ptr<Vfs> fs_;
  std::unique_ptr<LogBuffer> logs_;
  std::unique_ptr<Impl> impl_;
};

// The profile of phone number `index` (0-based) of a devsim process with `seed`:
// different models, SoCs and speeds, deterministic for the same seed.
PhoneProfile MakeProfile(uint64_t seed, int index);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_PHONE_H_
