// What `benchlab-agent devices` and the coordinator's inventory show about a phone:
// properties from `getprop`, battery and the rest of its run conditions from the
// conditions script (run_conditions.h). Two shell calls per phone.
#ifndef BENCHLAB_AGENT_RUN_DEVICE_INFO_H_
#define BENCHLAB_AGENT_RUN_DEVICE_INFO_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::agent {

// Battery as `dumpsys battery` prints it; level -1 / has_temp false when missing.
struct BatteryState {
  int level_pct = -1;
  bool has_temp = false;
  double temp_c = 0;
};

// "[ro.product.model]: [Pixel 7]" lines into a map; other lines are skipped.
std::map<std::string, std::string> ParseGetprop(absl::string_view text);
// "  level: 87" and "  temperature: 312" (tenths of a degree).
BatteryState ParseDumpsysBattery(absl::string_view text);

// The phone's latest conditions into `info`: `conditions`, and the battery fields
// DeviceInfo has had since before conditions existed.
void SetLatestConditions(const benchlab::v1::RunConditions& conditions, benchlab::v1::DeviceInfo* info);

// Fills DeviceInfo for `device` (serial, adb_state, and for phones in state "device" the
// model, SoC, Android version, ABI, a few properties and its conditions, battery included). A phone that is not
// online gets what adb's device list says only. Errors only when the shell calls fail.
absl::StatusOr<benchlab::v1::DeviceInfo> ReadDeviceInfo(adb::AdbClient& adb,
                                                        const adb::AdbDevice& device,
                                                        absl::Time deadline);

// Just the battery (for cooldown checks).
absl::StatusOr<BatteryState> ReadBattery(adb::AdbClient& adb, const std::string& serial,
                                         absl::Time deadline);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_DEVICE_INFO_H_
