// The phone's state around a run (battery, thermal status and HAL temperatures, CPU
// clusters' clocks, screen, memory, build, the benchmark APK's version), read in ONE adb
// shell call: a short script of cats and dumpsys calls between section markers, parsed by
// run_conditions_parser.h.
#ifndef BENCHLAB_AGENT_RUN_RUN_CONDITIONS_H_
#define BENCHLAB_AGENT_RUN_RUN_CONDITIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::agent {

// The script for `adb shell`. Uses only what every Android the agent supports has (cd,
// echo, cat, getprop, dumpsys, grep) and no loops, globs or $(...), and stays under
// the 4 KiB that adbd before Android 7 accepts for a whole command. `package` is quoted.
std::string RunConditionsCommand(absl::string_view package);

// Runs the script on `serial` and parses what came back; read_unix_ms is the time it
// returned. An error only when the shell call itself fails (the phone is gone, the
// deadline passed); parts the phone does not offer are simply unset.
absl::StatusOr<benchlab::v1::RunConditions> ReadRunConditions(adb::AdbClient& adb, const std::string& serial,
                                                              absl::string_view package, absl::Time deadline);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_RUN_CONDITIONS_H_
