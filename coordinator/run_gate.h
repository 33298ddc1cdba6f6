// The run-conditions gate: whether a phone's latest conditions let a queued run start on
// it now (JobSpec's max_battery_temp_c, min_battery_pct, min_idle_s, max_thermal_status).
// Pure logic over plain values; the scheduler asks it before leasing a phone, and a phone
// that fails shows DEVICE_STATE_COOLING with the reason this returns.
#ifndef BENCHLAB_COORDINATOR_RUN_GATE_H_
#define BENCHLAB_COORDINATOR_RUN_GATE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "benchlab/v1/lab.pb.h"

namespace benchlab::coordinator {

// A job's requirements, after the lab's defaults were applied. Unset = no requirement.
struct GateRequirements {
  std::optional<double> max_battery_temp_c;
  std::optional<int> min_battery_pct;
  absl::Duration min_idle = absl::ZeroDuration();
  std::optional<int> max_thermal_status;
  // How long a run may wait at the gate of an online phone; infinite = no limit.
  absl::Duration timeout = absl::InfiniteDuration();
  bool fail_on_timeout = false;  // GATE_POLICY_FAIL; else the run starts marked

  bool empty() const {
    return !max_battery_temp_c && !min_battery_pct && min_idle == absl::ZeroDuration() && !max_thermal_status;
  }
};

// What the gate reads of a phone: its agent's latest report.
struct PhoneConditions {
  std::optional<double> battery_temp_c;
  std::optional<int> battery_level_pct;
  bool charging = false;
  // Android's thermal status (0 none .. 6 shutdown); unset before Android 10.
  std::optional<int> thermal_status;
  // When the phone's last run ended (any job); InfinitePast when it has run nothing.
  absl::Time last_run_end = absl::InfinitePast();
};

struct GateDecision {
  bool pass = true;
  // Which requirement failed, e.g. "battery 41.5 C > 38 C"; empty when it passes.
  std::string reason;
  // When the decision may change without a new report (the end of min_idle);
  // InfiniteFuture when only a new report can change it.
  absl::Time recheck_at = absl::InfiniteFuture();
};

// Checks every requirement; the first that fails is the reason. A requirement on a
// value the phone does not report fails ("battery temperature unknown"), except thermal
// status, which phones before Android 10 do not have: they pass it.
GateDecision EvaluateGate(const GateRequirements& req, const PhoneConditions& phone, absl::Time now);

// InvalidArgument naming the field when a gate field is out of its range (JobSpec).
absl::Status CheckGate(const benchlab::v1::JobSpec& spec);

// The job's gate with the lab's defaults for the fields the job leaves unset, and 0
// meaning "off". Used by SubmitJob so a job's spec records the gate it ran under.
void ApplyGateDefaults(const benchlab::v1::JobSpec& lab_defaults, benchlab::v1::JobSpec* spec);

// What the gate reads of a phone's latest DeviceInfo (last_run_end is the scheduler's).
PhoneConditions GateConditionsOf(const benchlab::v1::DeviceInfo& info);

// The requirements a (defaults-applied) spec states.
GateRequirements GateOf(const benchlab::v1::JobSpec& spec);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_RUN_GATE_H_
