// The run-conditions gate: each requirement, unknown values, the lab's defaults.
#include "coordinator/run_gate.h"

#include <gtest/gtest.h>

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

PhoneConditions CoolFullPhone() {
  PhoneConditions p;
  p.battery_temp_c = 30;
  p.battery_level_pct = 90;
  p.thermal_status = 0;
  return p;
}

TEST(RunGateTest, NoRequirementsPassAnyPhone) {
  EXPECT_TRUE(EvaluateGate(GateRequirements(), PhoneConditions(), kNow).pass);
}

TEST(RunGateTest, HotBatteryFailsWithTheTemperatures) {
  GateRequirements req;
  req.max_battery_temp_c = 38;
  PhoneConditions phone = CoolFullPhone();
  EXPECT_TRUE(EvaluateGate(req, phone, kNow).pass);
  phone.battery_temp_c = 41.5;
  GateDecision d = EvaluateGate(req, phone, kNow);
  EXPECT_FALSE(d.pass);
  EXPECT_EQ(d.reason, "battery 41.5 C > 38 C");
  EXPECT_EQ(d.recheck_at, absl::InfiniteFuture()) << "only a new report can cool it";
  phone.battery_temp_c.reset();
  EXPECT_EQ(EvaluateGate(req, phone, kNow).reason, "battery temperature unknown");
}

TEST(RunGateTest, LowBatteryPassesWhileCharging) {
  GateRequirements req;
  req.min_battery_pct = 50;
  PhoneConditions phone = CoolFullPhone();
  phone.battery_level_pct = 20;
  EXPECT_EQ(EvaluateGate(req, phone, kNow).reason, "battery 20% < 50% and not charging");
  phone.charging = true;
  EXPECT_TRUE(EvaluateGate(req, phone, kNow).pass);
}

TEST(RunGateTest, ThermalStatusAboveTheLimitFailsAndPhonesWithoutOnePass) {
  GateRequirements req;
  req.max_thermal_status = 1;  // light
  PhoneConditions phone = CoolFullPhone();
  phone.thermal_status = 3;
  EXPECT_EQ(EvaluateGate(req, phone, kNow).reason, "thermal status severe > light");
  phone.thermal_status.reset();  // Android 9 and older have no thermal service
  EXPECT_TRUE(EvaluateGate(req, phone, kNow).pass);
}

TEST(RunGateTest, MinIdleWaitsUntilTheLastRunIsOldEnoughAndSaysWhenToLookAgain) {
  GateRequirements req;
  req.min_idle = absl::Seconds(60);
  PhoneConditions phone = CoolFullPhone();
  EXPECT_TRUE(EvaluateGate(req, phone, kNow).pass) << "a phone that never ran is idle";
  phone.last_run_end = kNow - absl::Seconds(20);
  GateDecision d = EvaluateGate(req, phone, kNow);
  EXPECT_FALSE(d.pass);
  EXPECT_EQ(d.reason, "idle 20 s < 60 s");
  EXPECT_EQ(d.recheck_at, kNow + absl::Seconds(40));
  EXPECT_TRUE(EvaluateGate(req, phone, kNow + absl::Seconds(40)).pass);
}

TEST(RunGateTest, TheFirstFailingRequirementIsTheReason) {
  GateRequirements req;
  req.max_battery_temp_c = 35;
  req.min_battery_pct = 50;
  PhoneConditions phone = CoolFullPhone();
  phone.battery_temp_c = 36;
  phone.battery_level_pct = 10;
  EXPECT_EQ(EvaluateGate(req, phone, kNow).reason, "battery 36.0 C > 35 C");
}

TEST(RunGateTest, LabDefaultsFillWhatTheJobLeavesUnsetAndZeroTurnsARequirementOff) {
  v1::JobSpec lab;
  lab.set_max_battery_temp_c(38);
  lab.set_min_idle_s(30);
  lab.set_gate_timeout_s(600);
  v1::JobSpec job;
  job.set_min_idle_s(0);  // this job opts out of the lab's idle time
  job.set_min_battery_pct(40);
  ApplyGateDefaults(lab, &job);
  EXPECT_DOUBLE_EQ(job.max_battery_temp_c(), 38);
  EXPECT_EQ(job.min_battery_pct(), 40);
  EXPECT_EQ(job.gate_timeout_s(), 600);
  EXPECT_EQ(job.gate_policy(), v1::GATE_POLICY_PROCEED);
  GateRequirements g = GateOf(job);
  EXPECT_EQ(g.max_battery_temp_c, 38);
  EXPECT_EQ(g.min_idle, absl::ZeroDuration());
  EXPECT_EQ(g.timeout, absl::Seconds(600));
  EXPECT_FALSE(g.fail_on_timeout);
  EXPECT_FALSE(g.empty());
  EXPECT_TRUE(GateOf(v1::JobSpec()).empty());
}

}  // namespace
}  // namespace benchlab::coordinator
