// AdbClient's file transfer over the sync: service: stat (STAT / STA2), push (SEND, DATA
// chunks batched into large writes, DONE, early-FAIL polling) and pull (RECV). The sync
// channel is a byte stream: records are read with BufferedReader, never per read().
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "agent/adb/adb_io.h"
#include "agent/adb/adb_protocol.h"
#include "spdlog/spdlog.h"

namespace benchlab::adb {
namespace {

constexpr size_t kMaxSyncData = 64 * 1024;  // adbd rejects larger DATA records
constexpr size_t kChunksPerWrite = 32;     // 2 MiB per write(): few syscalls, full pipe
constexpr size_t kMaxSyncPath = 1024;
// adbd's FAIL reasons are one line ("open failed: No such file or directory"). The length
// comes from the wire: trusting it let a 9-byte reply make us allocate up to 4 GiB.
constexpr uint32_t kMaxSyncFailMessage = 64 * 1024;

// One open sync: stream. Not thread-safe.
class SyncStream {
 public:
  SyncStream(std::unique_ptr<AdbSocket> sock, std::string what)
      : sock_(std::move(sock)), reader_(sock_.get()), what_(std::move(what)) {}
  ~SyncStream() {
    // QUIT ends the service cleanly; errors here do not matter any more.
    std::string quit;
    AppendSyncRequest(&quit, "QUIT", "");
    (void)sock_->WriteAll(quit, absl::Now() + absl::Milliseconds(200));
  }

  AdbSocket* sock() { return sock_.get(); }
  BufferedReader& reader() { return reader_; }
  const std::string& what() const { return what_; }

  absl::Status Err(const absl::Status& s, absl::string_view step) const {
    if (s.code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::DeadlineExceededError(absl::StrCat(what_, ": timeout during ", step));
    }
    return Annotate(s, absl::StrCat(what_, ": ", step));
  }

  // Reads the `length` bytes of a FAIL's message, refusing a length no adbd sends.
  absl::StatusOr<std::string> ReadFailMessage(uint32_t length, absl::Time deadline) {
    if (length > kMaxSyncFailMessage) {
      return absl::InternalError(absl::StrCat(what_, ": sync protocol fault: FAIL message of ",
                                              length, " bytes (adbd sends one line)"));
    }
    absl::StatusOr<std::string> msg = reader_.ReadString(length, deadline);
    if (!msg.ok()) return Err(msg.status(), "reading a FAIL");
    return msg;
  }

  // Reads a FAIL's message (after its 4-byte id) and maps it to a status.
  absl::Status ReadFail(absl::Time deadline) {
    char len[4];
    absl::Status s = reader_.ReadExact(len, 4, deadline);
    if (!s.ok()) return Err(s, "reading a FAIL");
    absl::StatusOr<std::string> msg = ReadFailMessage(GetU32(len), deadline);
    if (!msg.ok()) return msg.status();
    if (absl::StrContains(*msg, "No such file")) return absl::NotFoundError(absl::StrCat(what_, ": ", *msg));
    if (absl::StrContains(*msg, "Permission denied") || absl::StrContains(*msg, "Read-only")) {
      return absl::PermissionDeniedError(absl::StrCat(what_, ": ", *msg));
    }
    return absl::InternalError(absl::StrCat(what_, ": device said: ", *msg));
  }

  absl::StatusOr<RemoteStat> Stat(const std::string& path, bool v2, absl::Time deadline) {
    std::string req;
    AppendSyncRequest(&req, v2 ? "STA2" : "STAT", path);
    absl::Status s = sock_->WriteAll(req, deadline);
    if (!s.ok()) return Err(s, "stat");
    char rec[72];
    const size_t size = v2 ? 72 : 16;
    s = reader_.ReadExact(rec, 4, deadline);
    if (!s.ok()) return Err(s, "stat");
    if (std::memcmp(rec, "FAIL", 4) == 0) return ReadFail(deadline);
    if (std::memcmp(rec, v2 ? "STA2" : "STAT", 4) != 0) {
      return absl::InternalError(absl::StrCat(what_, ": sync protocol fault in stat reply"));
    }
    s = reader_.ReadExact(rec + 4, size - 4, deadline);
    if (!s.ok()) return Err(s, "stat");
    RemoteStat st;
    if (v2) {
      uint32_t error = GetU32(rec + 4);
      if (error != 0) {
        if (error == ENOENT || error == ENOTDIR) return st;
        return absl::InternalError(absl::StrCat(what_, ": stat ", path, ": ", std::strerror(error)));
      }
      st.exists = true;
      st.mode = GetU32(rec + 24);
      st.size_bytes = GetU64(rec + 40);
      st.mtime_s = static_cast<int64_t>(GetU64(rec + 56));
    } else {
      st.mode = GetU32(rec + 4);
      st.size_bytes = GetU32(rec + 8);
      st.mtime_s = GetU32(rec + 12);
      st.exists = st.mode != 0 || st.size_bytes != 0 || st.mtime_s != 0;
    }
    return st;
  }

