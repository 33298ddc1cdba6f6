// AdbClient: host queries, transport selection, features cache, shell (v2 / v1 with an
// exit marker), exec and track-devices. Sync, install and logcat live in their own files.
#include "agent/adb/adb_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_io.h"
#include "agent/adb/adb_protocol.h"
#include "spdlog/spdlog.h"

namespace benchlab::adb {
namespace {

// Appended to v1 shell commands as `; echo <marker>$?` to recover the exit status.
constexpr absl::string_view kExitMarker = "x4BENCHLAB_EXIT:";
// adbd of old devices caps the OPEN payload; the adb CLI refuses v1 commands over 4 KiB.
constexpr size_t kMaxServiceBytes = 4095;

std::string Dev(const std::string& serial) { return absl::StrCat("device ", serial); }

// Length of the longest suffix of `s` that is a proper prefix of `marker`.
size_t MarkerPrefixSuffix(absl::string_view s, absl::string_view marker) {
  for (size_t n = std::min(s.size(), marker.size() - 1); n > 0; --n) {
    if (absl::EndsWith(s, marker.substr(0, n))) return n;
  }
  return 0;
}

}  // namespace

AdbClient::AdbClient(std::unique_ptr<AdbConnector> connector) : connector_(std::move(connector)) {}

std::unique_ptr<AdbClient> AdbClient::ConnectLocal(const TcpConnectorOptions& options) {
  return std::make_unique<AdbClient>(MakeTcpAdbConnector(options));
}

absl::StatusOr<std::string> AdbClient::HostQuery(absl::string_view request, absl::Time deadline) {
  absl::StatusOr<std::string> reply = HostQueryUncounted(request, deadline);
  if (!reply.ok()) ++host_errors_;
  return reply;
}

absl::StatusOr<std::string> AdbClient::HostQueryUncounted(absl::string_view request, absl::Time deadline) {
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = connector_->Connect(deadline);
  if (!sock.ok()) return sock.status();
  const std::string what = absl::StrCat("adb server ", connector_->Describe(), " (", request, ")");
  absl::Status s = SendRequest(sock->get(), request, deadline);
  if (!s.ok()) return Annotate(s, what);
  s = ReadStatus(sock->get(), what, deadline);
  if (!s.ok()) return s;
  absl::StatusOr<std::string> reply = ReadProtocolString(sock->get(), deadline);
  if (!reply.ok()) return Annotate(reply.status(), what);
  return reply;
}

absl::StatusOr<int> AdbClient::ServerVersion(absl::Time deadline) {
  absl::StatusOr<std::string> reply = HostQuery("host:version", deadline);
  if (!reply.ok()) return reply.status();
  int v = ParseHex4(*reply);
  if (v < 0) {
    return absl::InternalError(absl::StrCat("adb server ", connector_->Describe(),
                                            ": unparseable version '", *reply, "'"));
  }
  return v;
}

absl::StatusOr<std::vector<AdbDevice>> AdbClient::Devices(absl::Time deadline) {
  absl::StatusOr<std::string> reply = HostQuery("host:devices-l", deadline);
  if (!reply.ok()) return reply.status();
  return ParseDevicesList(*reply);
}

absl::StatusOr<std::string> AdbClient::GetState(const std::string& serial, absl::Time deadline) {
  absl::StatusOr<std::string> reply =
      HostQuery(absl::StrCat("host-serial:", serial, ":get-state"), deadline);
  if (!reply.ok()) return Annotate(reply.status(), Dev(serial));
  return std::string(absl::StripAsciiWhitespace(*reply));
}

absl::StatusOr<std::string> AdbClient::ConnectDevice(const std::string& host_port,
                                                     absl::Time deadline) {
  absl::StatusOr<std::string> reply = HostQuery(absl::StrCat("host:connect:", host_port), deadline);
  if (!reply.ok()) return reply.status();
  // The server answers OKAY even when connecting failed; only the text tells.
  std::string msg(absl::StripAsciiWhitespace(*reply));
  if (absl::StartsWith(msg, "connected to") || absl::StartsWith(msg, "already connected")) {
    spdlog::info("event=adb_connect serial={} msg=\"{}\"", host_port, msg);
    return msg;
  }
  return absl::UnavailableError(absl::StrCat("adb connect ", host_port, ": ", msg));
}

absl::Status AdbClient::DisconnectDevice(const std::string& host_port, absl::Time deadline) {
  absl::StatusOr<std::string> reply =
      HostQuery(absl::StrCat("host:disconnect:", host_port), deadline);
  if (!reply.ok()) return reply.status();
  spdlog::info("event=adb_disconnect serial={}", host_port);
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_set<std::string>> AdbClient::HostFeatures(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (have_host_features_) return host_features_;
  }
  absl::StatusOr<std::string> reply = HostQuery("host:host-features", deadline);
  if (!reply.ok()) return reply.status();
  absl::flat_hash_set<std::string> names;
  for (absl::string_view f : absl::StrSplit(absl::StripAsciiWhitespace(*reply), ',', absl::SkipEmpty())) {
    names.insert(std::string(f));
  }
  absl::MutexLock lock(&mu_);
  have_host_features_ = true;
  host_features_ = names;
  return names;
}

absl::StatusOr<AdbFeatures> AdbClient::FeaturesFor(const std::string& serial, int64_t transport_id,
                                                   absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    auto it = features_.find(serial);
    if (transport_id >= 0 && it != features_.end() && it->second.transport_id == transport_id) {
      return it->second.features;
    }
  }
  absl::StatusOr<absl::flat_hash_set<std::string>> host = HostFeatures(deadline);
  if (!host.ok()) return host.status();
  absl::StatusOr<std::string> reply =
      HostQuery(absl::StrCat("host-serial:", serial, ":features"), deadline);
  if (!reply.ok()) return Annotate(reply.status(), Dev(serial));
  AdbFeatures features;
  for (absl::string_view f : absl::StrSplit(absl::StripAsciiWhitespace(*reply), ',', absl::SkipEmpty())) {
    // Usable only when the server supports it too (adb's CanUseFeature).
    if (host->contains(f)) features.names.insert(std::string(f));
  }
  spdlog::debug("event=adb_features serial={} transport_id={} features={}", serial, transport_id,
                *reply);
  absl::MutexLock lock(&mu_);
  features_[serial] = CachedFeatures{transport_id, features};
  return features;
}

