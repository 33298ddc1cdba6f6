// Codecs of the adb host protocol: framing, FAIL mapping, devices-l lines, sync helpers.
#include "agent/adb/adb_protocol.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab::adb {

absl::StatusOr<std::string> FrameRequest(absl::string_view payload) {
  if (payload.empty() || payload.size() > 0xFFFF) {
    return absl::InvalidArgumentError(
        absl::StrCat("adb request of ", payload.size(), " bytes: must be 1..65535 bytes"));
  }
  return absl::StrCat(absl::StrFormat("%04x", payload.size()), payload);
}

int ParseHex4(absl::string_view hex4) {
  if (hex4.size() != 4) return -1;
  int v = 0;
  for (char c : hex4) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

absl::Status FailToStatus(absl::string_view what, absl::string_view reason) {
  const std::string r(absl::StripAsciiWhitespace(reason));
  if (absl::StartsWith(r, "device unauthorized")) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": unauthorized — accept the RSA prompt on the phone (adb server said: ",
        absl::StrReplaceAll(r, {{"\n", " "}}), ")"));
  }
  if (absl::StartsWith(r, "device offline")) {
    return absl::UnavailableError(absl::StrCat(
        what, ": device offline — check the cable/network; the server retries for about 60 s"));
  }
  if (absl::StartsWith(r, "device still")) {
    return absl::UnavailableError(absl::StrCat(what, ": ", r, " — retry in a moment"));
  }
  if (absl::StartsWith(r, "device '") && absl::EndsWith(r, "not found")) {
    return absl::NotFoundError(
        absl::StrCat(what, ": no such device (", r, ") — see `adb devices`"));
  }
  if (absl::StartsWith(r, "no devices") || absl::StartsWith(r, "no emulators")) {
    return absl::NotFoundError(absl::StrCat(what, ": no such device (", r, ")"));
  }
  if (absl::StartsWith(r, "no such device")) {
    return absl::NotFoundError(absl::StrCat(what, ": ", r));
  }
  if (absl::StartsWith(r, "more than one")) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", r, " — name a serial"));
  }
  if (r == "closed") {
    return absl::UnimplementedError(
        absl::StrCat(what, ": the device refused the service (FAIL closed)"));
  }
  if (absl::StartsWith(r, "unknown host service")) {
    return absl::UnimplementedError(absl::StrCat(what, ": adb server: ", r));
  }
  return absl::UnknownError(absl::StrCat(what, ": adb server: ", r));
}

namespace {
bool IsStateWord(absl::string_view w) {
  static constexpr absl::string_view kStates[] = {
      "device", "offline", "unauthorized", "bootloader", "recovery", "sideload", "rescue",
      "host", "authorizing", "connecting", "unknown", "detached"};
  for (absl::string_view s : kStates) {
    if (w == s) return true;
  }
  return false;
}
}  // namespace

bool ParseDevicesLine(absl::string_view line, AdbDevice* out) {
  line = absl::StripTrailingAsciiWhitespace(line);
  if (line.empty()) return false;
  // Parse from the right: transport_id is last, then the optional key:value words, then
  // an optional devpath, then the state. The serial is whatever precedes the state
  // (it may contain spaces: "(no serial number)").
  std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
  AdbDevice d;
  size_t end = words.size();
  bool have_tid = false;
  while (end > 0) {
    absl::string_view w = words[end - 1];
    if (absl::ConsumePrefix(&w, "transport_id:")) {
      if (have_tid || !absl::SimpleAtoi(w, &d.transport_id)) return false;
      have_tid = true;
    } else if (absl::ConsumePrefix(&w, "product:")) {
      d.product = std::string(w);
    } else if (absl::ConsumePrefix(&w, "model:")) {
      d.model = std::string(w);
    } else if (absl::ConsumePrefix(&w, "device:")) {
      d.device = std::string(w);
    } else {
      break;
    }
    --end;
  }
  if (!have_tid || end < 2) return false;
  if (!IsStateWord(words[end - 1]) && end >= 3 && IsStateWord(words[end - 2])) {
    d.devpath = std::string(words[end - 1]);  // "usb:1-1"
    --end;
  }
  d.state = std::string(words[end - 1]);
  const size_t state_pos = static_cast<size_t>(words[end - 1].data() - line.data());
  d.serial = std::string(absl::StripTrailingAsciiWhitespace(line.substr(0, state_pos)));
  if (d.serial.empty()) return false;
  *out = std::move(d);
  return true;
}

std::vector<AdbDevice> ParseDevicesList(absl::string_view payload) {
  std::vector<AdbDevice> out;
  for (absl::string_view line : absl::StrSplit(payload, '\n', absl::SkipEmpty())) {
    AdbDevice d;
    if (ParseDevicesLine(line, &d)) out.push_back(std::move(d));
  }
  return out;
}

void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
         static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
}

uint64_t GetU64(const char* p) {
  return static_cast<uint64_t>(GetU32(p)) | static_cast<uint64_t>(GetU32(p + 4)) << 32;
}

void AppendSyncRequest(std::string* out, absl::string_view id, absl::string_view payload) {
  out->append(id.data(), 4);
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out->append(payload.data(), payload.size());
}

}  // namespace benchlab::adb
