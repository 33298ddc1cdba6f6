// Core with variant jobs, driven directly (fake clock, the real SQLite store, a fake agent
// that answers every assignment): each phone is handed A and B in ABBA order with the
// variant's model and flags, --until-decided appends ABBA blocks through the store until
// the phone is decided or capped, the job finishes only then, and a restarted Core
// finds every appended run. Over the in-memory store: an extension whose write fails
// leaves the job open and consistent, is retried by the next tick, and a cancel or a
// restart meanwhile ends the job cleanly.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/core.h"
#include "spdlog/spdlog.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/coordinator_test_core.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

// Keeps every assignment, in the order they were sent.
class Channel : public AgentChannel {
 public:
  void Send(const v1::CoordinatorMessage& m) override {
    absl::MutexLock l(&mu);
    if (m.has_assign()) pending.push_back(m.assign());
  }
  void Close(const std::string&) override {}
  // The oldest assignment not yet answered; false when none is left.
  bool Next(v1::RunAssignment* a) {
    absl::MutexLock l(&mu);
    if (pending.empty()) return false;
    *a = pending.front();
    pending.pop_front();
    return true;
  }
  absl::Mutex mu;
  std::deque<v1::RunAssignment> pending ABSL_GUARDED_BY(mu);
};

// The agent's result for an assignment: done, with this inference latency.
v1::RunEvent DoneEvent(const v1::RunAssignment& a, int event_seq, double inference_us) {
  v1::RunEvent e;
  e.set_event_id(absl::StrCat("e", event_seq));
  e.set_run_id(a.run_id());
  e.set_attempt(a.attempt());
  e.mutable_result()->set_state(v1::RUN_STATE_DONE);
  e.mutable_result()->mutable_metrics()->set_inference_avg_us(inference_us);
  return e;
}

class CoreVariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    artifacts_ = std::make_unique<ArtifactStore>(dir_.path() + "/artifacts", 1 << 20);
    ASSERT_TRUE(artifacts_->Init().ok());
    Open();
    for (auto [sha, kind] : {std::pair{"ma", v1::ARTIFACT_KIND_MODEL}, std::pair{"mb", v1::ARTIFACT_KIND_MODEL},
                             std::pair{"apk", v1::ARTIFACT_KIND_APK}}) {
      v1::ArtifactRef ref;
      ref.set_sha256(sha);
      ref.set_kind(kind);
      ASSERT_TRUE(core_->RecordArtifact(ref, false).ok());
    }
    v1::AgentHello h;
    for (int p = 0; p < 2; ++p) {
      auto* d = h.add_devices();
      d->set_serial(absl::StrCat("S", p));
      d->set_adb_state("device");
    }
    channel_ = std::make_shared<Channel>();
    ASSERT_TRUE(core_->AgentHello("h0", h, channel_).ok());
  }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }
  void Open() {
    core_.reset();
    store_.reset();
    auto store = OpenSqliteStore(dir_.path() + "/lab.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto core = Core::Open(store_.get(), artifacts_.get(), &clock_);
    ASSERT_TRUE(core.ok()) << core.status();
    core_ = std::move(*core);
  }
  absl::StatusOr<v1::Job> Submit(int repeats, bool until_decided, int max_repeats) {
    v1::SubmitJobRequest req;
    v1::JobSpec* s = req.mutable_spec();
    s->set_apk_sha256("apk");
    s->set_repeats(repeats);
    s->set_until_decided(until_decided);
    s->set_max_repeats(max_repeats);
    s->mutable_selector()->set_all(true);
    s->add_variants()->set_model_sha256("ma");
    auto* b = s->add_variants();
    b->set_model_sha256("mb");
    b->mutable_flags()->set_num_threads(4);
    return core_->SubmitJob(req, "test");
  }
  // Answers assignments until none is left: B's latency is (1 + slow_b) times A's, with
  // run-to-run noise of `cv`. Returns per phone (serial) the models in the order handed out.
  std::map<std::string, std::string> Serve(double slow_b, double cv) {
    std::map<std::string, std::string> order;
    std::mt19937 rng(11);
    std::normal_distribution<double> noise(0, cv);
    v1::RunAssignment a;
    while (channel_->Next(&a)) {
      const bool is_b = a.model().sha256() == "mb";
      EXPECT_EQ(a.args_size() > 0 && a.args(0) == "--num_threads=4", is_b) << "B's flags only on B's runs";
      order[a.serial()] += is_b ? 'B' : 'A';
      clock_.Advance(absl::Seconds(1));
      double us = 10000 * (is_b ? 1 + slow_b : 1) * (1 + noise(rng));
      EXPECT_TRUE(core_->RunEvent("h0", DoneEvent(a, ++event_seq_, us)).ok());
    }
    return order;
  }

  benchlab::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<Core> core_;
  std::shared_ptr<Channel> channel_;
  int event_seq_ = 0;
};