absl::StatusOr<AdbFeatures> AdbClient::Features(const std::string& serial, absl::Time deadline) {
  int64_t transport_id = -1;
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = Transport(serial, deadline, &transport_id);
  if (!sock.ok()) return sock.status();
  return FeaturesFor(serial, transport_id, deadline);
}

absl::StatusOr<std::unique_ptr<AdbSocket>> AdbClient::Transport(const std::string& serial,
                                                                absl::Time deadline,
                                                                int64_t* transport_id) {
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = TransportUncounted(serial, deadline, transport_id);
  if (!sock.ok()) ++transport_errors_;
  return sock;
}

absl::StatusOr<std::unique_ptr<AdbSocket>> AdbClient::TransportUncounted(const std::string& serial,
                                                                         absl::Time deadline,
                                                                         int64_t* transport_id) {
  *transport_id = -1;
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = connector_->Connect(deadline);
  if (!sock.ok()) return sock.status();
  absl::Status s = SendRequest(sock->get(), absl::StrCat("host:tport:serial:", serial), deadline);
  if (!s.ok()) return Annotate(s, Dev(serial));
  s = ReadStatus(sock->get(), Dev(serial), deadline);
  if (s.ok()) {
    absl::StatusOr<std::string> id = ReadExactly(sock->get(), 8, deadline);
    if (!id.ok()) return Annotate(id.status(), Dev(serial));
    *transport_id = static_cast<int64_t>(GetU64(id->data()));
    return sock;
  }
  if (s.code() != absl::StatusCode::kUnimplemented || !absl::StrContains(s.message(), "unknown host service")) {
    return s;
  }
  // Servers before 2019 have no tport: the legacy request selects the same device.
  sock = connector_->Connect(deadline);
  if (!sock.ok()) return sock.status();
  s = SendRequest(sock->get(), absl::StrCat("host:transport:", serial), deadline);
  if (!s.ok()) return Annotate(s, Dev(serial));
  s = ReadStatus(sock->get(), Dev(serial), deadline);
  if (!s.ok()) return s;
  return sock;
}

