// flock(2) on a file per (adb server port, serial): shared by every benchlab-agent process
// on the host without any coordinator, released by the kernel if its holder dies.
#include "agent/run/phone_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace benchlab::agent {
namespace {

constexpr absl::Duration kRetryPause = absl::Milliseconds(100);

// Opens the lock file, creating it (0666) when missing. Without O_CREAT when it exists: in
// a sticky world-writable directory, fs.protected_regular refuses O_CREAT on another
// user's file even when its mode allows writing.
int OpenLockFile(const std::string& path) {
  for (int tries = 0; tries < 3; ++tries) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno == EACCES) return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // flock needs no write
    if (errno != ENOENT) return -1;
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      (void)::fchmod(fd, 0666);  // whatever our umask: the other user's process writes it too
      return fd;
    }
    if (errno != EEXIST) return -1;
  }
  return -1;
}

std::string ReadHolder(int fd) {
  char buf[256];
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "another process";
  return std::string(absl::StripAsciiWhitespace(absl::string_view(buf, static_cast<size_t>(n))));
}

}  // namespace

std::string PhoneLockDir() {
  const char* env = std::getenv("BENCHLAB_LOCK_DIR");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("/tmp/benchlab-locks");
}

std::string PhoneLockPath(const std::string& dir, int adb_port, const std::string& serial) {
  std::string safe = serial;
  for (char& c : safe) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  return absl::StrCat(dir, "/adb-", adb_port, "-", safe, ".lock");
}

PhoneLock::~PhoneLock() {
  if (::ftruncate(fd_, 0) != 0) {
    // Read-only holder: the file keeps the previous holder's words; harmless.
  }
  ::close(fd_);  // drops the flock
}

absl::StatusOr<std::unique_ptr<PhoneLock>> PhoneLock::Acquire(
    int adb_port, const std::string& serial, const std::string& holder, absl::Time deadline,
    const std::function<bool()>& cancelled) {
  const std::string dir = PhoneLockDir();
  if (::mkdir(dir.c_str(), 01777) == 0) {
    (void)::chmod(dir.c_str(), 01777);  // the umask took bits away
  } else if (errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("phone lock directory ", dir, ": ", std::strerror(errno),
                                               " (set BENCHLAB_LOCK_DIR to a writable directory)"));
  }
  const std::string path = PhoneLockPath(dir, adb_port, serial);
  const int fd = OpenLockFile(path);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("phone lock ", path, ": ", std::strerror(errno),
                                               " (set BENCHLAB_LOCK_DIR to a writable directory)"));
  }
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("phone lock ", path, ": ", std::strerror(err)));
    }
    if (cancelled && cancelled()) {
      ::close(fd);
      return absl::CancelledError(absl::StrCat("cancelled while waiting for phone ", serial));
    }
    if (absl::Now() >= deadline) {
      std::string who = ReadHolder(fd);
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("phone ", serial, " is in use by ", who,
                                                 " (lock ", path, "); wait for it to finish"));
    }
    absl::SleepFor(std::min(kRetryPause, std::max(absl::ZeroDuration(), deadline - absl::Now())));
  }
  const std::string line = absl::StrCat(holder, " (pid ", ::getpid(), ")\n");
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, line.data(), line.size(), 0);
  return std::unique_ptr<PhoneLock>(new PhoneLock(fd));
}

}  // namespace benchlab::agent
