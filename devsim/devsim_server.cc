// Listening sockets, plug/unplug and the control protocol of a devsim process.
#include "devsim/devsim_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "devsim/phone/cpu_topology.h"
#include "spdlog/spdlog.h"

namespace benchlab::devsim {
namespace {

std::string Banner(const PhoneProfile& p, const std::string& features) {
  return absl::StrCat("device::ro.product.name=", p.product_name, ";ro.product.model=", p.model,
                      ";ro.product.device=", p.device, ";features=", features);
}

// The adbd features a phone of `sdk` can have out of `features`: none before 7.0 (shell_v2,
// the first feature, came with adb 1.0.36 in Nougat), and abb/abb_exec/apex only from 10.
std::string FeaturesFor(int sdk, const std::string& features) {
  if (sdk <= 23) return "";
  if (sdk >= 29) return features;
  std::vector<absl::string_view> kept;
  for (absl::string_view f : absl::StrSplit(features, ',', absl::SkipEmpty())) {
    if (f != "abb" && f != "abb_exec" && f != "apex") kept.push_back(f);
  }
  return absl::StrJoin(kept, ",");
}

// Commands run for the control port with their output collected.
class StringIo : public CommandIo {
 public:
  bool WriteStdout(absl::string_view d) override { out.append(d.data(), d.size()); return true; }
  bool WriteStderr(absl::string_view d) override { out.append(d.data(), d.size()); return true; }
  std::string ReadStdin(size_t) override { return ""; }
  bool Cancelled() override { return false; }
  std::string out;
};

// Control commands that are the phone's `devsimctl` knobs of the same name.
bool IsConditionCommand(const std::string& cmd) {
  return cmd == "temp" || cmd == "soc-temp" || cmd == "battery" || cmd == "charging" ||
         cmd == "screen" || cmd == "noise" || cmd == "slowdown";
}

int ListenOn(int port, std::string* error) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0) {
    *error = absl::StrCat("cannot listen on 127.0.0.1:", port, ": ", strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

DevsimServer::DevsimServer(DevsimOptions options) : options_(std::move(options)) {}

absl::Status DevsimServer::Start() {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < options_.count; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->index = i;
    slot->port = options_.base_port + i;
    PhoneProfile profile = MakeProfile(options_.seed, i);
    for (const auto& [index, android] : options_.android) {
      if (index < -1 || index >= options_.count) {
        return absl::InvalidArgumentError(absl::StrCat("--android: no phone ", index));
      }
      if (index != -1 && index != i) continue;
      profile.android_release = android.release;
      profile.sdk = android.sdk;
    }
    for (const auto& [index, clusters] : options_.cpu_topologies) {
      if (index < -1 || index >= options_.count) {
        return absl::InvalidArgumentError(absl::StrCat("--cpu-topology: no phone ", index));
      }
      if (index == -1 || index == i) ApplyCpuTopology(clusters, &profile);
    }
    slot->phone = std::make_unique<Phone>(std::move(profile), options_.seed + i,
                                          options_.run_duration, options_.sim);
    for (const DevsimOptions::Slowdown& sd : options_.slowdowns) {
      if (sd.index < -1 || sd.index >= options_.count) {
        return absl::InvalidArgumentError(absl::StrCat("--slowdown: no phone ", sd.index));
      }
      if (sd.index != -1 && sd.index != i) continue;
      StringIo io;
      if (slot->phone->RunShell(absl::StrCat("devsimctl slowdown ", sd.sha256, " ", sd.pct), io) != 0) {
        return absl::InvalidArgumentError(absl::StrCat("--slowdown: ", io.out));
      }
    }
    slot->banner = Banner(slot->phone->profile(),
                          FeaturesFor(slot->phone->profile().sdk, options_.features));
    slots_.push_back(std::move(slot));
  }
  // Start-time faults first, then the listener, so only faults set later (devsimctl,
  // control port) act at once; start-time disconnects wait for a push or a run.
  for (const auto& [index, fault] : options_.faults) {
    if (index < 0 || index >= options_.count) {
      return absl::InvalidArgumentError(absl::StrCat("--fault: no phone ", index));
    }
    slots_[index]->phone->SetFault(fault);
  }
  for (auto& slot : slots_) {
    const int index = slot->index;
    slot->phone->SetLinkFaultListener([this, index](Fault f) { OnLinkFault(index, f); });
    absl::Status st = Listen(*slot);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status DevsimServer::Listen(Slot& slot) {
  std::string error;
  const int fd = ListenOn(slot.port, &error);
  if (fd < 0) return absl::UnavailableError(error);
  slot.listen_fd = fd;
  slot.accept_thread = std::thread([this, s = &slot, fd] { AcceptLoop(s, fd); });
  return absl::OkStatus();
}

void DevsimServer::AcceptLoop(Slot* slot, int listen_fd) {
  while (true) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // the listening socket was shut down: unplugged
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto* link = new DeviceConnection(fd, slot->phone.get(), slot->banner,
                                      [this, index = slot->index] { OnLinkFault(index, Fault::kDisconnect); });
    {
      absl::MutexLock lock(&mu_);
      if (slot->listen_fd != listen_fd) {  // unplugged meanwhile
        link->Drop();
      }
      slot->links.insert(link);
    }
    spdlog::info("event=adb_link phone={} port={}", slot->index, slot->port);
    std::thread([this, slot, link] {
      link->Serve();
      {
        absl::MutexLock lock(&mu_);
        slot->links.erase(link);
      }
      delete link;
      spdlog::info("event=adb_link_closed phone={} port={}", slot->index, slot->port);
    }).detach();
  }
}

void DevsimServer::OnLinkFault(int index, Fault fault) {
  // Called from inside the phone (devsimctl) or a service thread: act from a thread of
  // our own, after a moment, so the command that asked still gets its answer.
  std::thread([this, index, fault] {
    absl::SleepFor(absl::Milliseconds(100));
    if (fault == Fault::kDisconnect) {
      slots_[index]->phone->SetFault(Fault::kNone);
      (void)Unplug(index);
    } else if (fault == Fault::kUnauthorized) {
      absl::MutexLock lock(&mu_);
      for (DeviceConnection* link : slots_[index]->links) link->Drop();  // reconnect meets AUTH
    }
  }).detach();
}

absl::Status DevsimServer::Unplug(int index) {
  if (index < 0 || index >= static_cast<int>(slots_.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no phone ", index));
  }
  Slot& slot = *slots_[index];
  std::thread accept_thread;
  {
    absl::MutexLock lock(&mu_);
    if (slot.listen_fd >= 0) {
      shutdown(slot.listen_fd, SHUT_RDWR);
      close(slot.listen_fd);
      slot.listen_fd = -1;
      accept_thread = std::move(slot.accept_thread);
    }
    for (DeviceConnection* link : slot.links) link->Drop();
  }
  if (accept_thread.joinable()) accept_thread.join();
  spdlog::info("event=unplugged phone={} port={}", index, slot.port);
  return absl::OkStatus();
}

absl::Status DevsimServer::Plug(int index) {
  if (index < 0 || index >= static_cast<int>(slots_.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no phone ", index));
  }
  absl::MutexLock lock(&mu_);
  Slot& slot = *slots_[index];
  if (slot.listen_fd >= 0) return absl::OkStatus();
  spdlog::info("event=plugged phone={} port={}", index, slot.port);
  return Listen(slot);
}

absl::Status DevsimServer::SetFault(int index, Fault fault) {
  if (index < 0 || index >= static_cast<int>(slots_.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no phone ", index));
  }
  slots_[index]->phone->SetFault(fault);
  return absl::OkStatus();
}

std::string DevsimServer::Control(absl::string_view line) {
  std::vector<std::string> words = absl::StrSplit(absl::StripAsciiWhitespace(line), ' ', absl::SkipEmpty());
  if (words.empty()) return "error: empty command";
  const std::string& cmd = words[0];
  if (cmd == "list") {
    std::vector<std::string> rows;
    absl::MutexLock lock(&mu_);
    for (const auto& s : slots_) {
      rows.push_back(absl::StrCat(s->index, " 127.0.0.1:", s->port, " ",
                                  s->listen_fd >= 0 ? "plugged" : "unplugged", " fault=",
                                  FaultName(s->phone->fault()), " model=", s->phone->profile().model));
    }
    return absl::StrJoin(rows, "\n") + "\nok";
  }
  int index = -1;
  if (words.size() < 2 || !absl::SimpleAtoi(words[1], &index)) {
    return "error: usage: list | fault INDEX NAME | unplug INDEX | plug INDEX | status INDEX | "
           "temp INDEX CELSIUS | soc-temp INDEX CELSIUS | battery INDEX LEVEL | "
           "charging INDEX none|usb|ac|wireless | screen INDEX on|off | noise INDEX PCT | "
           "slowdown INDEX SHA256 PCT | slowdown INDEX clear";
  }
  absl::Status st;
  if (cmd == "unplug") {
    st = Unplug(index);
  } else if (cmd == "plug") {
    st = Plug(index);
  } else if (cmd == "fault" && words.size() == 3) {
    Fault fault;
    if (!ParseFault(words[2], &fault)) return absl::StrCat("error: unknown fault '", words[2], "'");
    st = SetFault(index, fault);
  } else if (IsConditionCommand(cmd) && words.size() >= 3 && index >= 0 &&
             index < static_cast<int>(slots_.size())) {
    // The run-condition knobs are the phone's own `devsimctl` commands.
    std::vector<std::string> args(words.begin() + 2, words.end());
    StringIo io;
    if (slots_[index]->phone->RunShell(
            absl::StrCat("devsimctl ", cmd, " ", absl::StrJoin(args, " ")), io) != 0) {
      return absl::StrCat("error: ", absl::StripAsciiWhitespace(io.out));
    }
  } else if (cmd == "status" && index >= 0 && index < static_cast<int>(slots_.size())) {
    StringIo io;
    slots_[index]->phone->RunShell("devsimctl status", io);
    return absl::StrCat(absl::StripAsciiWhitespace(io.out), "\nok");
  } else {
    return absl::StrCat("error: unknown command '", line, "'");
  }
  return st.ok() ? "ok" : absl::StrCat("error: ", st.message());
}

absl::Status DevsimServer::StartControl(int port) {
  std::string error;
  const int fd = ListenOn(port, &error);
  if (fd < 0) return absl::UnavailableError(error);
  std::thread([this, fd] {
    while (true) {
      int client = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR) continue;
        return;
      }
      std::thread([this, client] {
        std::string buffer;
        char chunk[512];
        ssize_t n;
        while ((n = recv(client, chunk, sizeof(chunk), 0)) > 0) {
          buffer.append(chunk, static_cast<size_t>(n));
          size_t nl;
          while ((nl = buffer.find('\n')) != std::string::npos) {
            std::string reply = Control(buffer.substr(0, nl)) + "\n";
            buffer.erase(0, nl + 1);
            if (send(client, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
          }
        }
        close(client);
      }).detach();
    }
  }).detach();
  return absl::OkStatus();
}

}  // namespace benchlab::devsim
