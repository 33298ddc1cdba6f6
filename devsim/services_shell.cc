// shell:, shell,v2,...:, exec:, abb_exec: and abb: — commands run by the Phone with their
// stdin/stdout/stderr carried raw (v1, exec) or in shell-protocol v2 packets.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "devsim/adb_packet.h"
#include "devsim/services.h"

namespace benchlab::devsim {
namespace {

enum ShellPacketId : char { kStdin = 0, kStdout = 1, kStderr = 2, kExit = 3, kCloseStdin = 4 };

// v1 shell and exec: bytes as they are, no exit status on the wire.
class RawIo : public CommandIo {
 public:
  explicit RawIo(AdbStream& stream) : stream_(stream) {}
  bool WriteStdout(absl::string_view data) override { return stream_.Write(data); }
  bool WriteStderr(absl::string_view data) override { return stream_.Write(data); }
  std::string ReadStdin(size_t max_bytes) override { return stream_.Read(max_bytes); }
  bool Cancelled() override { return stream_.closed(); }

 private:
  AdbStream& stream_;
};

// Shell protocol v2: every chunk is [id][u32 length][bytes], not aligned with WRTEs.
class ShellV2Io : public CommandIo {
 public:
  explicit ShellV2Io(AdbStream& stream) : stream_(stream) {}
  bool WriteStdout(absl::string_view data) override { return WritePacket(kStdout, data); }
  bool WriteStderr(absl::string_view data) override { return WritePacket(kStderr, data); }
  bool Cancelled() override { return stream_.closed(); }

  std::string ReadStdin(size_t max_bytes) override {
    while (stdin_.empty() && !stdin_eof_) {
      if (!ParseOnePacket()) {
        std::string more = stream_.Read(64 * 1024);
        if (more.empty()) {
          stdin_eof_ = true;
          break;
        }
        in_.append(more);
      }
    }
    std::string out = stdin_.substr(0, max_bytes);
    stdin_.erase(0, out.size());
    return out;
  }

  bool WriteExit(int code) {
    char status = static_cast<char>(code & 0xff);
    return WritePacket(kExit, absl::string_view(&status, 1));
  }

 private:
  bool WritePacket(char id, absl::string_view data) {
    std::string packet;
    packet.reserve(5 + data.size());
    packet.push_back(id);
    PutU32(&packet, static_cast<uint32_t>(data.size()));
    packet.append(data.data(), data.size());
    return stream_.Write(packet);
  }

  // Consumes one complete packet from in_, if there is one.
  bool ParseOnePacket() {
    if (in_.size() < 5) return false;
    const uint32_t len = GetU32(in_.data() + 1);
    if (in_.size() < 5 + static_cast<size_t>(len)) return false;
    const char id = in_[0];
    if (id == kStdin) stdin_.append(in_, 5, len);
    if (id == kCloseStdin) stdin_eof_ = true;
    // window-size (5) and anything unknown are ignored, as adbd does without a PTY.
    in_.erase(0, 5 + len);
    return true;
  }

  AdbStream& stream_;
  std::string in_;
  std::string stdin_;
  bool stdin_eof_ = false;
};

// "shell,v2,TERM=xterm,raw:echo hi" -> args "v2,TERM=xterm,raw", command "echo hi".
void SplitShellService(absl::string_view service, absl::string_view* args, absl::string_view* command) {
  const size_t colon = service.find(':');
  *args = service.substr(0, colon);
  *command = colon == absl::string_view::npos ? absl::string_view() : service.substr(colon + 1);
}

bool HasV2(absl::string_view args) {
  for (absl::string_view a : absl::StrSplit(args, ',')) {
    if (a == "v2") return true;
  }
  return false;
}

std::vector<std::string> SplitAbbArgs(absl::string_view rest) {
  std::vector<std::string> argv = {"cmd"};
  for (absl::string_view a : absl::StrSplit(rest, '\0')) argv.emplace_back(a);
  return argv;
}

// A command whose start-time disconnect fault fires: run it, then pull the cable.
bool IsAppStart(absl::string_view command) { return absl::StrContains(command, "am start"); }

int RunCommand(absl::string_view command, CommandIo& io, const ServiceContext& ctx) {
  const bool pull = ctx.phone->fault() == Fault::kDisconnect && IsAppStart(command);
  const int code = command.empty() ? ctx.phone->RunInteractive(io) : ctx.phone->RunShell(command, io);
  if (pull && ctx.pull_cable) ctx.pull_cable();
  return code;
}

}  // namespace

bool IsKnownService(absl::string_view service) {
  return absl::StartsWith(service, "shell:") || absl::StartsWith(service, "shell,") ||
         absl::StartsWith(service, "exec:") || service == "sync:" ||
         absl::StartsWith(service, "abb_exec:") || absl::StartsWith(service, "abb:");
}

void RunService(absl::string_view service, AdbStream& stream, const ServiceContext& ctx) {
  if (service == "sync:") {
    RunSyncService(stream, ctx);
    return;
  }
  if (absl::StartsWith(service, "exec:")) {
    RawIo io(stream);
    RunCommand(service.substr(5), io, ctx);
    return;
  }
  if (absl::StartsWith(service, "abb_exec:")) {
    RawIo io(stream);
    ctx.phone->RunArgv(SplitAbbArgs(service.substr(9)), io);
    return;
  }
  if (absl::StartsWith(service, "abb:")) {
    ShellV2Io io(stream);
    io.WriteExit(ctx.phone->RunArgv(SplitAbbArgs(service.substr(4)), io));
    return;
  }
  absl::string_view args, command;
  SplitShellService(service, &args, &command);
  if (HasV2(args)) {
    ShellV2Io io(stream);
    io.WriteExit(RunCommand(command, io, ctx));
  } else {
    RawIo io(stream);
    RunCommand(command, io, ctx);
  }
}

}  // namespace benchlab::devsim
