// History on a real SQLite store: jobs and runs written as the core writes them, then
// GetHistory's series (keys, per-job medians, change points) and ListRegressions' order
// and time filter.
#include <gtest/gtest.h>

#include "coordinator/history.h"
#include "coordinator/store.h"
#include "tests/support/temp_dir.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

const std::string kModel(64, 'a');
const std::string kOtherModel(64, 'b');
const std::string kApk(64, 'c');

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenSqliteStore(dir_.path() + "/lab.db");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    v1::ArtifactRef model;
    model.set_sha256(kModel);
    model.set_kind(v1::ARTIFACT_KIND_MODEL);
    model.set_name("mobilenet.tflite");
    ASSERT_TRUE(store_->PutArtifact(model).ok());
    StoredDevice d;
    d.info.set_device_id("lab0/SER1");
    d.info.set_serial("SER1");
    d.info.set_agent_id("lab0");
    d.info.set_model("Pixel 7");
    (*d.info.mutable_properties())["ro.serialno"] = "R58M1";
    ASSERT_TRUE(store_->PutDevice(d).ok());
  }

  // A job of `model` whose DONE runs on each device report the given latencies (one value
  // per repeat); `metric` picks inference_avg_us or avg_us.
  void AddJob(const std::string& model, const std::map<std::string, std::vector<double>>& runs_by_device,
              v1::BenchmarkFlags flags = {}, const std::string& metric = "inference_avg_us",
              int64_t created_unix_ms = 0) {
    ++seq_;
    StoredJob sj;
    sj.seq = seq_;
    sj.job.set_job_id("job" + std::to_string(seq_));
    sj.job.set_created_unix_ms(created_unix_ms ? created_unix_ms : 1'000'000 + seq_ * 1000);
    sj.job.mutable_spec()->set_model_sha256(model);
    sj.job.mutable_spec()->set_apk_sha256(kApk);
    *sj.job.mutable_spec()->mutable_flags() = flags;
    std::vector<v1::Run> runs;
    for (const auto& [device, values] : runs_by_device) {
      for (size_t i = 0; i < values.size(); ++i) {
        v1::Run& r = runs.emplace_back();
        r.set_run_id(sj.job.job_id() + "." + device + "." + std::to_string(i));
        r.set_job_id(sj.job.job_id());
        r.set_device_id(device);
        r.set_state(v1::RUN_STATE_DONE);
        r.mutable_timings()->set_finished_unix_ms(sj.job.created_unix_ms() + 500);
        if (metric == "inference_avg_us") r.mutable_metrics()->set_inference_avg_us(values[i]);
        r.mutable_metrics()->set_avg_us(values[i] * 1.01);
      }
    }
    // A failed run is never part of a series.
    v1::Run& failed = runs.emplace_back();
    failed.set_run_id(sj.job.job_id() + ".failed");
    failed.set_job_id(sj.job.job_id());
    failed.set_device_id("lab0/SER1");
    failed.set_state(v1::RUN_STATE_FAILED);
    failed.mutable_metrics()->set_inference_avg_us(1e9);
    ASSERT_TRUE(store_->CreateJob(sj, runs).ok());
  }

  // Small alternating noise (±0.5 %) so the series are not constant.
  static double Wobble(int i) { return i % 2 ? 1.005 : 0.995; }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  int seq_ = 0;
};

TEST_F(HistoryTest, OneSeriesPerPhoneWithTheStepFoundOnlyWhereItIs) {
  for (int j = 0; j < 20; ++j) {
    const double a = 1000 * Wobble(j) * (j >= 12 ? 1.06 : 1.0);  // +6 % from job 12
    const double b = 2000 * Wobble(j + 1);
    AddJob(kModel, {{"lab0/SER1", {a, a * 1.01, a * 0.99}}, {"lab1/SER2", {b, b}}});
  }
  AddJob(kOtherModel, {{"lab0/SER1", {5000}}});
  History history(store_.get());
  v1::GetHistoryRequest req;
  req.set_model_sha256(kModel);
  auto resp = history.GetHistory(req, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->series_size(), 2);
  const v1::Series& a = resp->series(0);
  EXPECT_EQ(a.key().device_id(), "lab0/SER1");
  EXPECT_EQ(a.key().device_model(), "Pixel 7");
  EXPECT_EQ(a.key().device_serialno(), "R58M1");
  EXPECT_EQ(a.key().model_name(), "mobilenet.tflite");
  EXPECT_EQ(a.key().apk_sha256(), kApk);
  EXPECT_EQ(a.key().metric(), "inference_avg_us");
  ASSERT_EQ(a.points_size(), 20);
  EXPECT_EQ(a.points(0).job_id(), "job1");
  EXPECT_EQ(a.points(0).n(), 3);  // the failed run is not counted
  EXPECT_DOUBLE_EQ(a.points(0).median(), 1000 * Wobble(0));
  EXPECT_EQ(a.points(0).finished_unix_ms(), a.points(0).created_unix_ms() + 500);
  ASSERT_EQ(a.change_points_size(), 1);
  EXPECT_EQ(a.change_points(0).index(), 12);
  EXPECT_EQ(a.change_points(0).job_before(), "job12");
  EXPECT_EQ(a.change_points(0).job_after(), "job13");
  EXPECT_EQ(a.change_points(0).direction(), "slower");
  EXPECT_NEAR(a.change_points(0).change_pct(), 6, 1.5);
  const v1::Series& b = resp->series(1);
  EXPECT_EQ(b.key().device_id(), "lab1/SER2");
  EXPECT_EQ(b.key().device_model(), "");  // not in the store's devices
  EXPECT_EQ(b.points_size(), 20);
  EXPECT_EQ(b.change_points_size(), 0);

  auto only_b = history.GetHistory(req, std::set<std::string>{"lab1/SER2"});
  ASSERT_TRUE(only_b.ok());
  ASSERT_EQ(only_b->series_size(), 1);
  EXPECT_EQ(only_b->series(0).key().device_id(), "lab1/SER2");
}

