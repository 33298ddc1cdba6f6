// CompareJobs' verdict layer (coordinator/verdicts.h) on hand-made GetResults answers:
// metric choice, unknown metrics, verdicts with Holm over devices, job differences.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "coordinator/verdicts.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

// A job's results: per device the given inference averages (avg_us mirrors them unless
// `with_avg` is false; inference_avg_us is left out when `with_inference` is false).
v1::GetResultsResponse Results(const std::map<std::string, std::vector<double>>& by_device,
                               bool with_inference = true) {
  v1::GetResultsResponse r;
  r.mutable_job()->mutable_spec()->set_apk_sha256(std::string(64, 'a'));
  for (const auto& [device, values] : by_device) {
    for (double v : values) {
      v1::Run* run = r.add_runs();
      run->set_device_id(device);
      run->set_state(v1::RUN_STATE_DONE);
      run->mutable_metrics()->set_avg_us(v);
      if (with_inference) run->mutable_metrics()->set_inference_avg_us(v);
      run->mutable_metrics()->set_init_us(20000);
    }
    v1::Run* failed = r.add_runs();  // failed runs add nothing
    failed->set_device_id(device);
    failed->set_state(v1::RUN_STATE_FAILED);
    failed->mutable_metrics()->set_inference_avg_us(1);
  }
  return r;
}

std::vector<double> Scaled(double factor) {
  std::vector<double> out;
  for (double v : {1000.0, 1012.0, 994.0, 1006.0, 998.0, 1003.0, 991.0, 1009.0}) out.push_back(v * factor);
  return out;
}

TEST(CompareResults, DefaultIsThePrimaryMetricOnlyWithItsVerdict) {
  auto resp = CompareResults(Results({{"h/A", Scaled(1)}}), Results({{"h/A", Scaled(1.1)}}), {});
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->devices_size(), 1);
  ASSERT_EQ(resp->devices(0).metrics_size(), 1) << "avg_us duplicates inference_avg_us";
  const auto& m = resp->devices(0).metrics(0);
  EXPECT_EQ(m.metric(), "inference_avg_us");
  EXPECT_EQ(m.verdict(), "slower");
  EXPECT_EQ(m.baseline().n(), 8);
  EXPECT_EQ(m.candidate().n(), 8);
  EXPECT_NEAR(m.shift_pct(), 10, 0.5);
  EXPECT_GT(m.ci_low_pct(), 5);
  EXPECT_LT(m.p_value(), 0.001);
  EXPECT_TRUE(m.p_exact());
  EXPECT_EQ(m.p_adjusted(), m.p_value());
  EXPECT_EQ(m.more_repeats(), 0);
  EXPECT_TRUE(m.significant()) << "the old field still works";
  EXPECT_EQ(resp->threshold_pct(), 2);
  EXPECT_EQ(resp->ci_level(), 0.95);
  EXPECT_EQ(resp->alpha(), 0.01);
  EXPECT_TRUE(resp->warnings().empty());
}

TEST(CompareResults, OlderRunsWithOnlyAvgUsFallBackToIt) {
  auto resp = CompareResults(Results({{"h/A", Scaled(1)}}, false), Results({{"h/A", Scaled(0.9)}}, false), {});
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->devices(0).metrics_size(), 1);
  EXPECT_EQ(resp->devices(0).metrics(0).metric(), "avg_us");
  EXPECT_EQ(resp->devices(0).metrics(0).verdict(), "faster");
}

TEST(CompareResults, BothAveragesAskedShowOneAndOtherMetricsStay) {
  v1::CompareJobsRequest req;
  req.add_metrics("avg_us");
  req.add_metrics("inference_avg_us");
  req.add_metrics("init_us");
  auto resp = CompareResults(Results({{"h/A", Scaled(1)}}), Results({{"h/A", Scaled(1)}}), req);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->devices(0).metrics_size(), 2);
  EXPECT_EQ(resp->devices(0).metrics(0).metric(), "avg_us");
  EXPECT_EQ(resp->devices(0).metrics(1).metric(), "init_us");
  EXPECT_EQ(resp->devices(0).metrics(0).verdict(), "same") << "8 repeats at CV 0.7 %: interval +-0.7 %";
  EXPECT_EQ(resp->devices(0).metrics(1).verdict(), "same") << "init_us is constant";
}

TEST(CompareResults, UnknownMetricIsInvalidArgumentListingTheKnownOnes) {
  v1::CompareJobsRequest req;
  req.add_metrics("latency");
  auto resp = CompareResults(Results({{"h/A", Scaled(1)}}), Results({{"h/A", Scaled(1)}}), req);
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "\"latency\"")) << resp.status();
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "inference_avg_us")) << resp.status();
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "peak_memory_mb")) << resp.status();
}