TEST_F(CoreVariantsTest, EachPhoneRunsAAndBInAbbaOrderWithTheVariantsModel) {
  auto job = Submit(3, false, 0);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->runs_total(), 12) << "2 phones x 3 repeats x 2 variants";
  EXPECT_EQ(job->spec().model_sha256(), "ma") << "the job's model is A's";
  auto order = Serve(0.0, 0.01);
  ASSERT_EQ(order.size(), 2u);
  for (const auto& [serial, seq] : order) EXPECT_EQ(seq, "ABBAAB") << serial;
  auto got = core_->GetJob(job->job_id());
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->job().finished_unix_ms(), 0);
  v1::CompareJobsRequest req;
  req.set_variant_job_id(job->job_id());
  auto cmp = core_->CompareJobs(req);
  ASSERT_TRUE(cmp.ok()) << cmp.status();
  EXPECT_EQ(cmp->devices_size(), 2);
}

TEST_F(CoreVariantsTest, UntilDecidedAddsBlocksUntilSlowerAndSurvivesARestart) {
  auto job = Submit(2, true, 20);
  ASSERT_TRUE(job.ok()) << job.status();
  auto order = Serve(0.10, 0.01);
  auto got = core_->GetJob(job->job_id());
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->job().finished_unix_ms(), 0) << "finished once every phone is decided";
  for (const auto& [serial, seq] : order) {
    EXPECT_GT(seq.size(), 4u) << serial << ": 2 vs 2 cannot decide";
    EXPECT_LT(seq.size(), 40u) << serial << ": decided before the cap";
    for (size_t i = 0; i < seq.size(); ++i) EXPECT_EQ(seq[i], "ABBA"[i % 4]) << serial << " " << seq;
  }
  v1::CompareJobsRequest req;
  req.set_variant_job_id(job->job_id());
  auto cmp = core_->CompareJobs(req);
  ASSERT_TRUE(cmp.ok()) << cmp.status();
  for (const auto& d : cmp->devices()) EXPECT_EQ(d.metrics(0).verdict(), "slower") << d.device_id();
  const int runs = got->runs_size();
  Open();
  auto reloaded = core_->GetJob(job->job_id());
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->runs_size(), runs) << "appended runs are in the store";
  EXPECT_EQ(reloaded->job().runs_done(), runs);
}

TEST_F(CoreVariantsTest, UntilDecidedStopsAtTheCapOnANoisyAaPair) {
  auto job = Submit(2, true, 5);
  ASSERT_TRUE(job.ok()) << job.status();
  auto order = Serve(0.0, 0.08);
  for (const auto& [serial, seq] : order) EXPECT_EQ(seq, "ABBAABBAAB") << serial;
  auto got = core_->GetJob(job->job_id());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->job().runs_total(), 20);
  EXPECT_NE(got->job().finished_unix_ms(), 0);
}

TEST_F(CoreVariantsTest, RefusesBadVariantJobs) {
  v1::SubmitJobRequest req;
  req.mutable_spec()->set_apk_sha256("apk");
  req.mutable_spec()->mutable_selector()->set_all(true);
  req.mutable_spec()->add_variants()->set_model_sha256("ma");
  req.mutable_spec()->add_variants()->set_model_sha256("missing");
  auto job = core_->SubmitJob(req, "test");
  EXPECT_EQ(job.status().code(), absl::StatusCode::kFailedPrecondition) << job.status();
  req.mutable_spec()->clear_variants();
  req.mutable_spec()->set_model_sha256("ma");
  req.mutable_spec()->set_until_decided(true);
  EXPECT_EQ(core_->SubmitJob(req, "test").status().code(), absl::StatusCode::kInvalidArgument);
}

// until_decided over a store whose run writes fail on demand (coordinator_test_core.h).
class CoreVariantsStoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::off);  // the store_failed lines are expected here
    Open();
    v1::ArtifactRef b;
    b.set_sha256("mb");
    b.set_kind(v1::ARTIFACT_KIND_MODEL);
    ASSERT_TRUE(core_->RecordArtifact(b, false).ok());
    v1::AgentHello h;
    auto* d = h.add_devices();
    d->set_serial("S0");
    d->set_adb_state("device");
    ASSERT_TRUE(core_->AgentHello("h0", h, channel_).ok());
  }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }
  void Open() {
    core_.reset();
    auto t = benchlab::testing::OpenTestCore(&store_, &clock_, dir_.path());
    ASSERT_TRUE(t.ok()) << t.status();
    artifacts_ = std::move(t->artifacts);
    core_ = std::move(t->core);
  }
  // An until_decided A/B job (2 repeats, so the first block of 4 cannot decide).
  std::string Submit() {
    v1::SubmitJobRequest req;
    v1::JobSpec* s = req.mutable_spec();
    s->set_apk_sha256("a");
    s->set_repeats(2);
    s->set_until_decided(true);
    s->set_max_repeats(10);
    s->mutable_selector()->set_all(true);
    s->add_variants()->set_model_sha256("m");
    s->add_variants()->set_model_sha256("mb");
    auto job = core_->SubmitJob(req, "test");
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job_id() : "";
  }
  // Answers the next `n` assignments DONE; the run ids answered, in order.
  std::vector<std::string> Answer(int n) {
    std::vector<std::string> ids;
    v1::RunAssignment a;
    for (int i = 0; i < n && channel_->Next(&a); ++i) {
      clock_.Advance(absl::Seconds(1));
      ++event_seq_;
      EXPECT_TRUE(core_->RunEvent("h0", DoneEvent(a, event_seq_, 10000 + 50 * (event_seq_ % 3))).ok());
      ids.push_back(a.run_id());
    }
    return ids;
  }
  size_t Pending() {
    absl::MutexLock l(&channel_->mu);
    return channel_->pending.size();
  }
  v1::GetJobResponse Job(const std::string& id) {
    auto j = core_->GetJob(id);
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? *j : v1::GetJobResponse();
  }

  benchlab::testing::TempDir dir_;
  FakeClock clock_;
  benchlab::testing::MemoryStore store_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<Core> core_;
  std::shared_ptr<Channel> channel_ = std::make_shared<Channel>();
  int event_seq_ = 0;
};

