// `--devices SELECTOR` of `benchlab run` to the API's DeviceSelector.
#ifndef BENCHLAB_CLI_DEVICE_SELECTOR_H_
#define BENCHLAB_CLI_DEVICE_SELECTOR_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::cli {

// A comma-separated list; each entry is one of
//   all            every device (other entries still narrow it)
//   agent:NAME     phones on that agent (lab host)
//   KEY=VALUE      a DeviceInfo field or property that must match exactly (model=Pixel 7)
//   anything else  a device id "<agent>/<serial>" or a bare adb serial
// Entries of one kind match any of them; kinds combine with AND (the API's rule).
// InvalidArgument for an empty list, "agent:" without a name, "=value" without a key, or
// one key given two different values (nothing could match both).
absl::StatusOr<benchlab::v1::DeviceSelector> ParseDeviceSelector(absl::string_view text);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_DEVICE_SELECTOR_H_
