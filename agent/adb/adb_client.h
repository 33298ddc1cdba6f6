// benchlab's client for the adb server's host ("smart socket") protocol: device list and
// tracking, features, shell (v2 with exit codes, v1 with a marker), sync push/pull/stat,
// install, logcat. It never runs or parses the `adb` binary, except `adb start-server`.
#ifndef BENCHLAB_AGENT_ADB_ADB_CLIENT_H_
#define BENCHLAB_AGENT_ADB_ADB_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_cancel.h"
#include "agent/adb/adb_socket.h"
#include "common/logcat_line.h"

namespace benchlab::adb {

// One line of `host:devices-l`. Fields the server did not print stay empty.
struct AdbDevice {
  std::string serial;   // what the server calls it: "127.0.0.1:40001", "R58M123ABC"
  std::string state;    // "device", "offline", "unauthorized", "authorizing", ...
  std::string devpath;  // "usb:1-1"; empty for TCP devices
  std::string product;  // ro.product.name
  std::string model;    // ro.product.model with non-alphanumerics as '_'
  std::string device;   // ro.product.device
  int64_t transport_id = 0;
  bool operator==(const AdbDevice&) const = default;
};

// Features a device advertises (already intersected with the server's own features).
struct AdbFeatures {
  absl::flat_hash_set<std::string> names;
  bool Has(absl::string_view name) const { return names.contains(name); }
};

struct ShellResult {
  std::string stdout_data;
  std::string stderr_data;  // always empty on v1 devices (stderr is merged into stdout)
  int exit_code = 0;        // 0-255; 128+signo when killed
  bool shell_v2 = false;    // which protocol ran (v1: exit code from an appended marker)
};

enum class ShellStream { kStdout, kStderr };

// Which shell protocol to use; kAuto picks v2 when device and server both have shell_v2.
enum class ShellProtocol { kAuto, kV2, kV1 };

// Result of a sync STAT/STA2. exists == false when the path is missing.
struct RemoteStat {
  bool exists = false;
  uint32_t mode = 0;  // st_mode with type bits (0100644 file, 040771 directory)
  uint64_t size_bytes = 0;
  int64_t mtime_s = 0;
  bool is_dir() const { return (mode & 0170000) == 0040000; }
};

// Progress of a push or pull: bytes done of total (total 0 when unknown).
using TransferProgress = std::function<void(uint64_t done_bytes, uint64_t total_bytes)>;

struct LogcatOptions {
  // Where to start, as logcat's -T takes it, in PHONE time: "sssss.mmm" (epoch, e.g. from
  // `date +%s.%3N` run on the phone just before), or "MM-DD hh:mm:ss.mmm". Empty: from now
  // on (-T 1 prints the last line first). The log is never cleared (no `logcat -c`).
  std::string since;
  // Extra logcat arguments, each quoted with ShellQuote: {"-b", "main", "-s", "tflite"}.
  std::vector<std::string> extra_args;
  // Called after the complete lines of each read from the phone were delivered, so a
  // caller can hand lines on per read (one lock, one message) rather than per line.
  std::function<void()> after_each_read;
};

// Thread-safe: every method may be called from several threads at once; each call uses
// its own connections. Only the features cache is shared (guarded by mu_).
class AdbClient {
 public:
  explicit AdbClient(std::unique_ptr<AdbConnector> connector);
  // Production: TCP to the local server (port from options / ANDROID_ADB_SERVER_PORT),
  // starting it with `adb start-server` when none answers.
  static std::unique_ptr<AdbClient> ConnectLocal(const TcpConnectorOptions& options = {});

  // ---- Host queries (answered by the server itself) ----

  // host:version: the server's protocol version (41 for adb 29-35).
  absl::StatusOr<int> ServerVersion(absl::Time deadline);

  // host:devices-l, parsed. Offline and unauthorized devices are listed, not errors.
  absl::StatusOr<std::vector<AdbDevice>> Devices(absl::Time deadline);

  // <serial>:get-state: "device", "offline", "unauthorized", ... NotFound when the server
  // does not know the serial.
  absl::StatusOr<std::string> GetState(const std::string& serial, absl::Time deadline);

