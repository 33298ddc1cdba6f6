// gate_bench: what the run-conditions gate buys, through the real chain (coordinator, Debian
// adb, devsim's thermal model, the agent's conditions reports). Two devsim phones start hot
// (battery 45 C); the same job (10 back-to-back runs per phone, 4 threads) runs once with
// no gate and once with `--max-battery-temp 36`. Prints per phone the runs' latency (mean,
// CV), the battery temperature each run started at, and the job's wall time: the gated
// runs wait for the phone to cool and come out faster and steadier.
// devsim runs its thermal clock 2x (--thermal-time-scale 2: a 20 s cooling time constant)
// so the bench takes minutes, not ten.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/lab_cluster.h"

namespace {

namespace v1 = benchlab::v1;
using benchlab::testing::LabCluster;

struct PhoneFigures {
  std::vector<double> latency_us;
  std::vector<double> start_temp_c;
};

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

double CvPct(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double m = Mean(v), ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / (v.size() - 1)) / m * 100;
}

// Runs one job to its end; false when it could not.
bool RunJob(LabCluster& lab, v1::Lab::Stub& stub, const v1::JobSpec& spec, std::map<std::string, PhoneFigures>* out,
            double* wall_s) {
  absl::Time start = absl::Now();
  auto submitted = lab.SubmitAndWait(stub, spec);
  if (!submitted.ok()) return false;
  *wall_s = absl::ToDoubleSeconds(absl::Now() - start);
  grpc::ClientContext gctx;
  v1::GetJobRequest greq;
  greq.set_job_id(submitted->job_id());
  v1::GetJobResponse job;
  if (!stub.GetJob(&gctx, greq, &job).ok()) return false;
  std::vector<v1::Run> runs(job.runs().begin(), job.runs().end());
  std::sort(runs.begin(), runs.end(), [](const v1::Run& a, const v1::Run& b) {
    return a.timings().assigned_unix_ms() < b.timings().assigned_unix_ms();
  });
  for (const v1::Run& r : runs) {
    if (r.state() != v1::RUN_STATE_DONE) continue;
    PhoneFigures& f = (*out)[r.device_id()];
    f.latency_us.push_back(r.metrics().has_inference_avg_us() ? r.metrics().inference_avg_us() : r.metrics().avg_us());
    f.start_temp_c.push_back(r.conditions().before().battery_temp_c());
  }
  return true;
}

}  // namespace

int main() {
  auto started = LabCluster::Start({.hosts = 1,
                                    .phones_per_host = 2,
                                    .run_seconds = 1,
                                    .agent_extra = {"--conditions-interval", "0.5"},
                                    .devsim_extra = {"--thermal-time-scale", "2"}});
  if (!started.ok()) {
    std::fprintf(stderr, "lab: %s\n", started.status().ToString().c_str());
    return 1;
  }
  LabCluster& lab = **started;
  auto stub = lab.Lab();
  auto model = LabCluster::Upload(*stub, lab.model_path(), v1::ARTIFACT_KIND_MODEL);
  auto apk = LabCluster::Upload(*stub, lab.apk_path(), v1::ARTIFACT_KIND_APK);
  if (!model.ok() || !apk.ok()) return 1;
  std::printf("%-8s %-26s %5s %12s %8s %18s %8s\n", "gate", "phone", "runs", "mean_us", "cv_pct", "start_temp_c",
              "wall_s");
  for (bool gated : {false, true}) {
    for (int p = 0; p < 2; ++p) {
      if (!lab.host(0).Control(absl::StrCat("temp ", p, " 45")).ok()) return 1;
    }
    // The gate decides on what the agent last reported: wait for the phones to read hot.
    for (absl::Time end = absl::Now() + absl::Seconds(20); absl::Now() < end;) {
      grpc::ClientContext ctx;
      v1::ListDevicesResponse resp;
      if (!stub->ListDevices(&ctx, v1::ListDevicesRequest(), &resp).ok()) return 1;
      bool hot = resp.devices_size() == 2;
      for (const auto& d : resp.devices()) hot &= d.info().conditions().battery_temp_c() >= 43;
      if (hot) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    v1::JobSpec spec;
    spec.set_model_sha256(model->sha256());
    spec.set_apk_sha256(apk->sha256());
    spec.mutable_selector()->set_all(true);
    spec.mutable_flags()->set_num_threads(4);
    spec.set_repeats(10);
    spec.set_timeout_s(120);
    if (gated) {
      spec.set_max_battery_temp_c(36);
      spec.set_gate_timeout_s(600);
    }
    std::map<std::string, PhoneFigures> figures;
    double wall_s = 0;
    if (!RunJob(lab, *stub, spec, &figures, &wall_s)) return 1;
    for (const auto& [device, f] : figures) {
      auto [lo, hi] = std::minmax_element(f.start_temp_c.begin(), f.start_temp_c.end());
      std::printf("%-8s %-26s %5zu %12.0f %8.2f %8.1f..%-8.1f %8.1f\n", gated ? "36C" : "none", device.c_str(),
                  f.latency_us.size(), Mean(f.latency_us), CvPct(f.latency_us), *lo, *hi, wall_s);
    }
  }
  return 0;
}
