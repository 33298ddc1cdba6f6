// StartMetricsEndpoint: civetweb's CivetServer with one handler on /metrics that turns
// Families into prometheus-cpp's MetricFamily and its text serializer at each scrape.
// Not prometheus-cpp's Exposer: that adds its own exposer_* series to every scrape, and
// every series here starts with benchlab_.
#include "common/exposition/endpoint.h"

#ifdef BENCHLAB_HAVE_PROMETHEUS
#include <algorithm>
#include <exception>
#include <limits>

#include "CivetServer.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"
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

class MetricsHandler : public CivetHandler {
 public:
  MetricsHandler(std::string component, Collector collect)
      : component_(std::move(component)), collect_(std::move(collect)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    Families all = BuildInfo(component_);
    all.Append(collect_());
    std::vector<prometheus::MetricFamily> families;
    families.reserve(all.families().size());
    for (const Family& f : all.families()) families.push_back(ToPrometheus(f));
    const std::string body = prometheus::TextSerializer().Serialize(families);
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: %zu\r\nConnection: close\r\n\r\n",
              body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

 private:
  const std::string component_;
  const Collector collect_;
};

class CivetEndpoint : public MetricsEndpoint {
 public:
  ~CivetEndpoint() override {
    if (server) server->close();  // no handler call after this; then the handler may go
  }
  int port() const override {
    std::vector<int> ports = server->getListeningPorts();
    return ports.empty() ? 0 : ports.front();
  }
  std::unique_ptr<MetricsHandler> handler;
  std::unique_ptr<CivetServer> server;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(const std::string& listen,
                                                                     const std::string& component,
                                                                     Collector collect) {
  auto ep = std::make_unique<CivetEndpoint>();
  ep->handler = std::make_unique<MetricsHandler>(component, std::move(collect));
  try {  // civetweb reports a failed bind by throwing; keep it inside this file
    ep->server = std::make_unique<CivetServer>(std::vector<std::string>{"listening_ports", listen, "num_threads", "2"});
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", listen, ": ", e.what(), "; give another --metrics-listen"));
  }
  ep->server->addHandler("/metrics", ep->handler.get());
  spdlog::info("event=metrics_listening addr={} port={} path=/metrics component={}", listen, ep->port(), component);
  return std::unique_ptr<MetricsEndpoint>(std::move(ep));
}
#else
absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(const std::string&, const std::string&,
                                                                     Collector) {
  return absl::UnimplementedError("built without prometheus-cpp and civetweb; --metrics-listen is unavailable");
}
#endif

}  // namespace benchlab::exposition
