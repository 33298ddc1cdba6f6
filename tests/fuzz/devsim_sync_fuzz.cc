// libFuzzer: devsim's sync: service (adbd's file transfer protocol) fed any bytes as the
// host's side of the stream: STAT/STA2/LIST/LIS2/SEND/RECV/QUIT requests, DATA/DONE
// records, lengths that lie. It must answer or close, never crash or hang. The host has
// sent everything and closed its side, so the service's first reply ends the stream: each
// input exercises the parsing of one request (with all its DATA records) and its effect.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "devsim/adb_packet.h"  // kDeviceMaxPayload
#include "devsim/adb_stream.h"
#include "devsim/phone/phone.h"
#include "devsim/services.h"

using benchlab::devsim::AdbStream;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Replies are dropped: after the host's CLSE the stream refuses writes anyway.
  AdbStream stream(1, 2, benchlab::devsim::kDeviceMaxPayload,
                   [](uint32_t, uint32_t, uint32_t, absl::string_view) { return true; });
  stream.OnWrite(absl::string_view(reinterpret_cast<const char*>(data), size));
  stream.OnClose();  // then the host hangs up: the service must see the end and return
  // A fresh phone per input, so an input replays the same way alone (files a SEND wrote
  // do not pile up over a long run either).
  benchlab::devsim::Phone phone(benchlab::devsim::MakeProfile(1, 0), 1, absl::Seconds(1));
  phone.SetBackgroundLogs(false);
  benchlab::devsim::ServiceContext ctx{&phone, nullptr};
  benchlab::devsim::RunSyncService(stream, ctx);
  return 0;
}