 private:
  std::unique_ptr<AdbSocket> sock_;
  BufferedReader reader_;
  std::string what_;
};

}  // namespace

absl::StatusOr<RemoteStat> AdbClient::Stat(const std::string& serial, const std::string& remote_path,
                                           absl::Time deadline) {
  int64_t tid = -1;
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = Transport(serial, deadline, &tid);
  if (!sock.ok()) return sock.status();
  absl::StatusOr<AdbFeatures> features = FeaturesFor(serial, tid, deadline);
  if (!features.ok()) return features.status();
  const std::string what = absl::StrCat("device ", serial, ": stat ", remote_path);
  absl::Status s = SendRequest(sock->get(), "sync:", deadline);
  if (s.ok()) s = ReadStatus(sock->get(), what, deadline);
  if (!s.ok()) return Annotate(s, what);
  SyncStream sync(std::move(*sock), what);
  return sync.Stat(remote_path, features->Has("stat_v2"), deadline);
}

absl::Status AdbClient::Push(const std::string& serial, const std::string& local_path,
                             const std::string& remote_path, absl::Time deadline,
                             const TransferProgress& progress) {
  int fd = ::open(local_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("push ", local_path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("push ", local_path, ": not a regular file"));
  }
  absl::string_view base(local_path);
  if (size_t slash = base.rfind('/'); slash != absl::string_view::npos) base.remove_prefix(slash + 1);
  absl::Status s = PushStream(serial, fd, absl::string_view(), static_cast<uint64_t>(st.st_size),
                              remote_path, base, st.st_mode & 0777, st.st_mtime, deadline, progress);
  ::close(fd);
  return s;
}

absl::Status AdbClient::PushBytes(const std::string& serial, absl::string_view data,
                                  const std::string& remote_path, uint32_t mode,
                                  absl::Time deadline, const TransferProgress& progress) {
  return PushStream(serial, -1, data, data.size(), remote_path, absl::string_view(), mode & 0777,
                    absl::ToUnixSeconds(absl::Now()), deadline, progress);
}

absl::Status AdbClient::PushStream(const std::string& serial, int fd, absl::string_view data,
                                   uint64_t size_bytes, std::string remote_path,
                                   absl::string_view basename, uint32_t mode, int64_t mtime_s,
                                   absl::Time deadline, const TransferProgress& progress) {
  const absl::Time start = absl::Now();
  int64_t tid = -1;
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = Transport(serial, deadline, &tid);
  if (!sock.ok()) return sock.status();
  absl::StatusOr<AdbFeatures> features = FeaturesFor(serial, tid, deadline);
  if (!features.ok()) return features.status();
  std::string what = absl::StrCat("device ", serial, ": push to ", remote_path);
  absl::Status s = SendRequest(sock->get(), "sync:", deadline);
  if (s.ok()) s = ReadStatus(sock->get(), what, deadline);
  if (!s.ok()) return Annotate(s, what);
  SyncStream sync(std::move(*sock), what);

  if (!basename.empty() && absl::EndsWith(remote_path, "/")) {
    // "dir/" names a directory even where STAT v1 (lstat) would see a symlink (/sdcard).
    absl::StrAppend(&remote_path, basename);
  } else if (!basename.empty()) {
    // Like `adb push f dir`: a directory target gets the file's name appended.
    absl::StatusOr<RemoteStat> target = sync.Stat(remote_path, features->Has("stat_v2"), deadline);
    if (!target.ok()) return target.status();
    if (target->exists && target->is_dir()) {
      absl::StrAppend(&remote_path, "/", basename);
    }
  }
  const std::string send_arg = absl::StrCat(remote_path, ",", 0100000u | mode);
  if (send_arg.size() > kMaxSyncPath) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": remote path longer than 1024 bytes"));
  }

  // One buffer: [SEND hdr] then up to kChunksPerWrite x (DATA hdr + 64 KiB) then [DONE].
  std::string buf;
  buf.reserve(kChunksPerWrite * (kMaxSyncData + 8) + send_arg.size() + 32);
  AppendSyncRequest(&buf, "SEND", send_arg);
  uint64_t sent = 0;
  bool done = false;
  while (!done) {
    for (size_t i = 0; i < kChunksPerWrite && sent < size_bytes; ++i) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kMaxSyncData, size_bytes - sent));
      buf.append("DATA", 4);
      PutU32(&buf, static_cast<uint32_t>(n));
      const size_t at = buf.size();
      buf.resize(at + n);
      if (fd >= 0) {
        size_t got = 0;
        while (got < n) {
          ssize_t r = ::read(fd, buf.data() + at + got, n - got);
          if (r < 0 && errno == EINTR) continue;
          if (r <= 0) {
            return absl::DataLossError(absl::StrCat(what, ": local file shrank or read failed: ",
                                                    r < 0 ? std::strerror(errno) : "EOF"));
          }
          got += static_cast<size_t>(r);
        }
      } else {
        std::memcpy(buf.data() + at, data.data() + sent, n);
      }
      sent += n;
    }
    if (sent >= size_bytes) {
      buf.append("DONE", 4);
      PutU32(&buf, static_cast<uint32_t>(mtime_s));
      done = true;
    }
    s = sync.sock()->WriteAll(buf, deadline);
    buf.clear();
    if (!s.ok()) {
      // The device may have failed and closed: its FAIL says why.
      if (sync.sock()->Readable()) break;
      return sync.Err(s, "sending data");
    }
    if (progress) progress(sent, size_bytes);
    // adbd answers only after DONE, unless it failed: then a FAIL is waiting. Never block.
    if (!done && sync.sock()->Readable()) break;
  }
  char id[4];
  s = sync.reader().ReadExact(id, 4, deadline);
  if (!s.ok()) return sync.Err(s, "waiting for the device's answer");
  if (std::memcmp(id, "FAIL", 4) == 0) return sync.ReadFail(deadline);
  if (std::memcmp(id, "OKAY", 4) != 0) {
    return absl::InternalError(absl::StrCat(what, ": sync protocol fault after DONE"));
  }
  char ignored[4];
  s = sync.reader().ReadExact(ignored, 4, deadline);
  if (!s.ok()) return sync.Err(s, "waiting for the device's answer");
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  spdlog::debug("event=adb_push serial={} path={} bytes={} ms={:.1f}", serial, remote_path,
                size_bytes, secs * 1000);
  return absl::OkStatus();
}