  // host-serial:<s>:features, intersected with host:host-features. Cached per transport
  // id: a reconnected device (new transport id) is queried again.
  absl::StatusOr<AdbFeatures> Features(const std::string& serial, absl::Time deadline);

  // host:connect:<host:port>. Returns the server's message ("connected to ..." or
  // "already connected to ..."); Unavailable with that message when it failed (the server
  // answers OKAY even then). The device may still be "offline"/"unauthorized" after it.
  absl::StatusOr<std::string> ConnectDevice(const std::string& host_port, absl::Time deadline);

  // host:disconnect:<host:port>. NotFound when the server did not have it.
  absl::Status DisconnectDevice(const std::string& host_port, absl::Time deadline);

  // host:track-devices-l: calls on_snapshot with the FULL device list at once and again
  // after every change, until `cancel` fires (then returns Cancelled). When the server
  // goes away (EOF, restart) it re-attaches with backoff (100 ms doubling to 2 s) and
  // sends a fresh snapshot; it never gives up on its own. Runs on the calling thread;
  // on_snapshot runs on it too and must not block for long.
  absl::Status TrackDevices(const std::function<void(const std::vector<AdbDevice>&)>& on_snapshot,
                            AdbCancel* cancel);

  // ---- Device services. `serial` as listed by Devices(). Errors name the serial and
  // say what to do: NotFound "no such device", Unavailable "device offline",
  // FailedPrecondition "unauthorized — accept the RSA prompt on the phone",
  // DeadlineExceeded "timeout". ----

  // Runs `command` (a device shell command line built with ShellJoin/ShellQuote; under
  // 4 KiB) and returns its output and exit code. On v1 the exit code comes from an
  // appended `; echo <marker>$?` that is stripped from stdout.
  absl::StatusOr<ShellResult> Shell(const std::string& serial, const std::string& command,
                                    absl::Time deadline,
                                    ShellProtocol protocol = ShellProtocol::kAuto);

  // Like Shell() but for long-running commands: on_output gets each chunk as it arrives
  // (not line-aligned; on v1 everything is kStdout). Returns the exit code when the
  // command ends, Cancelled when `cancel` fired (the device command is killed by the
  // stream's close), DeadlineExceeded at `deadline` (absl::InfiniteFuture() for none).
  // `cancel` may be null.
  absl::StatusOr<int> ShellStreaming(
      const std::string& serial, const std::string& command,
      const std::function<void(ShellStream, absl::string_view)>& on_output, AdbCancel* cancel,
      absl::Time deadline, ShellProtocol protocol = ShellProtocol::kAuto);

  // exec:<command>: raw, binary-safe stdout+stderr until EOF; no exit code.
  absl::StatusOr<std::string> Exec(const std::string& serial, const std::string& command,
                                   absl::Time deadline);

  // ---- Sync (files) ----

  // Pushes a local file. When `remote_path` ends with '/' or is an existing directory the
  // file's basename is appended. Mode is the local file's permission bits; mtime the local mtime.
  absl::Status Push(const std::string& serial, const std::string& local_path,
                    const std::string& remote_path, absl::Time deadline,
                    const TransferProgress& progress = nullptr);
  // Pushes bytes to the exact `remote_path` with permission bits `mode` (e.g. 0644).
  absl::Status PushBytes(const std::string& serial, absl::string_view data,
                         const std::string& remote_path, uint32_t mode, absl::Time deadline,
                         const TransferProgress& progress = nullptr);
  // STA2 (stat_v2 feature) or STAT v1 (which is lstat and cannot report errors).
  absl::StatusOr<RemoteStat> Stat(const std::string& serial, const std::string& remote_path,
                                  absl::Time deadline);
  // Pulls a remote file to a local path (replaced) or into memory. NotFound when missing.
  absl::Status Pull(const std::string& serial, const std::string& remote_path,
                    const std::string& local_path, absl::Time deadline,
                    const TransferProgress& progress = nullptr);
  absl::StatusOr<std::string> PullBytes(const std::string& serial, const std::string& remote_path,
                                        absl::Time deadline);

  // ---- Packages ----