namespace {
absl::Status StartService(AdbSocket* sock, const std::string& serial, absl::string_view service,
                          absl::Time deadline) {
  const std::string what =
      absl::StrCat("device ", serial, ": service '", service.substr(0, service.find(':') + 1), "'");
  if (service.size() > kMaxServiceBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": service string of ", service.size(),
                                                   " bytes; keep it under 4 KiB"));
  }
  absl::Status s = SendRequest(sock, service, deadline);
  if (!s.ok()) return Annotate(s, what);
  return ReadStatus(sock, what, deadline);
}
}  // namespace

absl::StatusOr<std::unique_ptr<AdbSocket>> AdbClient::OpenService(const std::string& serial,
                                                                  absl::string_view service,
                                                                  absl::Time deadline) {
  int64_t transport_id = -1;
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = Transport(serial, deadline, &transport_id);
  if (!sock.ok()) return sock.status();
  absl::Status s = StartService(sock->get(), serial, service, deadline);
  if (!s.ok()) return s;
  return sock;
}

absl::StatusOr<std::string> AdbClient::Exec(const std::string& serial, const std::string& command,
                                            absl::Time deadline) {
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock =
      OpenService(serial, absl::StrCat("exec:", command), deadline);
  if (!sock.ok()) return sock.status();
  absl::StatusOr<std::string> out = ReadToEof(sock->get(), deadline);
  if (!out.ok()) return Annotate(out.status(), absl::StrCat(Dev(serial), ": exec '", command, "'"));
  return out;
}

absl::StatusOr<int> AdbClient::ShellStreaming(
    const std::string& serial, const std::string& command,
    const std::function<void(ShellStream, absl::string_view)>& on_output, AdbCancel* cancel,
    absl::Time deadline, ShellProtocol protocol) {
  return RunShell(serial, command, on_output, cancel, deadline, protocol, /*v1_marker=*/true);
}

absl::StatusOr<int> AdbClient::RunShell(
    const std::string& serial, const std::string& command,
    const std::function<void(ShellStream, absl::string_view)>& on_output, AdbCancel* cancel,
    absl::Time deadline, ShellProtocol protocol, bool v1_marker, bool* used_v2) {
  const std::string what = absl::StrCat(Dev(serial), ": shell '", command.substr(0, 200), "'");
  if (cancel != nullptr && cancel->cancelled()) return absl::CancelledError(what + ": cancelled");
  int64_t transport_id = -1;
  absl::StatusOr<std::unique_ptr<AdbSocket>> sock = Transport(serial, deadline, &transport_id);
  if (!sock.ok()) return sock.status();
  bool v2 = protocol == ShellProtocol::kV2;
  if (protocol == ShellProtocol::kAuto) {
    absl::StatusOr<AdbFeatures> features = FeaturesFor(serial, transport_id, deadline);
    if (!features.ok()) return features.status();
    v2 = features->Has("shell_v2");
  }
  if (used_v2 != nullptr) *used_v2 = v2;
  const std::string service = v2 ? absl::StrCat("shell,v2,raw:", command)
                              : v1_marker ? absl::StrCat("shell:", command, "; echo ", kExitMarker, "$?")
                                          : absl::StrCat("shell:", command);
  absl::Status s = StartService(sock->get(), serial, service, deadline);
  if (!s.ok()) return s;
  spdlog::debug("event=adb_shell serial={} v2={} cmd=\"{}\"", serial, v2, command.substr(0, 200));

  if (cancel != nullptr && !cancel->Attach(sock->get())) {
    return absl::CancelledError(what + ": cancelled");
  }
  struct Detach {
    AdbCancel* c;
    ~Detach() {
      if (c != nullptr) c->Attach(nullptr);
    }
  } detach{cancel};

  std::string buf(256 * 1024, '\0');
  ShellV2Parser parser;
  int exit_code = -1;
  std::string held;  // v1: bytes that may be (the start of) the exit marker
  for (;;) {
    absl::StatusOr<size_t> n = (*sock)->ReadSome(buf.data(), buf.size(), deadline);
    if (!n.ok()) {
      if (n.status().code() == absl::StatusCode::kCancelled) {
        return absl::CancelledError(what + ": cancelled");
      }
      if (n.status().code() == absl::StatusCode::kDeadlineExceeded) {
        return absl::DeadlineExceededError(what + ": timeout (deadline reached)");
      }
      return Annotate(n.status(), what);
    }
    if (*n == 0) break;
    absl::string_view chunk(buf.data(), *n);
    if (v2) {
      parser.Feed(chunk, [&](uint8_t id, absl::string_view payload) {
        if (id == ShellV2Parser::kStdout) {
          on_output(ShellStream::kStdout, payload);
        } else if (id == ShellV2Parser::kStderr) {
          on_output(ShellStream::kStderr, payload);
        } else if (id == ShellV2Parser::kExit && !payload.empty()) {
          exit_code = static_cast<uint8_t>(payload[0]);
        }
      });
    } else if (!v1_marker) {
      on_output(ShellStream::kStdout, chunk);
    } else {
      // Pass everything on except a tail that could be the marker, so lines are not delayed.
      held.append(chunk.data(), chunk.size());
      size_t keep = held.size();
      size_t pos = absl::string_view(held).find(kExitMarker);
      if (pos == std::string::npos) keep = MarkerPrefixSuffix(held, kExitMarker);
      else keep = held.size() - pos;
      if (held.size() > keep) {
        on_output(ShellStream::kStdout, absl::string_view(held).substr(0, held.size() - keep));
        held.erase(0, held.size() - keep);
      }
    }
  }
  if (v2) {
    if (exit_code < 0) {
      return absl::UnavailableError(
          what + ": the shell stream ended without an exit status (device disconnected?)");
    }
    return exit_code;
  }
  if (!v1_marker) return 0;
  size_t pos = absl::string_view(held).rfind(kExitMarker);
  if (pos == std::string::npos) {
    if (!held.empty()) on_output(ShellStream::kStdout, held);
    return absl::DataLossError(what + ": no exit status (v1 shell without shell_v2: the "
                                      "command ended the shell itself, or the device went away)");
  }
  if (pos > 0) on_output(ShellStream::kStdout, absl::string_view(held).substr(0, pos));
  absl::string_view rest = absl::StripAsciiWhitespace(absl::string_view(held).substr(pos + kExitMarker.size()));
  int code = 0;
  if (!absl::SimpleAtoi(rest, &code)) {
    return absl::DataLossError(absl::StrCat(what, ": unreadable exit marker '", rest, "'"));
  }
  return code;
}

