// The /metrics series both daemons build (common/exposition, coordinator/metrics.h,
// agent/agent_metrics.h): histogram buckets, the labelled families and their values.
#include <gtest/gtest.h>

#include "agent/agent_metrics.h"
#include "common/exposition/endpoint.h"
#include "common/exposition/families.h"
#include "common/exposition/histogram.h"
#include "common/version.h"
#include "coordinator/metrics.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using exposition::Families;
using exposition::Family;
using exposition::Labels;

// The value of the sample of `family` whose labels include all of `want`; -1 when none.
double ValueOf(const Families& f, const std::string& family, const Labels& want) {
  const Family* fam = f.Find(family);
  if (fam == nullptr) return -1;
  for (const auto& s : fam->samples) {
    bool all = true;
    for (const auto& w : want) {
      bool found = false;
      for (const auto& l : s.labels) found = found || l == w;
      all = all && found;
    }
    if (all) return s.value;
  }
  return -1;
}

TEST(BucketHistogramTest, CountsEachValueInTheFirstBucketItFits) {
  exposition::BucketHistogram h({1, 10});
  for (double v : {0.5, 1.0, 3.0, 10.0, 11.0}) h.Observe(v);
  exposition::HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2, 2, 1}));  // <=1, <=10, +Inf
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.sum, 25.5);
}

TEST(ExpositionTest, BuildInfoCarriesTheProjectVersion) {
  Families f = exposition::BuildInfo("agent");
  EXPECT_EQ(ValueOf(f, "benchlab_build_info", {{"version", kVersion}, {"component", "agent"}}), 1);
  EXPECT_EQ(exposition::EnumLabel("RUN_STATE_DONE", "RUN_STATE_"), "done");
}

TEST(CoordinatorFamiliesTest, LabelsAgentsDevicesAndFailures) {
  coordinator::CoreStats s;
  s.agents["host1"] = {true, 2};
  s.agents["host2"] = {false, 0};
  s.devices["host1/A"] = {"host1", v1::DEVICE_STATE_BUSY};
  s.devices["host1/B"] = {"host1", v1::DEVICE_STATE_IDLE};
  s.failures[{v1::ERROR_CLASS_APP_CRASHED, false}] = 3;
  s.failures[{v1::ERROR_CLASS_DEVICE_LOST, true}] = 1;
  exposition::BucketHistogram wait;
  wait.Observe(0.2);
  s.queue_wait_seconds = wait.Snapshot();
  Families f = coordinator::CoordinatorFamilies(s);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_connected", {{"agent", "host1"}}), 1);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_connected", {{"agent", "host2"}}), 0);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_devices", {{"agent", "host1"}}), 2);
  EXPECT_EQ(ValueOf(f, "benchlab_devices_by_state", {{"state", "busy"}}), 1);
  EXPECT_EQ(ValueOf(f, "benchlab_devices_by_state", {{"state", "offline"}}), 0);
  EXPECT_EQ(ValueOf(f, "benchlab_device_state", {{"device", "host1/A"}, {"state", "busy"}}), 1);
  EXPECT_EQ(ValueOf(f, "benchlab_device_state", {{"device", "host1/A"}, {"state", "idle"}}), 0);
  EXPECT_EQ(ValueOf(f, "benchlab_run_failures_total", {{"error_class", "app_crashed"}, {"retried", "false"}}), 3);
  EXPECT_EQ(ValueOf(f, "benchlab_run_failures_total", {{"error_class", "device_lost"}, {"retried", "true"}}), 1);
  const Family* h = f.Find("benchlab_run_queue_wait_seconds");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->kind, exposition::Kind::kHistogram);
  EXPECT_EQ(h->samples.at(0).histogram.count, 1u);
  for (const Family& fam : f.families()) EXPECT_EQ(fam.name.rfind("benchlab_", 0), 0u) << fam.name;
}

TEST(AgentFamiliesTest, CountersAndPerPhoneGauges) {
  agent::AgentMetrics m;
  m.CountRun(v1::RUN_STATE_DONE, v1::ERROR_CLASS_UNSPECIFIED);
  m.CountRun(v1::RUN_STATE_FAILED, v1::ERROR_CLASS_PUSH_FAILED);
  m.CountPush(1000, absl::Milliseconds(20));
  m.CountLogLines(7, 2);
  agent::AgentGauges g;
  g.outbox_events = 3;
  g.outbox_oldest_age_s = 1.5;
  g.outbox_dropped_log_lines = 4;
  g.adb_transport_errors = 5;
  v1::DeviceInfo d;
  d.set_serial("R58M");
  d.set_model("Pixel 7");
  d.set_adb_state("device");
  d.mutable_conditions()->set_battery_level_pct(81);
  d.mutable_conditions()->set_battery_temp_c(31.5);
  d.mutable_conditions()->set_thermal_status(v1::THERMAL_STATUS_MODERATE);
  g.devices.push_back(d);
  Families f = agent::AgentFamilies(m, g);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_runs_total", {{"state", "done"}, {"error_class", "none"}}), 1);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_runs_total", {{"state", "failed"}, {"error_class", "push_failed"}}), 1);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_push_bytes_total", {}), 1000);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_log_lines_sent_total", {}), 7);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_log_lines_dropped_total", {{"where", "live"}}), 2);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_log_lines_dropped_total", {{"where", "outbox"}}), 4);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_outbox_events", {}), 3);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_outbox_oldest_age_seconds", {}), 1.5);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_adb_errors_total", {{"kind", "transport"}}), 5);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_phone_battery_level_percent", {{"serial", "R58M"}, {"model", "Pixel 7"}}), 81);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_phone_battery_temperature_celsius", {{"serial", "R58M"}}), 31.5);
  EXPECT_EQ(ValueOf(f, "benchlab_agent_phone_thermal_status", {{"serial", "R58M"}}), 2);  // moderate
  for (const Family& fam : f.families()) EXPECT_EQ(fam.name.rfind("benchlab_", 0), 0u) << fam.name;
}

}  // namespace
}  // namespace benchlab