absl::Status AdbClient::PullTo(const std::string& serial, const std::string& remote_path,
                               const std::function<absl::Status(absl::string_view)>& sink,
                               absl::Time deadline, const TransferProgress& progress) {
  const std::string what = absl::StrCat("device ", serial, ": pull ", remote_path);
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = OpenService(serial, "sync:", deadline);
  if (!sock.ok()) return sock.status();
  SyncStream sync(std::move(*sock), what);
  std::string req;
  AppendSyncRequest(&req, "RECV", remote_path);
  absl::Status s = sync.sock()->WriteAll(req, deadline);
  if (!s.ok()) return sync.Err(s, "RECV");
  std::string chunk;
  uint64_t got = 0;
  for (;;) {
    char hdr[8];
    s = sync.reader().ReadExact(hdr, 8, deadline);
    if (!s.ok()) return sync.Err(s, "receiving");
    if (std::memcmp(hdr, "DONE", 4) == 0) return absl::OkStatus();
    if (std::memcmp(hdr, "FAIL", 4) == 0) {
      absl::StatusOr<std::string> msg = sync.ReadFailMessage(GetU32(hdr + 4), deadline);
      if (!msg.ok()) return msg.status();
      if (absl::StrContains(*msg, "No such file")) return absl::NotFoundError(absl::StrCat(what, ": ", *msg));
      return absl::InternalError(absl::StrCat(what, ": device said: ", *msg));
    }
    if (std::memcmp(hdr, "DATA", 4) != 0) {
      return absl::InternalError(absl::StrCat(what, ": sync protocol fault in RECV"));
    }
    const uint32_t n = GetU32(hdr + 4);
    if (n > kMaxSyncData) return absl::InternalError(absl::StrCat(what, ": oversize DATA record"));
    chunk.resize(n);
    s = sync.reader().ReadExact(chunk.data(), n, deadline);
    if (!s.ok()) return sync.Err(s, "receiving");
    s = sink(chunk);
    if (!s.ok()) return s;
    got += n;
    if (progress) progress(got, 0);
  }
}

absl::Status AdbClient::Pull(const std::string& serial, const std::string& remote_path,
                             const std::string& local_path, absl::Time deadline,
                             const TransferProgress& progress) {
  const std::string tmp = local_path + ".partial";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("pull to ", local_path, ": cannot create: ", std::strerror(errno)));
  }
  absl::Status s = PullTo(
      serial, remote_path,
      [&](absl::string_view bytes) -> absl::Status {
        size_t off = 0;
        while (off < bytes.size()) {
          ssize_t w = ::write(fd, bytes.data() + off, bytes.size() - off);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) return absl::InternalError(absl::StrCat("pull to ", local_path, ": write: ", std::strerror(errno)));
          off += static_cast<size_t>(w);
        }
        return absl::OkStatus();
      },
      deadline, progress);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), local_path.c_str()) != 0) {
    s = absl::InternalError(absl::StrCat("pull to ", local_path, ": rename: ", std::strerror(errno)));
  }
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

absl::StatusOr<std::string> AdbClient::PullBytes(const std::string& serial,
                                                 const std::string& remote_path, absl::Time deadline) {
  std::string out;
  absl::Status s = PullTo(
      serial, remote_path,
      [&](absl::string_view bytes) {
        out.append(bytes.data(), bytes.size());
        return absl::OkStatus();
      },
      deadline, nullptr);
  if (!s.ok()) return s;
  return out;
}

}  // namespace benchlab::adb
