// Request/reply primitives of the smart-socket protocol and a buffered record reader.
#include "agent/adb/adb_io.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/adb/adb_protocol.h"

namespace benchlab::adb {

absl::Status SendRequest(AdbSocket* socket, absl::string_view payload, absl::Time deadline) {
  absl::StatusOr<std::string> framed = FrameRequest(payload);
  if (!framed.ok()) return framed.status();
  return socket->WriteAll(*framed, deadline);
}

absl::StatusOr<std::string> ReadExactly(AdbSocket* socket, size_t n, absl::Time deadline) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    absl::StatusOr<size_t> r = socket->ReadSome(out.data() + got, n - got, deadline);
    if (!r.ok()) return r.status();
    if (*r == 0) {
      return absl::UnavailableError("the adb server closed the connection unexpectedly");
    }
    got += *r;
  }
  return out;
}

absl::Status ReadStatus(AdbSocket* socket, absl::string_view what, absl::Time deadline) {
  absl::StatusOr<std::string> status = ReadExactly(socket, 4, deadline);
  if (!status.ok()) return Annotate(status.status(), what);
  if (*status == "OKAY") return absl::OkStatus();
  if (*status == "FAIL") {
    absl::StatusOr<std::string> msg = ReadProtocolString(socket, deadline);
    if (!msg.ok()) return Annotate(msg.status(), what);
    return FailToStatus(what, *msg);
  }
  return absl::InternalError(absl::StrCat(what, ": adb protocol fault: expected OKAY/FAIL, got '",
                                          absl::CHexEscape(*status), "'"));
}

absl::StatusOr<std::string> ReadProtocolString(AdbSocket* socket, absl::Time deadline) {
  absl::StatusOr<std::string> hex = ReadExactly(socket, 4, deadline);
  if (!hex.ok()) return hex.status();
  int len = ParseHex4(*hex);
  if (len < 0) {
    return absl::InternalError(
        absl::StrCat("adb protocol fault: bad length prefix '", absl::CHexEscape(*hex), "'"));
  }
  return ReadExactly(socket, static_cast<size_t>(len), deadline);
}

absl::StatusOr<std::string> ReadToEof(AdbSocket* socket, absl::Time deadline) {
  std::string out;
  char buf[65536];
  for (;;) {
    absl::StatusOr<size_t> r = socket->ReadSome(buf, sizeof(buf), deadline);
    if (!r.ok()) return r.status();
    if (*r == 0) return out;
    out.append(buf, *r);
  }
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

absl::Status BufferedReader::ReadExact(char* out, size_t n, absl::Time deadline) {
  while (n > 0) {
    if (begin_ == end_) {
      begin_ = end_ = 0;
      // Large reads go straight to the caller's buffer.
      char* dst = n >= buf_.size() ? out : buf_.data();
      size_t cap = n >= buf_.size() ? n : buf_.size();
      absl::StatusOr<size_t> r = socket_->ReadSome(dst, cap, deadline);
      if (!r.ok()) return r.status();
      if (*r == 0) return absl::UnavailableError("the stream ended in the middle of a record");
      if (dst == out) {
        out += *r;
        n -= *r;
        continue;
      }
      end_ = *r;
    }
    size_t take = std::min(n, end_ - begin_);
    std::memcpy(out, buf_.data() + begin_, take);
    begin_ += take;
    out += take;
    n -= take;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BufferedReader::ReadString(size_t n, absl::Time deadline) {
  std::string s(n, '\0');
  absl::Status st = ReadExact(s.data(), n, deadline);
  if (!st.ok()) return st;
  return s;
}

}  // namespace benchlab::adb