TEST(CompareResults, ThresholdIsCheckedAndUsed) {
  v1::CompareJobsRequest req;
  req.set_threshold_pct(-1);
  EXPECT_EQ(CompareResults(Results({}), Results({}), req).status().code(), absl::StatusCode::kInvalidArgument);
  req.set_threshold_pct(0.2);  // a 0.5 % change of quiet runs is then not `same`
  std::map<std::string, std::vector<double>> base, cand;
  for (int i = 0; i < 30; ++i) base["h/A"].push_back(1000 + i % 7), cand["h/A"].push_back(1005 + i % 7);
  auto resp = CompareResults(Results(base), Results(cand), req);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->threshold_pct(), 0.2);
  EXPECT_EQ(resp->devices(0).metrics(0).verdict(), "slower");
  req.set_threshold_pct(0);
  EXPECT_EQ(CompareResults(Results(base), Results(cand), req)->devices(0).metrics(0).verdict(), "same");
}

TEST(CompareResults, HolmCorrectsAcrossDevices) {
  // 5 vs 5 fully separated: p = 0.0079 alone (slower), 0.0159 with a second device.
  std::vector<double> lo = {100, 101, 102, 103, 104}, hi = {110, 111, 112, 113, 114};
  auto alone = CompareResults(Results({{"h/A", lo}}), Results({{"h/A", hi}}), {});
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->devices(0).metrics(0).verdict(), "slower");
  auto two = CompareResults(Results({{"h/A", lo}, {"h/B", lo}}), Results({{"h/A", hi}, {"h/B", lo}}), {});
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->devices_size(), 2);
  const auto& a = two->devices(0).metrics(0);
  EXPECT_NEAR(a.p_adjusted(), 2 * a.p_value(), 1e-12);
  EXPECT_EQ(a.verdict(), "inconclusive");
  EXPECT_GT(a.more_repeats(), 0);
}

TEST(CompareResults, DevicesOnOneSideAreListed) {
  auto resp = CompareResults(Results({{"h/A", Scaled(1)}, {"h/B", Scaled(1)}}),
                             Results({{"h/A", Scaled(1)}, {"h/C", Scaled(1)}}), {});
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->devices_size(), 1);
  ASSERT_EQ(resp->baseline_only_size(), 1);
  EXPECT_EQ(resp->baseline_only(0), "h/B");
  ASSERT_EQ(resp->candidate_only_size(), 1);
  EXPECT_EQ(resp->candidate_only(0), "h/C");
}

TEST(JobDifferences, FlagsApkAndCooldownAreWarnedNotTheModel) {
  v1::JobSpec a, b;
  a.set_model_sha256(std::string(64, '1'));
  b.set_model_sha256(std::string(64, '2'));
  a.set_apk_sha256(std::string(64, 'a'));
  b.set_apk_sha256(std::string(64, 'a'));
  EXPECT_TRUE(JobDifferences(a, b).empty()) << "the model is the variant";
  a.mutable_flags()->set_num_threads(1);
  b.mutable_flags()->set_num_threads(4);
  b.set_apk_sha256(std::string(64, 'b'));
  b.set_cooldown_s(30);
  std::vector<std::string> w = JobDifferences(a, b);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_TRUE(absl::StrContains(w[0], "--num_threads=1")) << w[0];
  EXPECT_TRUE(absl::StrContains(w[0], "--num_threads=4")) << w[0];
  EXPECT_TRUE(absl::StrContains(w[1], "APK")) << w[1];
  EXPECT_TRUE(absl::StrContains(w[1], "bbbbbbbbbbbb")) << w[1];
  EXPECT_TRUE(absl::StrContains(w[2], "cooldown 0 s vs 30 s")) << w[2];
}

TEST(PhoneDifferences, AnotherBuildAHotterStartOrWorseThrottlingIsWarned) {
  auto results = [](const std::string& fingerprint, double temp_c, v1::ThermalStatus status) {
    v1::GetResultsResponse r;
    for (int i = 0; i < 3; ++i) {
      v1::Run* run = r.add_runs();
      run->set_device_id("h/A");
      run->set_state(v1::RUN_STATE_DONE);
      v1::RunConditions* c = run->mutable_conditions()->mutable_before();
      c->set_build_fingerprint(fingerprint);
      c->set_battery_temp_c(temp_c + i * 0.1);
      c->set_thermal_status(status);
    }
    return r;
  };
  const auto base = results("g/p:14/UQ1A/1:user/release-keys", 31, v1::THERMAL_STATUS_NONE);
  EXPECT_TRUE(PhoneDifferences(base, results("g/p:14/UQ1A/1:user/release-keys", 34, v1::THERMAL_STATUS_NONE)).empty())
      << "3 C apart is the same conditions";
  std::vector<std::string> w =
      PhoneDifferences(base, results("g/p:14/UQ1A/2:user/release-keys", 41.5, v1::THERMAL_STATUS_MODERATE));
  ASSERT_EQ(w.size(), 3u);
  EXPECT_TRUE(absl::StrContains(w[0], "another Android build") && absl::StrContains(w[0], "UQ1A/2")) << w[0];
  EXPECT_TRUE(absl::StrContains(w[1], "31.1 C (baseline) vs 41.6 C")) << w[1];
  EXPECT_TRUE(absl::StrContains(w[2], "none (baseline) vs moderate")) << w[2];
  EXPECT_TRUE(PhoneDifferences(base, v1::GetResultsResponse()).empty()) << "nothing recorded, nothing said";
}

}  // namespace
}  // namespace benchlab::coordinator
