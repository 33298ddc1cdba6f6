// The sync: service (adb push/pull/ls/stat) on the phone's Vfs. The stream is a byte
// stream: records straddle WRTEs, so everything is read with ReadExact.
// Wire facts: AOSP adb protocol.txt and SYNC.TXT
#include <cerrno>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "devsim/adb_packet.h"
#include "devsim/phone/vfs.h"
#include "devsim/services.h"

namespace benchlab::devsim {
namespace {

constexpr uint32_t kMaxPathBytes = 1024;
constexpr uint32_t kMaxDataBytes = 64 * 1024;

uint32_t Id(const char (&s)[5]) { return GetU32(s); }

std::string Fail(absl::string_view message) {
  std::string out = "FAIL";
  PutU32(&out, static_cast<uint32_t>(message.size()));
  out.append(message.data(), message.size());
  return out;
}

// The 68 bytes of a stat_v2 body after id: error, dev, ino, mode, nlink, uid, gid, size,
// atime, mtime, ctime.
std::string StatV2Body(const absl::StatusOr<VfsStat>& st) {
  std::string out;
  if (!st.ok()) {
    PutU32(&out, static_cast<uint32_t>(VfsErrno(st.status())));
    out.append(64, '\0');
    return out;
  }
  const int64_t mtime = absl::ToUnixSeconds(st->mtime);
  PutU32(&out, 0);
  PutU64(&out, 0xfd00);                 // dev
  PutU64(&out, 1);                      // ino
  PutU32(&out, st->mode);
  PutU32(&out, 1);                      // nlink
  PutU32(&out, 2000);                   // uid: shell
  PutU32(&out, 2000);                   // gid
  PutU64(&out, static_cast<uint64_t>(st->size_bytes));
  PutU64(&out, static_cast<uint64_t>(mtime));
  PutU64(&out, static_cast<uint64_t>(mtime));
  PutU64(&out, static_cast<uint64_t>(mtime));
  return out;
}

std::string StatV1(const absl::StatusOr<VfsStat>& st) {
  std::string out = "STAT";
  if (!st.ok()) {
    out.append(12, '\0');  // v1 has no error field: all zeros means "does not exist"
    return out;
  }
  PutU32(&out, st->mode);
  PutU32(&out, static_cast<uint32_t>(st->size_bytes));
  PutU32(&out, static_cast<uint32_t>(absl::ToUnixSeconds(st->mtime)));
  return out;
}

std::string List(Vfs& fs, const std::string& path, bool v2) {
  std::string out;
  auto entries = fs.List(path);
  if (entries.ok()) {
    for (const VfsEntry& e : *entries) {
      if (v2) {
        out.append("DNT2");
        out.append(StatV2Body(e.stat));
      } else {
        out.append("DENT");
        PutU32(&out, e.stat.mode);
        PutU32(&out, static_cast<uint32_t>(e.stat.size_bytes));
        PutU32(&out, static_cast<uint32_t>(absl::ToUnixSeconds(e.stat.mtime)));
      }
      PutU32(&out, static_cast<uint32_t>(e.name.size()));
      out.append(e.name);
    }
  }
  out.append("DONE");
  out.append(v2 ? 72 : 16, '\0');  // DONE is padded to the size of an entry header
  return out;
}

// SEND: DATA records until DONE, then one OKAY or FAIL. A failure is reported at once
// and the rest of the upload is read and dropped, as adbd does.
bool Send(AdbStream& stream, const ServiceContext& ctx, const std::string& spec) {
  const size_t comma = spec.rfind(',');
  const std::string path = spec.substr(0, comma);
  uint32_t mode = 0100644;
  if (comma != std::string::npos && !absl::SimpleAtoi(spec.substr(comma + 1), &mode)) mode = 0100644;
  std::string data;
  std::string header, chunk;
  bool failed = false;
  while (true) {
    if (!stream.ReadExact(8, &header)) return false;
    const uint32_t id = GetU32(header.data());
    const uint32_t len = GetU32(header.data() + 4);
    if (id == Id("DATA")) {
      if (ctx.phone->fault() == Fault::kDisconnect && ctx.pull_cable) {
        ctx.pull_cable();  // the cable comes out mid-push
        return false;
      }
      if (len > kMaxDataBytes) {
        stream.Write(Fail("oversize data message"));
        return false;
      }
      if (!stream.ReadExact(len, &chunk)) return false;
      if (!failed) data.append(chunk);
    } else if (id == Id("DONE")) {
      if (failed) return true;
      absl::Status st = ctx.phone->fs().Write(path, std::move(data), mode & 07777,
                                              absl::FromUnixSeconds(len), /*make_parents=*/true);
      if (!st.ok()) return stream.Write(Fail(absl::StrCat("couldn't create file: ", st.message())));
      std::string okay = "OKAY";
      PutU32(&okay, 0);
      return stream.Write(okay);
    } else {
      stream.Write(Fail(absl::StrCat("invalid data message: expected DATA or DONE")));
      return false;
    }
  }
}

bool Recv(AdbStream& stream, const ServiceContext& ctx, const std::string& path) {
  auto contents = ctx.phone->fs().Read(path);
  if (!contents.ok()) {
    return stream.Write(Fail(absl::StrCat("open failed: ", contents.status().message())));
  }
  const std::string& bytes = **contents;
  std::string out;
  for (size_t pos = 0; pos < bytes.size(); pos += kMaxDataBytes) {
    const size_t n = std::min<size_t>(kMaxDataBytes, bytes.size() - pos);
    out.clear();
    out.append("DATA");
    PutU32(&out, static_cast<uint32_t>(n));
    out.append(bytes, pos, n);
    if (!stream.Write(out)) return false;
  }
  std::string done = "DONE";
  PutU32(&done, 0);
  return stream.Write(done);
}

}  // namespace

void RunSyncService(AdbStream& stream, const ServiceContext& ctx) {
  Vfs& fs = ctx.phone->fs();
  std::string header, path;
  while (stream.ReadExact(8, &header)) {
    const uint32_t id = GetU32(header.data());
    const uint32_t len = GetU32(header.data() + 4);
    if (id == Id("QUIT")) return;
    if (len > kMaxPathBytes) {
      stream.Write(Fail("path too long"));
      return;
    }
    if (!stream.ReadExact(len, &path)) return;
    bool ok = true;
    if (id == Id("STAT")) {
      // v1 STAT is lstat; the Vfs has no symlinks, so stat and lstat agree.
      ok = stream.Write(StatV1(fs.Stat(path)));
    } else if (id == Id("STA2") || id == Id("LST2")) {
      std::string reply(header, 0, 4);
      reply.append(StatV2Body(fs.Stat(path)));
      ok = stream.Write(reply);
    } else if (id == Id("LIST")) {
      ok = stream.Write(List(fs, path, false));
    } else if (id == Id("LIS2")) {
      ok = stream.Write(List(fs, path, true));
    } else if (id == Id("SEND")) {
      ok = Send(stream, ctx, path);
    } else if (id == Id("RECV")) {
      ok = Recv(stream, ctx, path);
    } else {
      stream.Write(Fail(absl::StrCat("unknown command ", header.substr(0, 4))));
      return;
    }
    if (!ok) return;
  }
}

}  // namespace benchlab::devsim
