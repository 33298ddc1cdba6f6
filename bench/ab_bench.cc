// ab_bench: what `benchlab ab` decides, end to end (coordinator, Debian adb, agents, devsim
// phones with run-to-run noise). Per trial, on two phones (one per lab host), one variant
// job each of:
//   aa     the same model as A and B, --until-decided (2 repeats, at most 10 a side);
//   b+5%   B made 5 % slower by devsim's `slowdown` control, --until-decided (at most 20);
//   b+5%@10  the same slowdown, a fixed 10 repeats a side (the power bound).
// Prints per job and phone the verdict, the Hodges-Lehmann shift with its interval and the
// repeats a side it took, then per scenario how often each verdict came out.
// Usage: ab_bench [TRIALS (default 3)] [NOISE_CV_PCT (default 2)]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace {

namespace v1 = benchlab::v1;
using benchlab::testing::LabCluster;

struct Scenario {
  std::string name;
  bool slow_b;
  bool until_decided;
  int repeats;
  int max_repeats;
};

// Runs a variant job to its end; its variant comparison (empty on error).
v1::CompareJobsResponse RunAb(const LabCluster& lab, v1::Lab::Stub& stub, const v1::JobSpec& spec,
                              std::string* job_id) {
  auto job = lab.SubmitAndWait(stub, spec);
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.status().ToString().c_str());
    return {};
  }
  *job_id = job->job_id();
  grpc::ClientContext cctx;
  v1::CompareJobsRequest creq;
  creq.set_variant_job_id(*job_id);
  v1::CompareJobsResponse cmp;
  if (grpc::Status st = stub.CompareJobs(&cctx, creq, &cmp); !st.ok()) {
    std::fprintf(stderr, "compare %s: %s\n", job_id->c_str(), st.error_message().c_str());
    return {};
  }
  return cmp;
}

}  // namespace

int main(int argc, char** argv) {
  const int trials = argc > 1 ? std::atoi(argv[1]) : 3;
  const std::string noise = argc > 2 ? argv[2] : "2";
  auto started = LabCluster::Start({.hosts = 2, .phones_per_host = 1, .devsim_extra = {"--noise-cv", noise}});
  if (!started.ok()) {
    std::fprintf(stderr, "lab: %s\n", started.status().ToString().c_str());
    return 1;
  }
  LabCluster& lab = **started;
  auto stub = lab.Lab();
  // Model B: other bytes (another sha256) that a slowdown can single out.
  const std::string model_b = lab.dir() + "/model_b.tflite";
  auto made = benchlab::testing::Run({benchlab::testing::BinPath("benchlab-devsim"), "--make-model", model_b, "--seed", "2"});
  if (made.exit_code != 0) {
    std::fprintf(stderr, "make model B: %s\n", made.output.c_str());
    return 1;
  }
  auto model_a = LabCluster::Upload(*stub, lab.model_path(), v1::ARTIFACT_KIND_MODEL);
  auto model_b_ref = LabCluster::Upload(*stub, model_b, v1::ARTIFACT_KIND_MODEL);
  auto apk = LabCluster::Upload(*stub, lab.apk_path(), v1::ARTIFACT_KIND_APK);
  if (!model_a.ok() || !model_b_ref.ok() || !apk.ok()) return 1;

  const std::vector<Scenario> scenarios = {{"aa", false, true, 2, 10},
                                           {"b+5%", true, true, 2, 20},
                                           {"b+5%@10", true, false, 10, 0}};
  std::map<std::string, std::map<std::string, int>> tally;  // scenario -> verdict -> count
  std::map<std::string, std::vector<int>> repeats_taken;    // scenario -> repeats a side
  std::printf("noise CV %s %%, %d trials, 2 phones\n", noise.c_str(), trials);
  std::printf("%-8s %5s %-8s %-26s %7s %-13s %8s %18s\n", "scenario", "trial", "job", "phone", "repeats", "verdict",
              "shift_%", "ci_%");
  const absl::Time start = absl::Now();
  for (int t = 1; t <= trials; ++t) {
    for (const Scenario& sc : scenarios) {
      for (int h = 0; h < 2; ++h) {
        const std::string cmd = sc.slow_b ? absl::StrCat("slowdown 0 ", model_b_ref->sha256(), " 5") : "slowdown 0 clear";
        if (!lab.host(h).Control(cmd).ok()) return 1;
      }
      v1::JobSpec spec;
      spec.mutable_selector()->set_all(true);
      spec.set_apk_sha256(apk->sha256());
      // Short runs (a few timed iterations), so the phones barely heat.
      spec.mutable_flags()->set_num_runs(5);
      spec.mutable_flags()->set_min_secs(0.01);
      spec.mutable_flags()->set_warmup_runs(1);
      spec.mutable_flags()->set_warmup_min_secs(0.01);
      spec.set_repeats(sc.repeats);
      spec.set_until_decided(sc.until_decided);
      spec.set_max_repeats(sc.max_repeats);
      spec.set_timeout_s(120);
      v1::Variant* a = spec.add_variants();
      a->set_label("A");
      a->set_model_sha256(model_a->sha256());
      v1::Variant* b = spec.add_variants();
      b->set_label("B");
      b->set_model_sha256(sc.name == "aa" ? model_a->sha256() : model_b_ref->sha256());
      std::string job_id;
      v1::CompareJobsResponse cmp = RunAb(lab, *stub, spec, &job_id);
      if (cmp.devices_size() == 0) return 1;
      for (const auto& d : cmp.devices()) {
        if (d.metrics_size() == 0) continue;
        const v1::MetricComparison& m = d.metrics(0);
        const int n = std::min(m.baseline().n(), m.candidate().n());
        ++tally[sc.name][m.verdict()];
        repeats_taken[sc.name].push_back(n);
        std::printf("%-8s %5d %-8s %-26s %7d %-13s %8.2f %8.2f..%-8.2f\n", sc.name.c_str(), t, job_id.c_str(),
                    d.device_id().c_str(), n, m.verdict().c_str(), m.shift_pct(), m.ci_low_pct(), m.ci_high_pct());
        std::fflush(stdout);
      }
    }
  }
  std::printf("\nsummary (%.0f s):\n", absl::ToDoubleSeconds(absl::Now() - start));
  for (const Scenario& sc : scenarios) {
    int total = 0, sum = 0, most = 0;
    for (int n : repeats_taken[sc.name]) {
      sum += n;
      most = std::max(most, n);
      ++total;
    }
    std::printf("  %-8s phone-verdicts %3d:", sc.name.c_str(), total);
    for (const auto& [verdict, count] : tally[sc.name]) std::printf(" %s %d", verdict.c_str(), count);
    std::printf("; repeats a side mean %.1f, max %d\n", total ? static_cast<double>(sum) / total : 0.0, most);
  }
  return 0;
}
