// dashboard_bench: what the dashboard costs the coordinator (coordinator/dashboard_*).
//   1. One live lab update (ListAgents + ListDevices + their JSON) for a lab of A agents x
//      P phones: the work each open lab page causes per change (capped at 4 a second).
//   2. GET /api/v1/devices over loopback HTTP with a bearer token: latency and body size.
//   3. The log hub with a dashboard log view reading: lines/s published into the hub with
//      no reader and with one event stream draining, and what the stream got and missed.
// Usage: dashboard_bench [AGENTS] [PHONES_PER_AGENT] [LOG_LINES]   (default 2000 4 500000)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <string>
#include <memory>
#include <vector>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "coordinator/artifact_store.h"
#include "coordinator/auth.h"
#include "coordinator/core.h"
#include "coordinator/dashboard_events.h"
#include "coordinator/dashboard_http.h"
#include "coordinator/dashboard_server.h"
#include "coordinator/store.h"
#include "httplib.h"
#include "spdlog/spdlog.h"
#include "tests/support/temp_dir.h"

namespace {

namespace v1 = benchlab::v1;
using namespace benchlab::coordinator;

class NullChannel : public AgentChannel {
 public:
  void Send(const v1::CoordinatorMessage&) override {}
  void Close(const std::string&) override {}
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Publishes `lines` lines in batches of 100 to one phone; returns lines/s.
double Flood(Core* core, const std::string& device, int lines) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < lines; i += 100) {
    v1::LogBatch b;
    for (int j = 0; j < 100; ++j) {
      auto* l = b.add_lines();
      l->set_tag("tflite");
      l->set_priority(v1::LOG_PRIORITY_INFO);
      l->set_message(absl::StrCat("INFO: Inference timings in us: Init: 24519, First inference: ", i + j));
    }
    core->log_hub()->Publish(device, std::move(b));
  }
  return lines / Seconds(t0);
}

}  // namespace

