// libFuzzer: the agent's run-conditions parser takes whatever a phone prints (dumpsys,
// sysfs, getprop). On any bytes it must not crash, and what it keeps must be plausible:
// finite temperatures and a battery level the proto can carry.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "agent/run/run_conditions_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  benchlab::v1::RunConditions c = benchlab::agent::ParseRunConditions(text);
  if (c.has_battery_temp_c() && !std::isfinite(c.battery_temp_c())) std::abort();
  for (const auto& [name, temp] : c.temperatures_c()) {
    if (!std::isfinite(temp)) std::abort();
  }
  return 0;
}