  // Installs an APK with `install_args` passed to the package manager (default -r -d -g).
  // Streamed via abb_exec, else exec:cmd package install -S, else push to /data/local/tmp
  // + pm install + rm, chosen by the device's features. FailedPrecondition
  // "install failed: Failure [INSTALL_FAILED_...]" when the package manager refuses.
  absl::Status Install(const std::string& serial, const std::string& apk_path, absl::Time deadline,
                       const std::vector<std::string>& install_args = {"-r", "-d", "-g"});

  // ---- Logcat ----

  // Streams `logcat -v threadtime -T <since> <extra_args>` as complete lines (no "\n" or
  // "\r"), each delivered as soon as its "\n" arrives. Returns Cancelled when `cancel`
  // fires, DeadlineExceeded at `deadline`, OK if logcat ended by itself.
  absl::Status Logcat(const std::string& serial, const LogcatOptions& options,
                      const std::function<void(absl::string_view line)>& on_line,
                      AdbCancel* cancel, absl::Time deadline);
  // The same, each line split with common/logcat_line.h (views valid during the call).
  absl::Status LogcatEntries(const std::string& serial, const LogcatOptions& options,
                             const std::function<void(const LogcatLine& entry)>& on_entry,
                             AdbCancel* cancel, absl::Time deadline);

  // ---- Low level (for callers with needs not covered above) ----

  // Opens a connection switched to `serial`'s transport (host:tport:serial:, falling back
  // to host:transport:) and opens `service` on it ("shell,v2,raw:...", "sync:", ...).
  // The returned socket is the raw service stream.
  absl::StatusOr<std::unique_ptr<AdbSocket>> OpenService(const std::string& serial,
                                                         absl::string_view service,
                                                         absl::Time deadline);

  // Requests the adb server refused or could not answer since this client was made
  // (the agent's /metrics): host queries, and transports to a phone (every device
  // service starts with one; a phone gone or offline counts here).
  struct ErrorCounts {
    uint64_t host = 0;
    uint64_t transport = 0;
  };
  ErrorCounts error_counts() const { return {host_errors_.load(), transport_errors_.load()}; }

 private:
  struct CachedFeatures {
    int64_t transport_id = -1;
    AdbFeatures features;
  };

  absl::StatusOr<std::unique_ptr<AdbSocket>> Transport(const std::string& serial,
                                                       absl::Time deadline,
                                                       int64_t* transport_id);
  absl::StatusOr<std::string> HostQuery(absl::string_view request, absl::Time deadline);
  // The two above without counting their errors.
  absl::StatusOr<std::unique_ptr<AdbSocket>> TransportUncounted(const std::string& serial, absl::Time deadline,
                                                                int64_t* transport_id);
  absl::StatusOr<std::string> HostQueryUncounted(absl::string_view request, absl::Time deadline);
  absl::StatusOr<AdbFeatures> FeaturesFor(const std::string& serial, int64_t transport_id,
                                          absl::Time deadline);
  absl::StatusOr<absl::flat_hash_set<std::string>> HostFeatures(absl::Time deadline);
  // Shell core; v1_marker false runs a v1 command as is (logcat: no tail held back).
  absl::StatusOr<int> RunShell(const std::string& serial, const std::string& command,
                               const std::function<void(ShellStream, absl::string_view)>& on_output,
                               AdbCancel* cancel, absl::Time deadline, ShellProtocol protocol,
                               bool v1_marker, bool* used_v2 = nullptr);
  absl::Status PushStream(const std::string& serial, int fd, absl::string_view data,
                          uint64_t size_bytes, std::string remote_path,
                          absl::string_view basename, uint32_t mode, int64_t mtime_s,
                          absl::Time deadline, const TransferProgress& progress);
  absl::Status PullTo(const std::string& serial, const std::string& remote_path,
                      const std::function<absl::Status(absl::string_view)>& sink,
                      absl::Time deadline, const TransferProgress& progress);

  std::unique_ptr<AdbConnector> connector_;
  std::atomic<uint64_t> host_errors_{0};
  std::atomic<uint64_t> transport_errors_{0};
  absl::Mutex mu_;
  std::map<std::string, CachedFeatures> features_ ABSL_GUARDED_BY(mu_);
  bool have_host_features_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<std::string> host_features_ ABSL_GUARDED_BY(mu_);
};

}  // namespace benchlab::adb

#endif  // BENCHLAB_AGENT_ADB_ADB_CLIENT_H_
