// libFuzzer: the agent's adb host-protocol client fed any server reply. An in-memory
// server answers the transport and feature requests as adb 29 does and then sends the
// input as the device service's bytes (sync STAT/STA2 and RECV records, shell v1 output
// or shell v2 packets) or as the whole host:devices-l reply; the first input byte picks
// the call. The pure codecs (hex4, FAIL reasons, devices-l lines, shell v2 reassembly in
// any chunking) are fed directly. Every call must return a Status, never crash or hang.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "agent/adb/adb_protocol.h"
#include "agent/adb/adb_socket.h"

namespace {

using benchlab::adb::AdbSocket;

constexpr char kSerial[] = "127.0.0.1:40001";

std::string Proto(absl::string_view s) { return absl::StrFormat("%04x", s.size()) + std::string(s); }

// One connection to the scripted server: requests are answered as soon as they are
// complete; reads past the script's end see EOF (the server hung up).
class ScriptedSocket : public AdbSocket {
 public:
  ScriptedSocket(absl::string_view features, absl::string_view reply)
      : features_(features), reply_(reply) {}

  absl::Status WriteAll(absl::string_view data, absl::Time) override {
    if (in_service_) return absl::OkStatus();  // sync requests, shell stdin: not checked
    in_.append(data.data(), data.size());
    while (!in_service_ && in_.size() >= 4) {
      const int n = benchlab::adb::ParseHex4(absl::string_view(in_).substr(0, 4));
      if (n < 0 || in_.size() < 4 + static_cast<size_t>(n)) break;
      Answer(in_.substr(4, n));
      in_.erase(0, 4 + n);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> ReadSome(char* buf, size_t max_bytes, absl::Time) override {
    const size_t n = std::min(max_bytes, out_.size() - out_pos_);
    std::memcpy(buf, out_.data() + out_pos_, n);
    out_pos_ += n;
    return n;
  }
  bool Readable() override { return true; }
  void Shutdown() override {}

 private:
  void Answer(const std::string& request) {
    if (request == "host:host-features" || absl::EndsWith(request, ":features")) {
      out_ += "OKAY" + Proto(features_);
    } else if (absl::StartsWith(request, "host:tport:")) {
      out_ += "OKAY";
      out_.append("\x01\0\0\0\0\0\0\0", 8);  // transport id 1
    } else if (absl::StartsWith(request, "host:devices")) {
      out_ += reply_;  // the whole reply, status included
      in_service_ = true;
    } else {
      out_ += "OKAY" + reply_;  // a device service: OKAY, then its bytes
      in_service_ = true;
    }
  }

  const std::string features_;
  const std::string reply_;
  std::string in_;
  std::string out_;
  size_t out_pos_ = 0;
  bool in_service_ = false;
};

class ScriptedConnector : public benchlab::adb::AdbConnector {
 public:
  ScriptedConnector(std::string features, std::string reply)
      : features_(std::move(features)), reply_(std::move(reply)) {}
  absl::StatusOr<std::unique_ptr<AdbSocket>> Connect(absl::Time) override {
    return std::make_unique<ScriptedSocket>(features_, reply_);
  }
  std::string Describe() const override { return "fuzz server"; }

 private:
  const std::string features_;
  const std::string reply_;
};

void FeedCodecs(absl::string_view input) {
  (void)benchlab::adb::ParseHex4(input.substr(0, 4));
  (void)benchlab::adb::FailToStatus("device fuzz", input);
  (void)benchlab::adb::ParseDevicesList(input);
  (void)benchlab::adb::FrameRequest(input);
  // Shell v2 packets in chunks whose sizes come from the input itself.
  benchlab::adb::ShellV2Parser parser;
  size_t total = 0;
  absl::string_view rest = input;
  while (!rest.empty()) {
    const size_t take = 1 + static_cast<uint8_t>(rest[0]) % 17;
    parser.Feed(rest.substr(0, take), [&](uint8_t, absl::string_view payload) { total += payload.size(); });
    rest.remove_prefix(std::min(take, rest.size()));
  }
  if (total > input.size()) std::abort();  // payload can only come from the input
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string reply(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Bit 3 of the first byte: a device with or without the v2 features.
  const std::string features = (mode & 8) ? "shell_v2,cmd,stat_v2,ls_v2" : "cmd";
  benchlab::adb::AdbClient client(std::make_unique<ScriptedConnector>(features, reply));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  switch (mode % 8) {
    case 0:
      (void)client.Stat(kSerial, "/data/local/tmp/model.tflite", deadline);
      break;
    case 1:
      (void)client.PullBytes(kSerial, "/sdcard/result.json", deadline);
      break;
    case 2:
      (void)client.Shell(kSerial, "getprop ro.build.version.sdk", deadline);
      break;
    case 3:
      (void)client.Devices(deadline);
      break;
    case 4:
      (void)client.Exec(kSerial, "cat /proc/meminfo", deadline);
      break;
    default:
      FeedCodecs(reply);
      break;
  }
  return 0;
}
