// PhoneTransportId: the key part that tells a reconnected phone from the one probed.
#include "agent/run/phone_probe_cache.h"

namespace benchlab::agent {

int64_t PhoneTransportId(adb::AdbClient& adb, const std::string& serial, absl::Time deadline) {
  auto devices = adb.Devices(deadline);
  if (!devices.ok()) return 0;
  for (const adb::AdbDevice& d : *devices) {
    if (d.serial == serial) return d.transport_id;
  }
  return 0;
}

}  // namespace benchlab::agent
