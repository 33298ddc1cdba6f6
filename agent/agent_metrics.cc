// AgentMetrics and AgentFamilies. Label cardinality: `serial` and `model` take one value
// per phone on this host; `state`, `error_class`, `kind`, `where` come from closed sets.
#include "agent/agent_metrics.h"

namespace benchlab::agent {

namespace v1 = benchlab::v1;
using exposition::EnumLabel;

void AgentMetrics::CountRun(v1::RunState state, v1::ErrorClass error_class) {
  absl::MutexLock lock(&mu_);
  ++runs_[{state, error_class}];
}

void AgentMetrics::CountPush(uint64_t bytes, absl::Duration took) {
  push_seconds_.Observe(absl::ToDoubleSeconds(took));
  absl::MutexLock lock(&mu_);
  ++pushes_;
  push_bytes_ += bytes;
}

void AgentMetrics::CountLogLines(uint64_t sent, uint64_t dropped) {
  absl::MutexLock lock(&mu_);
  log_lines_sent_ += sent;
  log_lines_dropped_ += dropped;
}

void AgentMetrics::Collect(exposition::Families* out) const {
  exposition::HistogramSnapshot push_seconds = push_seconds_.Snapshot();
  absl::MutexLock lock(&mu_);
  exposition::Family& runs = out->Counter(
      "benchlab_agent_runs_total", "Run attempts this agent finished, by final state and error class (none when done).");
  for (const auto& [key, n] : runs_) {
    runs.Add({{"state", EnumLabel(v1::RunState_Name(key.first), "RUN_STATE_")},
              {"error_class", key.second == v1::ERROR_CLASS_UNSPECIFIED
                                  ? "none"
                                  : EnumLabel(v1::ErrorClass_Name(key.second), "ERROR_CLASS_")}},
             static_cast<double>(n));
  }
  out->Counter("benchlab_agent_pushes_total", "Model pushes completed (skipped ones, already on the phone, excluded).",
               static_cast<double>(pushes_));
  out->Counter("benchlab_agent_push_bytes_total", "Bytes of models pushed to phones.", static_cast<double>(push_bytes_));
  out->Histogram("benchlab_agent_push_seconds", "Seconds per completed model push.").AddHistogram({}, push_seconds);
  out->Counter("benchlab_agent_log_lines_sent_total", "Live logcat lines handed to the coordinator link.",
               static_cast<double>(log_lines_sent_));
  out->Counter("benchlab_agent_log_lines_dropped_total",
               "Log lines dropped: live lines the link could not take (where=live), run log lines the "
               "outbox's size cap dropped (where=outbox).")
      .Add({{"where", "live"}}, static_cast<double>(log_lines_dropped_));
}

exposition::Families AgentFamilies(const AgentMetrics& counters, const AgentGauges& g) {
  exposition::Families f;
  counters.Collect(&f);
  // The outbox's drops belong to the same family; append the sample to it.
  for (auto& fam : f.families()) {
    if (fam.name == "benchlab_agent_log_lines_dropped_total") {
      fam.Add({{"where", "outbox"}}, static_cast<double>(g.outbox_dropped_log_lines));
    }
  }
  f.Gauge("benchlab_agent_coordinator_connected", "1 while the AgentLink session is up.", g.coordinator_connected ? 1 : 0);
  f.Gauge("benchlab_agent_outbox_events", "Run events not yet acknowledged by the coordinator.",
          static_cast<double>(g.outbox_events));
  f.Gauge("benchlab_agent_outbox_bytes", "Serialized bytes of those events.", static_cast<double>(g.outbox_bytes));
  f.Gauge("benchlab_agent_outbox_oldest_age_seconds", "Age of the oldest unacknowledged event (0 when none).",
          g.outbox_oldest_age_s);
  f.Counter("benchlab_agent_adb_errors_total",
            "adb requests that failed: kind=host (the server did not answer or refused), kind=transport (a phone "
            "gone, offline or unauthorized).")
      .Add({{"kind", "host"}}, static_cast<double>(g.adb_host_errors))
      .Add({{"kind", "transport"}}, static_cast<double>(g.adb_transport_errors));
  exposition::Family& level = f.Gauge("benchlab_agent_phone_battery_level_percent", "Battery level per phone.");
  exposition::Family& temp = f.Gauge("benchlab_agent_phone_battery_temperature_celsius", "Battery temperature per phone.");
  exposition::Family& thermal = f.Gauge(
      "benchlab_agent_phone_thermal_status",
      "PowerManager thermal status per phone: 0 none, 1 light, 2 moderate, 3 severe, 4 critical, 5 emergency, "
      "6 shutdown (Android 10+; absent before).");
  exposition::Family& online = f.Gauge("benchlab_agent_phone_online", "1 when adb reports the phone as 'device'.");
  for (const v1::DeviceInfo& d : g.devices) {
    exposition::Labels labels = {{"serial", d.serial()}, {"model", d.model()}};
    online.Add(labels, d.adb_state() == "device" ? 1 : 0);
    const v1::RunConditions& c = d.conditions();
    if (c.has_battery_level_pct()) {
      level.Add(labels, c.battery_level_pct());
    } else if (d.battery_level_pct() > 0) {
      level.Add(labels, d.battery_level_pct());
    }
    if (c.has_battery_temp_c()) {
      temp.Add(labels, c.battery_temp_c());
    } else if (d.has_battery_temp()) {
      temp.Add(labels, d.battery_temp_c());
    }
    if (c.thermal_status() != v1::THERMAL_STATUS_UNSPECIFIED) thermal.Add(labels, c.thermal_status() - 1);
  }
  return f;
}

}  // namespace benchlab::agent
