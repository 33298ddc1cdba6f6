// adbd's device services on top of a Phone: shell (v1 and the v2 packet protocol),
// exec, abb/abb_exec and sync. Wire facts: AOSP adb protocol.txt and SYNC.TXT
//
// Threading: each RunService call runs on the stream's own service thread.
#ifndef BENCHLAB_DEVSIM_SERVICES_H_
#define BENCHLAB_DEVSIM_SERVICES_H_

#include <functional>

#include "absl/strings/string_view.h"
#include "devsim/adb_stream.h"
#include "devsim/phone/phone.h"

namespace benchlab::devsim {

struct ServiceContext {
  Phone* phone = nullptr;
  // Called when a start-time disconnect fault fires (first sync DATA, first `am start`):
  // the link must drop as a pulled cable would.
  std::function<void()> pull_cable;
};

// True for the services this phone offers; the connection refuses others with CLSE.
bool IsKnownService(absl::string_view service);

// Runs one service to completion on `stream`; the caller closes the stream afterwards.
void RunService(absl::string_view service, AdbStream& stream, const ServiceContext& ctx);

// The sync: service (file transfer), in services_sync.cc.
void RunSyncService(AdbStream& stream, const ServiceContext& ctx);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_SERVICES_H_