int main(int argc, char** argv) {
  const int agents = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int phones = argc > 2 ? std::atoi(argv[2]) : 4;
  const int log_lines = argc > 3 ? std::atoi(argv[3]) : 500000;
  spdlog::set_level(spdlog::level::warn);
  benchlab::testing::TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/benchlab.db");
  ArtifactStore artifacts(dir.path() + "/artifacts", 1 << 20);
  RealClock clock;
  if (!store.ok() || !artifacts.Init().ok()) return 1;
  auto core = Core::Open(store->get(), &artifacts, &clock);
  if (!core.ok()) return 1;
  auto channel = std::make_shared<NullChannel>();
  for (int a = 0; a < agents; ++a) {
    v1::AgentHello h;
    h.set_hostname(absl::StrCat("lab-host-", a));
    for (int p = 0; p < phones; ++p) {
      auto* d = h.add_devices();
      d->set_serial(absl::StrCat("R58M", a, "X", p));
      d->set_adb_state("device");
      d->set_model("SM-S918B");
      d->set_soc("SM8550");
      d->set_battery_level_pct(80);
      d->set_battery_temp_c(31.5);
      d->set_has_battery_temp(true);
    }
    if (!(*core)->AgentHello(absl::StrCat("host", a), h, channel).ok()) return 1;
  }
  std::printf("lab: %d agents x %d phones = %d phones\n", agents, phones, agents * phones);

  // 1. One lab update.
  LabView view(core->get());
  auto lab = OpenLabEvents(core->get(), &view);
  std::string out;
  const int kUpdates = 20;
  auto t0 = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (int i = 0; i < kUpdates; ++i) {
    out.clear();
    lab->Next(&out, absl::Seconds(5));  // the first is the snapshot; then the gap applies
    bytes = out.size();
    (*core)->DeviceUpdate("host0", v1::DeviceUpdate());  // wakes the next one
  }
  double per_update = Seconds(t0) / kUpdates;
  lab->Release();
  std::printf("lab update: one event every %.0f ms (the gap: 250 ms, or 10x the build), event %.2f MB\n",
              per_update * 1000, bytes / 1e6);
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < kUpdates; ++i) {
    v1::ListDevicesResponse d;
    for (auto& x : (*core)->ListDevices({})) *d.add_devices() = std::move(x);
    out = ToJson(d);
  }
  std::printf("lab update build (ListDevices + JSON): %.1f ms CPU-bound each\n", Seconds(t1) / kUpdates * 1000);

  // 1b. Ten open lab pages after one change: one shared build, against ten pages that
  // each build their own (as every page did before LabView).
  {
    constexpr int kPages = 10;
    std::vector<std::shared_ptr<EventStream>> pages;
    for (int i = 0; i < kPages; ++i) pages.push_back(OpenLabEvents(core->get(), &view));
    for (auto& p : pages) p->Next(&out, absl::Seconds(5));  // the first event each
    (*core)->DeviceUpdate("host0", v1::DeviceUpdate());
    const uint64_t builds_before = view.builds();
    // CPU time, not wall time: each page waits out its gap between events.
    std::clock_t c = std::clock();
    for (auto& p : pages) {
      out.clear();
      p->Next(&out, absl::Seconds(30));
    }
    const double shared = double(std::clock() - c) / CLOCKS_PER_SEC;
    const uint64_t builds = view.builds() - builds_before;
    for (auto& p : pages) p->Release();
    std::vector<std::unique_ptr<LabView>> own;
    std::vector<std::shared_ptr<EventStream>> own_pages;
    for (int i = 0; i < kPages; ++i) {
      own.push_back(std::make_unique<LabView>(core->get()));
      own_pages.push_back(OpenLabEvents(core->get(), own.back().get()));
    }
    for (auto& p : own_pages) p->Next(&out, absl::Seconds(5));
    (*core)->DeviceUpdate("host0", v1::DeviceUpdate());
    c = std::clock();
    for (auto& p : own_pages) {
      out.clear();
      p->Next(&out, absl::Seconds(30));
    }
    const double separate = double(std::clock() - c) / CLOCKS_PER_SEC;
    for (auto& p : own_pages) p->Release();
    std::printf("%d open lab pages, one change: shared view %llu build(s) %.0f ms CPU | a build per page %d builds %.0f ms CPU\n",
                kPages, static_cast<unsigned long long>(builds), shared * 1000, kPages, separate * 1000);
  }

  // 2. GET /api/v1/devices over HTTP.
  TokenAuth auth;
  auth.Add("t", Role::kRead, "bench");
  DashboardOptions o;
  o.listen = "127.0.0.1:0";
  auto server = DashboardServer::Start(o, core->get(), &auth);
  if (!server.ok()) return 1;
  httplib::Client c("127.0.0.1", (*server)->port());
  const int kGets = 10;
  size_t body = 0;
  auto t2 = std::chrono::steady_clock::now();
  for (int i = 0; i < kGets; ++i) {
    auto r = c.Get("/api/v1/devices", {{"Authorization", "Bearer t"}});
    if (!r || r->status != 200) return 1;
    body = r->body.size();
  }
  std::printf("GET /api/v1/devices: %.1f ms each, %.1f MB body\n", Seconds(t2) / kGets * 1000, body / 1e6);
  (*server)->Shutdown();

  // 3. The hub with and without a dashboard log reader.
  const std::string device = absl::StrCat("host0/R58M0X0");
  double alone = Flood(core->get(), device, log_lines);
  v1::StreamLogsRequest lr;
  lr.set_device_id(device);
  auto logs = OpenLogEvents(core->get(), lr);
  if (!logs.ok()) return 1;
  std::atomic<bool> stop{false};
  size_t streamed_bytes = 0;
  std::thread reader([&] {
    std::string o2;
    while (!stop.load()) {
      o2.clear();
      (*logs)->Next(&o2, absl::Milliseconds(200));
      streamed_bytes += o2.size();
    }
  });
  double with_reader = Flood(core->get(), device, log_lines);
  ::usleep(500 * 1000);  // the reader drains what is queued
  stop = true;
  reader.join();
  (*logs)->Release();
  std::printf("log hub publish: %.2f M lines/s alone, %.2f M lines/s with a dashboard reader (%.1f MB streamed as "
              "SSE JSON, lines dropped for it counted by the hub: %llu)\n",
              alone / 1e6, with_reader / 1e6, streamed_bytes / 1e6,
              static_cast<unsigned long long>((*core)->log_hub()->dropped_lines_total()));
  return 0;
}
