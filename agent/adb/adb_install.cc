// AdbClient::Install: the three install paths of adb 29, chosen by device features:
// abb_exec (streamed, NUL-separated args), exec:cmd package install -S (streamed), or
// legacy push to /data/local/tmp + pm install + rm.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/adb/adb_client.h"
#include "agent/adb/adb_io.h"
#include "common/shell_quote.h"
#include "spdlog/spdlog.h"

namespace benchlab::adb {
namespace {

// "Success" anywhere on its own line means installed; otherwise the Failure [...] line.
absl::Status CheckInstallOutput(const std::string& serial, absl::string_view output) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StripAsciiWhitespace(line) == "Success") return absl::OkStatus();
  }
  std::string reason(absl::StripAsciiWhitespace(output));
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StrContains(line, "Failure")) {
      reason = std::string(absl::StripAsciiWhitespace(line));
      break;
    }
  }
  if (reason.empty()) reason = "(no output from the package manager)";
  return absl::FailedPreconditionError(
      absl::StrCat("device ", serial, ": install failed: ", reason));
}

}  // namespace

absl::Status AdbClient::Install(const std::string& serial, const std::string& apk_path,
                                absl::Time deadline, const std::vector<std::string>& install_args) {
  int fd = ::open(apk_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("install ", apk_path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("install ", apk_path, ": fstat failed"));
  }
  const uint64_t size_bytes = static_cast<uint64_t>(st.st_size);
  absl::StatusOr<AdbFeatures> features = Features(serial, deadline);
  if (!features.ok()) {
    ::close(fd);
    return features.status();
  }

  std::string service;
  if (features->Has("abb_exec")) {
    std::vector<std::string> argv = {"package", "install"};
    argv.insert(argv.end(), install_args.begin(), install_args.end());
    argv.push_back("-S");
    argv.push_back(std::to_string(size_bytes));
    service = absl::StrCat("abb_exec:", absl::StrJoin(argv, absl::string_view("\0", 1)));
  } else if (features->Has("cmd")) {
    std::vector<std::string> argv = {"install"};
    argv.insert(argv.end(), install_args.begin(), install_args.end());
    service = absl::StrCat("exec:cmd package ", ShellJoin(argv), " -S ", size_bytes);
  }
  spdlog::info("event=adb_install serial={} apk={} bytes={} path={}", serial, apk_path, size_bytes,
               service.empty() ? "legacy" : service.substr(0, service.find(':')));

  if (service.empty()) {
    // Legacy: push, pm install, rm.
    absl::string_view base(apk_path);
    if (size_t slash = base.rfind('/'); slash != absl::string_view::npos) base.remove_prefix(slash + 1);
    const std::string remote = absl::StrCat("/data/local/tmp/", base);
    absl::Status s = PushStream(serial, fd, absl::string_view(), size_bytes, remote,
                                absl::string_view(), 0644, st.st_mtime, deadline, nullptr);
    ::close(fd);
    if (!s.ok()) return Annotate(s, "install");
    std::vector<std::string> argv = {"install"};
    argv.insert(argv.end(), install_args.begin(), install_args.end());
    argv.push_back(remote);
    absl::StatusOr<ShellResult> pm = Shell(serial, absl::StrCat("pm ", ShellJoin(argv)), deadline);
    absl::StatusOr<ShellResult> rm =
        Shell(serial, absl::StrCat("rm ", ShellQuote(remote), " </dev/null"), deadline);
    if (!rm.ok()) spdlog::warn("event=adb_install_cleanup serial={} err=\"{}\"", serial, rm.status().ToString());
    if (!pm.ok()) return Annotate(pm.status(), "install");
    return CheckInstallOutput(serial, pm->stdout_data + pm->stderr_data);
  }

  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = OpenService(serial, service, deadline);
  if (!sock.ok()) {
    ::close(fd);
    return Annotate(sock.status(), "install");
  }
  // Exactly size_bytes raw bytes: a short stream hangs the package manager.
  std::string buf(512 * 1024, '\0');
  uint64_t sent = 0;
  absl::Status s;
  while (sent < size_bytes && s.ok()) {
    ssize_t r = ::read(fd, buf.data(), std::min<uint64_t>(buf.size(), size_bytes - sent));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      s = absl::DataLossError(absl::StrCat("install ", apk_path, ": local file shrank or read failed"));
      break;
    }
    s = (*sock)->WriteAll(absl::string_view(buf.data(), static_cast<size_t>(r)), deadline);
    sent += static_cast<uint64_t>(r);
  }
  ::close(fd);
  absl::StatusOr<std::string> out = ReadToEof(sock->get(), deadline);
  if (!out.ok()) return Annotate(out.status(), absl::StrCat("device ", serial, ": install"));
  if (!s.ok() && out->empty()) return Annotate(s, absl::StrCat("device ", serial, ": install"));
  return CheckInstallOutput(serial, *out);
}

}  // namespace benchlab::adb
