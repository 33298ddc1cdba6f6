// The run-conditions gate: see run_gate.h.
#include "coordinator/run_gate.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

namespace {

// Android's PowerManager.THERMAL_STATUS_* names, for reasons people read.
const char* ThermalStatusName(int status) {
  static const char* const kNames[] = {"none", "light", "moderate", "severe", "critical", "emergency", "shutdown"};
  return status >= 0 && status <= 6 ? kNames[status] : "unknown";
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.0f s", absl::ToDoubleSeconds(d)); }

}  // namespace

GateDecision EvaluateGate(const GateRequirements& req, const PhoneConditions& phone, absl::Time now) {
  GateDecision d;
  auto fail = [&d](std::string reason) {
    if (d.pass) d.reason = std::move(reason);
    d.pass = false;
  };
  if (req.max_battery_temp_c) {
    if (!phone.battery_temp_c) {
      fail("battery temperature unknown");
    } else if (*phone.battery_temp_c > *req.max_battery_temp_c) {
      fail(absl::StrFormat("battery %.1f C > %g C", *phone.battery_temp_c, *req.max_battery_temp_c));
    }
  }
  if (req.max_thermal_status && phone.thermal_status && *phone.thermal_status > *req.max_thermal_status) {
    fail(absl::StrCat("thermal status ", ThermalStatusName(*phone.thermal_status), " > ",
                      ThermalStatusName(*req.max_thermal_status)));
  }
  if (req.min_battery_pct && !phone.charging) {
    if (!phone.battery_level_pct) {
      fail("battery level unknown");
    } else if (*phone.battery_level_pct < *req.min_battery_pct) {
      fail(absl::StrCat("battery ", *phone.battery_level_pct, "% < ", *req.min_battery_pct, "% and not charging"));
    }
  }
  if (req.min_idle > absl::ZeroDuration() && phone.last_run_end != absl::InfinitePast()) {
    absl::Time ready = phone.last_run_end + req.min_idle;
    if (now < ready) {
      fail(absl::StrCat("idle ", Seconds(now - phone.last_run_end), " < ", Seconds(req.min_idle)));
      d.recheck_at = ready;
    }
  }
  return d;
}

absl::Status CheckGate(const v1::JobSpec& spec) {
  // NaN fails every comparison: it is refused by the first check's negation.
  if (spec.has_max_battery_temp_c() && !(spec.max_battery_temp_c() >= 0 && spec.max_battery_temp_c() <= 100)) {
    return absl::InvalidArgumentError("max_battery_temp_c must be 0 (off)..100 degrees Celsius");
  }
  if (spec.min_battery_pct() < 0 || spec.min_battery_pct() > 100) {
    return absl::InvalidArgumentError("min_battery_pct must be 0 (off)..100");
  }
  if (spec.min_idle_s() < 0 || spec.min_idle_s() > 86400) return absl::InvalidArgumentError("min_idle_s must be 0..86400");
  if (spec.max_thermal_status() < 0 || spec.max_thermal_status() > 6) {
    return absl::InvalidArgumentError("max_thermal_status must be 0 (off)..6");
  }
  if (spec.gate_timeout_s() < 0 || spec.gate_timeout_s() > 86400) {
    return absl::InvalidArgumentError("gate_timeout_s must be 0 (no limit)..86400");
  }
  if (!v1::GatePolicy_IsValid(spec.gate_policy())) return absl::InvalidArgumentError("gate_policy is not a GatePolicy");
  return absl::OkStatus();
}

void ApplyGateDefaults(const v1::JobSpec& lab, v1::JobSpec* spec) {
  if (!spec->has_max_battery_temp_c() && lab.has_max_battery_temp_c()) {
    spec->set_max_battery_temp_c(lab.max_battery_temp_c());
  }
  if (!spec->has_min_battery_pct() && lab.has_min_battery_pct()) spec->set_min_battery_pct(lab.min_battery_pct());
  if (!spec->has_min_idle_s() && lab.has_min_idle_s()) spec->set_min_idle_s(lab.min_idle_s());
  if (!spec->has_max_thermal_status() && lab.has_max_thermal_status()) {
    spec->set_max_thermal_status(lab.max_thermal_status());
  }
  if (!spec->has_gate_timeout_s() && lab.has_gate_timeout_s()) spec->set_gate_timeout_s(lab.gate_timeout_s());
  if (spec->gate_policy() == v1::GATE_POLICY_UNSPECIFIED) {
    spec->set_gate_policy(lab.gate_policy() == v1::GATE_POLICY_UNSPECIFIED ? v1::GATE_POLICY_PROCEED
                                                                           : lab.gate_policy());
  }
}

PhoneConditions GateConditionsOf(const v1::DeviceInfo& info) {
  PhoneConditions c;
  if (info.has_battery_temp()) c.battery_temp_c = info.battery_temp_c();
  if (info.battery_level_pct() >= 0) c.battery_level_pct = info.battery_level_pct();
  if (info.has_conditions()) {  // the agent's latest reading wins over the probe's
    const v1::RunConditions& rc = info.conditions();
    if (rc.has_battery_temp_c()) c.battery_temp_c = rc.battery_temp_c();
    if (rc.has_battery_level_pct()) c.battery_level_pct = rc.battery_level_pct();
    c.charging = rc.charging();
    // ThermalStatus is Android's level + 1 (0 = the phone has none: before Android 10).
    if (rc.thermal_status() != v1::THERMAL_STATUS_UNSPECIFIED) c.thermal_status = rc.thermal_status() - 1;
  }
  return c;
}

GateRequirements GateOf(const v1::JobSpec& spec) {
  GateRequirements g;
  if (spec.max_battery_temp_c() > 0) g.max_battery_temp_c = spec.max_battery_temp_c();
  if (spec.min_battery_pct() > 0) g.min_battery_pct = spec.min_battery_pct();
  g.min_idle = absl::Seconds(spec.min_idle_s());
  if (spec.max_thermal_status() > 0) g.max_thermal_status = spec.max_thermal_status();
  if (spec.gate_timeout_s() > 0) g.timeout = absl::Seconds(spec.gate_timeout_s());
  g.fail_on_timeout = spec.gate_policy() == v1::GATE_POLICY_FAIL;
  return g;
}

}  // namespace benchlab::coordinator