TEST_F(CoreVariantsStoreFailureTest, ExtensionThatCannotBeStoredKeepsTheJobOpenAndIsRetried) {
  const std::string job = Submit();
  ASSERT_EQ(Answer(3).size(), 3u);
  store_.Fail(benchlab::testing::MemoryStore::kPutRuns, true);
  ASSERT_EQ(Answer(1), std::vector<std::string>{job + ".0.3"});  // the block's last result is stored
  for (int tick = 0; tick < 2; ++tick) {
    v1::GetJobResponse got = Job(job);
    EXPECT_EQ(got.job().finished_unix_ms(), 0) << "an undecided phone's next block is pending";
    EXPECT_EQ(got.job().runs_total(), 4) << "nothing in memory that the store refused";
    EXPECT_EQ(got.job().runs_done(), 4);
    EXPECT_EQ(got.runs_size(), 4);
    EXPECT_EQ(store_.StoredRun(job + ".0.4").run_id(), "");
    EXPECT_EQ(Pending(), 0u);
    clock_.Advance(absl::Seconds(1));
    core_->Tick();  // retried, still failing
  }
  store_.Fail(benchlab::testing::MemoryStore::kPutRuns, false);
  core_->Tick();
  v1::GetJobResponse got = Job(job);
  EXPECT_EQ(got.job().runs_total(), 8) << "one ABBA block added";
  EXPECT_EQ(got.job().finished_unix_ms(), 0);
  EXPECT_EQ(store_.StoredRun(job + ".0.7").variant(), 0) << "stored: A B B A";
  EXPECT_EQ(store_.StoredRun(job + ".0.5").variant(), 1);
  EXPECT_EQ(Pending(), 1u) << "the first added run is assigned";
  EXPECT_EQ(Answer(1), std::vector<std::string>{job + ".0.4"});
}

TEST_F(CoreVariantsStoreFailureTest, CancelWhileAnExtensionIsPendingFinishesTheJob) {
  const std::string job = Submit();
  ASSERT_EQ(Answer(3).size(), 3u);
  store_.Fail(benchlab::testing::MemoryStore::kPutRuns, true);
  ASSERT_EQ(Answer(1).size(), 1u);
  ASSERT_EQ(Job(job).job().finished_unix_ms(), 0);
  auto cancelled = core_->CancelJob(job);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  store_.Fail(benchlab::testing::MemoryStore::kPutRuns, false);
  core_->Tick();
  v1::GetJobResponse got = Job(job);
  EXPECT_TRUE(got.job().cancelled());
  EXPECT_NE(got.job().finished_unix_ms(), 0) << "nothing left to wait for";
  EXPECT_EQ(got.job().runs_total(), 4) << "a cancelled job is not extended";
  EXPECT_EQ(Pending(), 0u);
  EXPECT_EQ(store_.StoredRun(job + ".0.4").run_id(), "");
}

TEST_F(CoreVariantsStoreFailureTest, RestartWithAnExtensionPendingPlansItAgain) {
  const std::string job = Submit();
  ASSERT_EQ(Answer(3).size(), 3u);
  store_.Fail(benchlab::testing::MemoryStore::kPutRuns, true);
  ASSERT_EQ(Answer(1).size(), 1u);
  store_.Fail(benchlab::testing::MemoryStore::kPutRuns, false);
  Open();  // the pending block was memory only: planned again from the stored runs
  v1::GetJobResponse got = Job(job);
  EXPECT_EQ(got.job().finished_unix_ms(), 0) << "the undecided phone still gets its next block";
  core_->Tick();
  got = Job(job);
  EXPECT_EQ(got.job().runs_total(), 8) << "one ABBA block added after the restart";
  EXPECT_EQ(got.job().runs_done(), 4);
  EXPECT_EQ(store_.StoredRun(job + ".0.7").variant(), 0);
  EXPECT_EQ(got.job().finished_unix_ms(), 0);
}

}  // namespace
}  // namespace benchlab::coordinator
