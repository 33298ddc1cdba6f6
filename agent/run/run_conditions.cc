// The one shell call. CPU clocks are read first: the dumpsys calls after them wake the
// CPUs, and the clocks should show the phone as the benchmark found (or left) it.
#include "agent/run/run_conditions.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/run/run_conditions_parser.h"
#include "common/shell_quote.h"

namespace benchlab::agent {

std::string RunConditionsCommand(absl::string_view package) {
  auto marker = [](ConditionsSection s) { return absl::StrCat("echo ", SectionMarker(s), ";"); };
  // One cat per section with 2>&1: one line per file, content or cat's complaint, in the
  // files' order (SplitCatOutput). A missing directory makes every file a complaint.
  return absl::StrCat(
      marker(ConditionsSection::kCpu), "cd /sys/devices/system/cpu;cat ", absl::StrJoin(CpuSectionFiles(), " "),
      " 2>&1;", marker(ConditionsSection::kThermalZones), "cd /sys/class/thermal;cat ",
      absl::StrJoin(ThermalZoneSectionFiles(), " "), " 2>&1;cd /;", marker(ConditionsSection::kBattery),
      "dumpsys battery;", marker(ConditionsSection::kThermal),
      // Android 10+; older releases say "Can't find service" on stderr.
      "dumpsys thermalservice;", marker(ConditionsSection::kPower),
      // The power dump is tens of KB; only one line of it is wanted.
      "dumpsys power|grep mWakefulness=;", marker(ConditionsSection::kMemory), "cat /proc/meminfo;",
      marker(ConditionsSection::kBuild), "getprop ro.build.fingerprint;", marker(ConditionsSection::kPackage),
      "dumpsys package ", ShellQuote(package), "|grep -E ", ShellQuote("version(Code|Name)="));
}

absl::StatusOr<benchlab::v1::RunConditions> ReadRunConditions(adb::AdbClient& adb, const std::string& serial,
                                                              absl::string_view package, absl::Time deadline) {
  auto out = adb.Shell(serial, RunConditionsCommand(package), deadline);
  if (!out.ok()) return out.status();
  benchlab::v1::RunConditions c = ParseRunConditions(out->stdout_data);
  c.set_read_unix_ms(absl::ToUnixMillis(absl::Now()));
  return c;
}

}  // namespace benchlab::agent