absl::StatusOr<ShellResult> AdbClient::Shell(const std::string& serial, const std::string& command,
                                             absl::Time deadline, ShellProtocol protocol) {
  ShellResult result;
  absl::StatusOr<int> code = RunShell(
      serial, command,
      [&](ShellStream stream, absl::string_view bytes) {
        (stream == ShellStream::kStdout ? result.stdout_data : result.stderr_data)
            .append(bytes.data(), bytes.size());
      },
      nullptr, deadline, protocol, /*v1_marker=*/true, &result.shell_v2);
  if (!code.ok()) return code.status();
  result.exit_code = *code;
  return result;
}

absl::Status AdbClient::TrackDevices(
    const std::function<void(const std::vector<AdbDevice>&)>& on_snapshot, AdbCancel* cancel) {
  absl::Duration backoff = absl::Milliseconds(100);
  for (;;) {
    if (cancel->cancelled()) return absl::CancelledError("track-devices cancelled");
    absl::Status status;
    absl::StatusOr<std::unique_ptr<AdbSocket>> sock =
        connector_->Connect(absl::Now() + absl::Seconds(10));
    if (!sock.ok()) {
      status = sock.status();
    } else if (!cancel->Attach(sock->get())) {
      return absl::CancelledError("track-devices cancelled");
    } else {
      const absl::Time handshake = absl::Now() + absl::Seconds(10);
      status = SendRequest(sock->get(), "host:track-devices-l", handshake);
      if (status.ok()) status = ReadStatus(sock->get(), "adb server (track-devices)", handshake);
      while (status.ok()) {
        // Each message is a whole snapshot: hex4 length, then that many bytes.
        absl::StatusOr<std::string> snapshot =
            ReadProtocolString(sock->get(), absl::InfiniteFuture());
        if (!snapshot.ok()) {
          status = snapshot.status();
          break;
        }
        backoff = absl::Milliseconds(100);
        on_snapshot(ParseDevicesList(*snapshot));
      }
      cancel->Attach(nullptr);
    }
    if (cancel->cancelled()) return absl::CancelledError("track-devices cancelled");
    spdlog::info("event=adb_track_reattach backoff_ms={} reason=\"{}\"",
                 absl::ToInt64Milliseconds(backoff), status.ToString());
    if (cancel->SleepFor(backoff)) return absl::CancelledError("track-devices cancelled");
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

}  // namespace benchlab::adb
