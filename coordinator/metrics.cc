// CoordinatorFamilies: CoreStats as Prometheus families. Label cardinality: `agent` and
// `device` take one value per agent / phone the lab knows; `state`, `error_class`,
// `retried` come from closed enums; nothing carries a job or run id.
#include "coordinator/metrics.h"

#include <map>

#include "benchlab/v1/common.pb.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;
using exposition::EnumLabel;

exposition::Families CoordinatorFamilies(const CoreStats& s) {
  exposition::Families f;
  f.Gauge("benchlab_agents_connected", "Agents with an open AgentLink session.", s.agents_connected);
  f.Gauge("benchlab_devices", "Phones known to the coordinator.", s.devices_total);
  f.Gauge("benchlab_devices_online", "Phones usable now (agent connected, adb state device).", s.devices_online);
  f.Gauge("benchlab_devices_busy", "Phones holding a run's lease.", s.devices_busy);

  exposition::Family& runs = f.Gauge("benchlab_runs", "Runs by state.");
  for (int st = v1::RUN_STATE_QUEUED; st <= v1::RUN_STATE_CANCELLED; ++st) {
    auto it = s.runs_by_state.find(static_cast<v1::RunState>(st));
    runs.Add({{"state", EnumLabel(v1::RunState_Name(static_cast<v1::RunState>(st)), "RUN_STATE_")}},
             it == s.runs_by_state.end() ? 0 : it->second);
  }
  f.Counter("benchlab_run_events_applied_total", "Agent run events applied.", s.events_applied_total);
  f.Counter("benchlab_run_events_duplicate_total", "Agent run events seen again (replays).", s.events_duplicate_total);
  f.Counter("benchlab_runs_retried_total", "Runs re-queued after a retryable failure.", s.runs_retried_total);
  f.Counter("benchlab_log_lines_dropped_total", "Log lines dropped for slow subscribers.", s.log_lines_dropped_total);
  f.Counter("benchlab_artifacts_deleted_total", "Artifacts deleted by retention (--artifact-retention-days).",
            s.artifacts_deleted_total);
  f.Counter("benchlab_artifact_deleted_bytes_total", "Bytes of the artifacts deleted by retention.",
            s.artifact_bytes_deleted_total);

  // Devices by state: every state, zeros included, so a rate or an alert sees 0, not absent.
  std::map<v1::DeviceState, int> by_state;
  for (const auto& [id, d] : s.devices) ++by_state[d.state];
  exposition::Family& states = f.Gauge("benchlab_devices_by_state", "Phones by state (idle, busy, cooling, offline).");
  for (int st = v1::DEVICE_STATE_IDLE; st <= v1::DEVICE_STATE_COOLING; ++st) {
    states.Add({{"state", EnumLabel(v1::DeviceState_Name(static_cast<v1::DeviceState>(st)), "DEVICE_STATE_")}},
               by_state[static_cast<v1::DeviceState>(st)]);
  }
  // Per phone, every state with 1 for the current one (so a phone's series never vanish
  // as it changes state).
  exposition::Family& device_state =
      f.Gauge("benchlab_device_state", "Per phone: 1 for its current state, 0 for the others.");
  for (const auto& [id, d] : s.devices) {
    for (int st = v1::DEVICE_STATE_IDLE; st <= v1::DEVICE_STATE_COOLING; ++st) {
      device_state.Add({{"device", id},
                        {"agent", d.agent_id},
                        {"state", EnumLabel(v1::DeviceState_Name(static_cast<v1::DeviceState>(st)), "DEVICE_STATE_")}},
                       d.state == st ? 1 : 0);
    }
  }
  exposition::Family& agent_up = f.Gauge("benchlab_agent_connected", "1 while the agent has a session, else 0.");
  exposition::Family& agent_devices = f.Gauge("benchlab_agent_devices", "Phones the agent reported.");
  for (const auto& [id, a] : s.agents) {
    agent_up.Add({{"agent", id}}, a.connected ? 1 : 0);
    agent_devices.Add({{"agent", id}}, a.devices);
  }
  exposition::Family& failures =
      f.Counter("benchlab_run_failures_total", "Failed attempts by error class; retried=true went back to the queue.");
  for (const auto& [key, n] : s.failures) {
    failures.Add({{"error_class", EnumLabel(v1::ErrorClass_Name(key.first), "ERROR_CLASS_")},
                  {"retried", key.second ? "true" : "false"}},
                 static_cast<double>(n));
  }
  f.Histogram("benchlab_run_queue_wait_seconds", "Seconds a run waited queued before its phone was leased.")
      .AddHistogram({}, s.queue_wait_seconds);
  f.Histogram("benchlab_run_duration_seconds",
              "Seconds from lease to final result of runs that ended done or failed (retried attempts excluded).")
      .AddHistogram({}, s.run_duration_seconds);
  return f;
}

absl::StatusOr<std::unique_ptr<exposition::MetricsEndpoint>> StartMetrics(const std::string& listen, Core* core,
                                                                        const RpcMetrics* rpcs) {
  return exposition::StartMetricsEndpoint(listen, "coordinator", [core, rpcs] {
    exposition::Families f = CoordinatorFamilies(core->Stats());
    rpcs->Collect(&f);
    return f;
  });
}

}  // namespace benchlab::coordinator
