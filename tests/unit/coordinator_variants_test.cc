// coordinator/variants: the ABBA order, a run's effective spec, submit-time checks, the
// B-vs-A comparison of one job and the until-decided rule (which phones get another block).
#include "coordinator/variants.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

v1::JobSpec AbSpec(int repeats, bool until_decided = false, int max_repeats = 0) {
  v1::JobSpec s;
  s.set_repeats(repeats);
  s.set_until_decided(until_decided);
  s.set_max_repeats(max_repeats);
  auto* a = s.add_variants();
  a->set_label("A");
  a->set_model_sha256(std::string(64, 'a'));
  auto* b = s.add_variants();
  b->set_label("B");
  b->set_model_sha256(std::string(64, 'b'));
  b->mutable_flags()->set_num_threads(4);
  s.set_apk_sha256(std::string(64, 'c'));
  s.mutable_flags()->set_num_threads(1);
  return s;
}

TEST(VariantsTest, OrderIsAbbaAndBalancedOverEveryBlockOfFour) {
  const v1::JobSpec spec = AbSpec(4);
  EXPECT_EQ(RunsPerPhone(spec), 8);
  std::string order;
  for (int p = 0; p < RunsPerPhone(spec); ++p) order += VariantAt(spec, p) == 0 ? 'A' : 'B';
  EXPECT_EQ(order, "ABBAABBA");
  // Linear drift cancels over a block: the positions of A and B sum alike.
  for (int block = 0; block < 3; ++block) {
    int sum[2] = {0, 0};
    for (int p = 4 * block; p < 4 * block + 4; ++p) sum[VariantAt(spec, p)] += p;
    EXPECT_EQ(sum[0], sum[1]) << "block " << block;
  }
  v1::JobSpec plain;
  plain.set_repeats(3);
  EXPECT_EQ(RunsPerPhone(plain), 3);
  EXPECT_EQ(VariantAt(plain, 1), 0);
}

TEST(VariantsTest, RunSpecTakesTheVariantsModelApkAndFlags) {
  v1::JobSpec spec = AbSpec(2);
  spec.mutable_variants(1)->set_apk_sha256(std::string(64, 'd'));
  v1::JobSpec a = RunSpec(spec, 0), b = RunSpec(spec, 1);
  EXPECT_EQ(a.model_sha256(), std::string(64, 'a'));
  EXPECT_EQ(a.apk_sha256(), std::string(64, 'c')) << "A has no APK of its own: the job's";
  EXPECT_EQ(a.flags().num_threads(), 1);
  EXPECT_EQ(b.model_sha256(), std::string(64, 'b'));
  EXPECT_EQ(b.apk_sha256(), std::string(64, 'd'));
  EXPECT_EQ(b.flags().num_threads(), 4);
}

