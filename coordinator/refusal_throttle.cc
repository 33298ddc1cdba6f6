// RefusalThrottle: a fixed one-minute window per caller address; see refusal_throttle.h.
#include "coordinator/refusal_throttle.h"

namespace benchlab::coordinator {

std::string RefusalThrottle::Address(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  // "unix:/path" or anything without a port after the scheme's colon stays as it is.
  if (colon == absl::string_view::npos || colon == peer.find(':')) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

bool RefusalThrottle::Admit(absl::string_view peer, absl::Time now, int64_t* unrecorded) {
  const std::string address = Address(peer);
  absl::MutexLock l(&mu_);
  if (windows_.size() >= kMaxAddresses && !windows_.contains(address)) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (now - it->second.start >= absl::Minutes(1) && it->second.unrecorded == 0) {
        windows_.erase(it++);
      } else {
        ++it;
      }
    }
    // Still full (every address busy this minute): record without throttling rather than
    // lose the refusal or grow without bound.
    if (windows_.size() >= kMaxAddresses) {
      *unrecorded = 0;
      return true;
    }
  }
  Window& w = windows_[address];
  if (w.recorded == 0 || now - w.start >= absl::Minutes(1)) {
    w.start = now;
    w.recorded = 0;
  }
  if (w.recorded >= kPerMinute) {
    ++w.unrecorded;
    return false;
  }
  ++w.recorded;
  *unrecorded = w.unrecorded;
  w.unrecorded = 0;
  return true;
}

}  // namespace benchlab::coordinator
