// ServiceNotifier over libsystemd's sd_notify(3) and sd_watchdog_enabled(3).
#include "common/systemd/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace benchlab {

ServiceNotifier::ServiceNotifier() {
  uint64_t usec = 0;
  // 0 = no watchdog for this process; < 0 = malformed variables, treated the same.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = absl::Microseconds(static_cast<int64_t>(usec));
    spdlog::info("event=watchdog interval_ms={}", absl::ToInt64Milliseconds(watchdog_));
  }
}

void ServiceNotifier::Ready(absl::string_view status) {
  // Newlines would start another assignment in the notify message.
  std::string line(status);
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  sd_notify(0, absl::StrCat("READY=1\nSTATUS=", line).c_str());
}

void ServiceNotifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void ServiceNotifier::Alive() {
  if (watchdog()) sd_notify(0, "WATCHDOG=1");
}

absl::Duration ServiceNotifier::ping_interval() const {
  return watchdog() ? watchdog_ / 2 : absl::InfiniteDuration();
}

}  // namespace benchlab
