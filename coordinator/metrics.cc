// StartMetrics: a prometheus-cpp Collectable over Core::Stats().
#include "coordinator/metrics.h"

#ifdef BENCHLAB_HAVE_PROMETHEUS
#include <exception>

#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"
#endif

#include "absl/strings/str_cat.h"

namespace benchlab::coordinator {

#ifdef BENCHLAB_HAVE_PROMETHEUS
namespace {

namespace v1 = benchlab::v1;

class CoreCollector : public prometheus::Collectable {
 public:
  explicit CoreCollector(Core* core) : core_(core) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    CoreStats s = core_->Stats();
    std::vector<prometheus::MetricFamily> out;
    auto gauge = [&](const char* name, const char* help, double v) {
      prometheus::MetricFamily f{name, help, prometheus::MetricType::Gauge, {}};
      f.metric.emplace_back().gauge.value = v;
      out.push_back(std::move(f));
    };
    auto counter = [&](const char* name, const char* help, double v) {
      prometheus::MetricFamily f{name, help, prometheus::MetricType::Counter, {}};
      f.metric.emplace_back().counter.value = v;
      out.push_back(std::move(f));
    };
    gauge("benchlab_agents_connected", "Agents with an open AgentLink session.", s.agents_connected);
    gauge("benchlab_devices", "Phones known to the coordinator.", s.devices_total);
    gauge("benchlab_devices_online", "Phones usable now (agent connected, adb state device).", s.devices_online);
    gauge("benchlab_devices_busy", "Phones holding a run's lease.", s.devices_busy);
    prometheus::MetricFamily runs{"benchlab_runs", "Runs by state.", prometheus::MetricType::Gauge, {}};
    for (int st = v1::RUN_STATE_QUEUED; st <= v1::RUN_STATE_CANCELLED; ++st) {
      auto& m = runs.metric.emplace_back();
      std::string name = v1::RunState_Name(static_cast<v1::RunState>(st)).substr(10);  // drop RUN_STATE_
      for (auto& c : name) c = static_cast<char>(std::tolower(c));
      m.label.push_back({"state", name});
      auto it = s.runs_by_state.find(static_cast<v1::RunState>(st));
      m.gauge.value = it == s.runs_by_state.end() ? 0 : it->second;
    }
    out.push_back(std::move(runs));
    counter("benchlab_run_events_applied_total", "Agent run events applied.", s.events_applied_total);
    counter("benchlab_run_events_duplicate_total", "Agent run events seen again (replays).", s.events_duplicate_total);
    counter("benchlab_runs_retried_total", "Runs re-queued after a retryable failure.", s.runs_retried_total);
    counter("benchlab_log_lines_dropped_total", "Log lines dropped for slow subscribers.", s.log_lines_dropped_total);
    return out;
  }

 private:
  Core* core_;
};

class PrometheusEndpoint : public MetricsEndpoint {
 public:
  std::unique_ptr<prometheus::Exposer> exposer;
  std::shared_ptr<CoreCollector> collector;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetrics(const std::string& listen, Core* core) {
  auto ep = std::make_unique<PrometheusEndpoint>();
  try {  // civetweb reports a failed bind by throwing; keep it inside this file
    ep->exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", listen, ": ", e.what()));
  }
  ep->collector = std::make_shared<CoreCollector>(core);
  ep->exposer->RegisterCollectable(ep->collector);
  return std::unique_ptr<MetricsEndpoint>(std::move(ep));
}
#else
absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetrics(const std::string& listen, Core*) {
  return absl::UnimplementedError("built without prometheus-cpp; --metrics-listen is unavailable");
}
#endif

}  // namespace benchlab::coordinator