// A store that knows three artifacts: models a, b and APK c.
class ArtifactsOnly : public Store {
 public:
  absl::Status PutAgent(const v1::Agent&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<v1::Agent>> ListAgents() override { return std::vector<v1::Agent>{}; }
  absl::Status PutDevice(const StoredDevice&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<StoredDevice>> ListDevices() override { return std::vector<StoredDevice>{}; }
  absl::Status PutArtifact(const v1::ArtifactRef&) override { return absl::OkStatus(); }
  absl::StatusOr<std::optional<v1::ArtifactRef>> GetArtifact(const std::string& sha) override {
    v1::ArtifactRef r;
    r.set_sha256(sha);
    if (sha == std::string(64, 'a') || sha == std::string(64, 'b')) {
      r.set_kind(v1::ARTIFACT_KIND_MODEL);
      return r;
    }
    if (sha == std::string(64, 'c')) {
      r.set_kind(v1::ARTIFACT_KIND_APK);
      return r;
    }
    return std::nullopt;
  }
  absl::Status CreateJob(const StoredJob&, const std::vector<v1::Run>&) override { return absl::OkStatus(); }
  absl::Status PutJob(const v1::Job&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<StoredJob>> LoadJobs() override { return std::vector<StoredJob>{}; }
  absl::Status PutRun(const v1::Run&) override { return absl::OkStatus(); }
  absl::Status PutRuns(const std::vector<v1::Run>&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<v1::Run>> LoadRuns() override { return std::vector<v1::Run>{}; }
  absl::StatusOr<bool> ApplyEvent(const std::string&, const std::string&, const v1::Run*,
                                  const std::vector<std::string>&) override {
    return true;
  }
  absl::StatusOr<std::vector<std::string>> RawLog(const std::string&) override {
    return std::vector<std::string>{};
  }
  absl::StatusOr<int64_t> PruneRunLogs(const std::vector<std::string>&) override { return 0; }
};

TEST(VariantsTest, SubmitChecksFillTheJobFromVariantZero) {
  ArtifactsOnly store;
  v1::JobSpec spec = AbSpec(3, /*until_decided=*/true);
  ASSERT_TRUE(NormalizeVariants(&spec, &store).ok());
  EXPECT_EQ(spec.model_sha256(), std::string(64, 'a'));
  EXPECT_EQ(spec.max_repeats(), kDefaultMaxRepeats);

  v1::JobSpec missing = AbSpec(3);
  missing.mutable_variants(1)->set_model_sha256(std::string(64, 'e'));
  absl::Status st = NormalizeVariants(&missing, &store);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("variant 1"), std::string::npos) << st;
  EXPECT_NE(st.message().find("upload it first"), std::string::npos) << st;

  v1::JobSpec apk_as_model = AbSpec(3);
  apk_as_model.mutable_variants(0)->set_model_sha256(std::string(64, 'c'));
  EXPECT_EQ(NormalizeVariants(&apk_as_model, &store).code(), absl::StatusCode::kFailedPrecondition);

  v1::JobSpec three = AbSpec(3);
  *three.add_variants() = three.variants(0);
  EXPECT_EQ(NormalizeVariants(&three, &store).code(), absl::StatusCode::kInvalidArgument);

  v1::JobSpec plain;
  plain.set_until_decided(true);
  st = NormalizeVariants(&plain, &store);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("benchlab ab"), std::string::npos) << st;

  v1::JobSpec low_cap = AbSpec(10, true, 4);
  EXPECT_EQ(NormalizeVariants(&low_cap, &store).code(), absl::StatusCode::kInvalidArgument);
  v1::JobSpec huge_cap = AbSpec(10, true, 1001);
  EXPECT_EQ(NormalizeVariants(&huge_cap, &store).code(), absl::StatusCode::kInvalidArgument);
  for (double bad : {-1.0, 0.001, 51.0}) {
    v1::JobSpec threshold = AbSpec(10, true, 30);
    threshold.set_verdict_threshold_pct(bad);
    EXPECT_EQ(NormalizeVariants(&threshold, &store).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// A job's runs on two phones, `per_variant` of each variant in ABBA order, DONE with
// latency base * (1 + slow_b) for B, and a run-to-run CV of `cv` (1 %).
class Ledger {
 public:
  Ledger(const v1::JobSpec& spec, double slow_b, double cv = 0.01) : slow_b_(slow_b), cv_(cv) {
    job_.set_job_id("j1");
    *job_.mutable_spec() = spec;
    job_.add_device_ids("h/p0");
    job_.add_device_ids("h/p1");
  }
  void Add(const std::string& device, int count, v1::RunState state = v1::RUN_STATE_DONE) {
    for (int i = 0; i < count; ++i) {
      int& pos = next_[device];
      v1::Run& r = runs_.emplace_back();
      r.set_run_id(absl::StrCat(device, ".", pos));
      r.set_device_id(device);
      r.set_repeat(pos);
      r.set_variant(VariantAt(job_.spec(), pos));
      r.set_state(state);
      if (state == v1::RUN_STATE_DONE) {
        double v = 10000 * (1 + (r.variant() == 1 ? slow_b_ : 0)) * (1 + cv_ * noise_(rng_));
        r.mutable_metrics()->set_inference_avg_us(v);
      }
      ++pos;
    }
  }
  std::vector<int> Next(const std::string& device) const {
    std::vector<const v1::Run*> ptrs;
    for (const auto& r : runs_) ptrs.push_back(&r);
    return NextPositions(job_, ptrs, device);
  }
  v1::Job& job() { return job_; }
  v1::GetResultsResponse Results() const {
    v1::GetResultsResponse r;
    *r.mutable_job() = job_;
    for (const auto& run : runs_) *r.add_runs() = run;
    return r;
  }

 private:
  double slow_b_;
  double cv_;
  v1::Job job_;
  std::vector<v1::Run> runs_;
  std::map<std::string, int> next_;
  std::mt19937 rng_{7};
  std::normal_distribution<double> noise_{0, 1};
};

TEST(VariantsTest, UntilDecidedAddsAnAbbaBlockWhileInconclusive) {
  Ledger l(AbSpec(2, true, 10), /*slow_b=*/0.0);
  l.Add("h/p0", 4);
  l.Add("h/p1", 4);
  // 2 vs 2 cannot decide: the next block, positions 4-7 (A B B A).
  EXPECT_EQ(l.Next("h/p0"), (std::vector<int>{4, 5, 6, 7}));
  // A queued or running run of the job on the phone: wait for it.
  l.Add("h/p1", 1, v1::RUN_STATE_RUNNING);
  EXPECT_TRUE(l.Next("h/p1").empty());
}

TEST(VariantsTest, UntilDecidedStopsWhenDecided) {
  Ledger l(AbSpec(6, true, 30), /*slow_b=*/0.10);
  l.Add("h/p0", 12);
  l.Add("h/p1", 12);
  EXPECT_TRUE(l.Next("h/p0").empty()) << "6 vs 6 at 10 % and CV 1 % is `slower`";
}

TEST(VariantsTest, UntilDecidedStopsAtTheCapAndCutsTheLastBlock) {
  Ledger l(AbSpec(2, true, 5), /*slow_b=*/0.0, /*cv=*/0.05);
  l.Add("h/p0", 8);  // 4 of each; at CV 5 % far from `same`
  // A B B A would make A 6: only what fits under 5 per variant.
  std::vector<int> next = l.Next("h/p0");
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(VariantAt(l.job().spec(), next[0]), 0);
  EXPECT_EQ(VariantAt(l.job().spec(), next[1]), 1);
  l.Add("h/p0", 2);
  EXPECT_TRUE(l.Next("h/p0").empty()) << "5 of each: capped";
}

TEST(VariantsTest, UntilDecidedDecidesWithTheJobsThreshold) {
  // A/A at CV 5 %: 8 a side is no `same` within the default +-2 %, but is within +-20 %.
  for (double threshold : {0.0, 20.0}) {
    v1::JobSpec spec = AbSpec(8, true, 30);
    spec.set_verdict_threshold_pct(threshold);
    Ledger l(spec, /*slow_b=*/0.0, /*cv=*/0.05);
    l.Add("h/p0", 16);
    l.Add("h/p1", 16);
    EXPECT_EQ(l.Next("h/p0").empty(), threshold == 20.0) << "threshold " << threshold;
  }
}

TEST(VariantsTest, UntilDecidedLeavesCancelledJobsAndDeadPhonesAlone) {
  Ledger dead(AbSpec(2, true, 10), 0.0);
  dead.Add("h/p0", 4, v1::RUN_STATE_FAILED);
  EXPECT_TRUE(dead.Next("h/p0").empty()) << "no DONE run: not fed more";
  Ledger cancelled(AbSpec(2, true, 10), 0.0);
  cancelled.Add("h/p0", 4);
  cancelled.job().set_cancelled(true);
  EXPECT_TRUE(cancelled.Next("h/p0").empty());
  Ledger off(AbSpec(2, false, 10), 0.0);
  off.Add("h/p0", 4);
  EXPECT_TRUE(off.Next("h/p0").empty()) << "until_decided not asked";
}

TEST(VariantsTest, CompareVariantsJudgesBAgainstAPerPhone) {
  Ledger l(AbSpec(8), /*slow_b=*/0.05);
  l.Add("h/p0", 16);
  l.Add("h/p1", 16);
  auto resp = CompareVariants(l.Results(), v1::CompareJobsRequest());
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->devices_size(), 2);
  for (const auto& d : resp->devices()) {
    ASSERT_EQ(d.metrics_size(), 1);
    EXPECT_EQ(d.metrics(0).metric(), "inference_avg_us");
    EXPECT_EQ(d.metrics(0).verdict(), "slower") << d.device_id();
    EXPECT_NEAR(d.metrics(0).shift_pct(), 5, 1.5);
    EXPECT_EQ(d.metrics(0).baseline().n(), 8);
  }
  // The variants' flags differ (1 vs 4 threads): said as a warning.
  ASSERT_EQ(resp->warnings_size(), 1);
  EXPECT_NE(resp->warnings(0).find("flags"), std::string::npos) << resp->warnings(0);

  Ledger plain(v1::JobSpec(), 0);
  EXPECT_EQ(CompareVariants(plain.Results(), v1::CompareJobsRequest()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace benchlab::coordinator
