// StartMetricsEndpoint over prometheus-cpp's Exposer (civetweb), with one Collectable that
// converts Families into prometheus-cpp's MetricFamily at each scrape.
#include "common/exposition/endpoint.h"

#ifdef BENCHLAB_HAVE_PROMETHEUS
#include <algorithm>
#include <exception>
#include <limits>

#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"
#endif

#include "absl/strings/str_cat.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace benchlab::exposition {

Families BuildInfo(const std::string& component) {
  Families f;
  f.Gauge("benchlab_build_info", "Always 1; the labels say which benchlab build this process is.")
      .Add({{"version", kVersion}, {"component", component}}, 1);
  return f;
}

#ifdef BENCHLAB_HAVE_PROMETHEUS
namespace {

prometheus::MetricFamily ToPrometheus(const Family& f) {
  prometheus::MetricFamily out;
  out.name = f.name;
  out.help = f.help;
  out.type = f.kind == Kind::kGauge     ? prometheus::MetricType::Gauge
             : f.kind == Kind::kCounter ? prometheus::MetricType::Counter
                                        : prometheus::MetricType::Histogram;
  for (const Sample& s : f.samples) {
    prometheus::ClientMetric& m = out.metric.emplace_back();
    for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
    // Sorted by name: one spelling of each series (scrapers and tests compare lines).
    std::sort(m.label.begin(), m.label.end(),
              [](const prometheus::ClientMetric::Label& a, const prometheus::ClientMetric::Label& b) {
                return a.name < b.name;
              });
    switch (f.kind) {
      case Kind::kGauge: m.gauge.value = s.value; break;
      case Kind::kCounter: m.counter.value = s.value; break;
      case Kind::kHistogram: {
        const HistogramSnapshot& h = s.histogram;
        m.histogram.sample_count = h.count;
        m.histogram.sample_sum = h.sum;
        uint64_t cumulative = 0;
        for (size_t i = 0; i < h.counts.size(); ++i) {
          cumulative += h.counts[i];
          prometheus::ClientMetric::Bucket b;
          b.cumulative_count = cumulative;
          b.upper_bound = i < h.bounds.size() ? h.bounds[i] : std::numeric_limits<double>::infinity();
          m.histogram.bucket.push_back(b);
        }
        break;
      }
    }
  }
  return out;
}

class FamiliesCollectable : public prometheus::Collectable {
 public:
  FamiliesCollectable(std::string component, Collector collect)
      : component_(std::move(component)), collect_(std::move(collect)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    Families all = BuildInfo(component_);
    all.Append(collect_());
    std::vector<prometheus::MetricFamily> out;
    out.reserve(all.families().size());
    for (const Family& f : all.families()) out.push_back(ToPrometheus(f));
    return out;
  }

 private:
  const std::string component_;
  const Collector collect_;
};

class PrometheusEndpoint : public MetricsEndpoint {
 public:
  int port() const override {
    auto ports = exposer->GetListeningPorts();
    return ports.empty() ? 0 : ports.front();
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  std::shared_ptr<FamiliesCollectable> collectable;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(const std::string& listen,
                                                                     const std::string& component,
                                                                     Collector collect) {
  auto ep = std::make_unique<PrometheusEndpoint>();
  try {  // civetweb reports a failed bind by throwing; keep it inside this file
    ep->exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", listen, ": ", e.what(), "; give another --metrics-listen"));
  }
  ep->collectable = std::make_shared<FamiliesCollectable>(component, std::move(collect));
  ep->exposer->RegisterCollectable(ep->collectable);
  spdlog::info("event=metrics_listening addr={} port={} path=/metrics", listen, ep->port());
  return std::unique_ptr<MetricsEndpoint>(std::move(ep));
}
#else
absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(const std::string&, const std::string&,
                                                                     Collector) {
  return absl::UnimplementedError("built without prometheus-cpp; --metrics-listen is unavailable");
}
#endif

}  // namespace benchlab::exposition