TEST_F(HistoryTest, FlagsInAnyOrderAreOneSeriesAndOtherFlagsAnother) {
  v1::BenchmarkFlags ab, ba, threads;
  auto* e = ab.add_extra();
  e->set_name("use_caching");
  e->set_value("true");
  e = ab.add_extra();
  e->set_name("allow_fp16");
  e->set_value("true");
  ba.add_extra()->CopyFrom(ab.extra(1));
  ba.add_extra()->CopyFrom(ab.extra(0));
  threads.set_num_threads(4);
  AddJob(kModel, {{"lab0/SER1", {100}}}, ab);
  AddJob(kModel, {{"lab0/SER1", {101}}}, ba);
  AddJob(kModel, {{"lab0/SER1", {50}}}, threads);
  AddJob(kModel, {{"lab0/SER1", {90}}}, {}, "avg_us");  // an older tool: avg_us only
  History history(store_.get());
  v1::GetHistoryRequest req;
  req.set_model_sha256(kModel);
  auto resp = history.GetHistory(req, std::nullopt);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->series_size(), 3);
  std::map<std::string, int> points_by_flags;
  for (const auto& s : resp->series()) points_by_flags[s.key().flags() + "|" + s.key().metric()] = s.points_size();
  EXPECT_EQ(points_by_flags["--allow_fp16=true --use_caching=true|inference_avg_us"], 2);
  EXPECT_EQ(points_by_flags["--num_threads=4|inference_avg_us"], 1);
  EXPECT_EQ(points_by_flags.count("|inference_avg_us"), 0u);  // its runs had avg_us only
  EXPECT_EQ(points_by_flags["|avg_us"], 1);
  EXPECT_EQ(CanonicalFlags(ab), CanonicalFlags(ba));
  EXPECT_EQ(CanonicalFlags({}), "");
}

TEST_F(HistoryTest, RegressionsSlowerFirstAndOnlySinceTheGivenTime) {
  for (int j = 0; j < 20; ++j) {
    const double up = 1000 * Wobble(j) * (j >= 10 ? 1.05 : 1.0);
    const double big_up = 1000 * Wobble(j) * (j >= 10 ? 1.20 : 1.0);
    const double down = 3000 * Wobble(j) * (j >= 10 ? 0.70 : 1.0);
    AddJob(kModel, {{"lab0/SER1", {up}}, {"lab1/SER2", {down}}, {"lab2/SER3", {big_up}}});
  }
  History history(store_.get());
  v1::ListRegressionsRequest req;
  req.set_since_unix_ms(1'000'000);
  auto resp = history.ListRegressions(req, std::nullopt, 0);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->regressions_size(), 3);
  EXPECT_EQ(resp->regressions(0).series().device_id(), "lab2/SER3");  // +20 %
  EXPECT_EQ(resp->regressions(1).series().device_id(), "lab0/SER1");  // +5 %
  EXPECT_EQ(resp->regressions(2).series().device_id(), "lab1/SER2");  // -30 %: faster, last
  EXPECT_EQ(resp->regressions(2).change().direction(), "faster");
  for (const auto& r : resp->regressions()) EXPECT_EQ(r.change().job_after(), "job11");

  req.set_since_unix_ms(1'000'000 + 12 * 1000);  // after job 11 was created
  resp = history.ListRegressions(req, std::nullopt, 0);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->regressions_size(), 0);

  // 0 = the last 7 days before "now".
  req.set_since_unix_ms(0);
  resp = history.ListRegressions(req, std::nullopt, 1'000'000 + 8LL * 86400 * 1000);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->regressions_size(), 0);
  resp = history.ListRegressions(req, std::nullopt, 1'000'000 + 6LL * 86400 * 1000);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->regressions_size(), 3);

  resp = history.ListRegressions(req, std::set<std::string>{"lab1/SER2"}, 1'000'000);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->regressions_size(), 1);
  EXPECT_EQ(resp->regressions(0).series().device_id(), "lab1/SER2");
}

TEST_F(HistoryTest, RefusesAMalformedModelHash) {
  History history(store_.get());
  v1::GetHistoryRequest req;
  req.set_model_sha256("not-a-hash");
  auto resp = history.GetHistory(req, std::nullopt);
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(resp.status().message().find("64 lower-case hex"), std::string::npos);
  req.set_model_sha256(kModel);
  auto empty = history.GetHistory(req, std::nullopt);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->series_size(), 0);
  v1::ListRegressionsRequest bad;
  bad.set_since_unix_ms(-1);
  EXPECT_EQ(history.ListRegressions(bad, std::nullopt, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HistoryTest, LoadJobRunsReturnsOnlyThatJobsRuns) {
  AddJob(kModel, {{"lab0/SER1", {1, 2}}});
  AddJob(kModel, {{"lab0/SER1", {3}}});
  auto runs = store_->LoadJobRuns("job2");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);  // one DONE, one FAILED
  for (const auto& r : *runs) EXPECT_EQ(r.job_id(), "job2");
}

}  // namespace
}  // namespace benchlab::coordinator
