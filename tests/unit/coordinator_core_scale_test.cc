// Core at scale, driven directly with a fake clock and an in-memory Store that counts its
// writes: the job counters always agree with a recount of the job's runs, whatever mix of
// events, losses, timeouts and cancels happens; an assignment pass is one store write;
// and the cost of a run event does not grow with the size of its job.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "coordinator/core.h"
#include "tests/unit/coordinator_test_core.h"
#include "spdlog/spdlog.h"
#include "tests/support/temp_dir.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

using benchlab::testing::MemoryStore;

using Channel = benchlab::testing::RecordingChannel;

class Watcher : public JobWatcher {
 public:
  void RunChanged(const v1::Job& job, const v1::Run&) override {
    absl::MutexLock l(&mu);
    last = job;
  }
  void JobFinished(const v1::Job& job) override {
    absl::MutexLock l(&mu);
    last = job;
    finished = true;
  }
  absl::Mutex mu;
  v1::Job last ABSL_GUARDED_BY(mu);
  bool finished ABSL_GUARDED_BY(mu) = false;
};

class CoreScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);  // per-event info lines would dominate the timings
    auto t = benchlab::testing::OpenTestCore(&store_, &clock_, dir_.path());
    ASSERT_TRUE(t.ok()) << t.status();
    artifacts_ = std::move(t->artifacts);
    core_ = std::move(t->core);
  }
  void TearDown() override { spdlog::set_level(spdlog::level::info); }

  std::shared_ptr<Channel> Hello(const std::string& agent, int phones) {
    v1::AgentHello h;
    for (int p = 0; p < phones; ++p) {
      auto* d = h.add_devices();
      d->set_serial(absl::StrCat(agent, "-S", p));  // one phone, one host
      d->set_adb_state("device");
    }
    auto ch = std::make_shared<Channel>();
    EXPECT_TRUE(core_->AgentHello(agent, h, ch).ok());
    channels_[agent] = ch;
    return ch;
  }
  // On every phone, or on one agent's.
  std::string Submit(int repeats, int retries, const std::string& agent = "") {
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256("m");
    req.mutable_spec()->set_apk_sha256("a");
    req.mutable_spec()->set_repeats(repeats);
    req.mutable_spec()->set_retries(retries);
    req.mutable_spec()->set_timeout_s(60);
    if (agent.empty()) {
      req.mutable_spec()->mutable_selector()->set_all(true);
    } else {
      req.mutable_spec()->mutable_selector()->add_agents(agent);
    }
    auto job = core_->SubmitJob(req, "test");
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job_id() : "";
  }
  absl::Status Event(const std::string& agent, const std::string& run_id, int attempt,
                     const std::function<void(v1::RunEvent*)>& fill) {
    v1::RunEvent e;
    e.set_event_id(absl::StrCat("e", ++event_seq_));
    e.set_run_id(run_id);
    e.set_attempt(attempt);
    fill(&e);
    return core_->RunEvent(agent, e);
  }
  static void Running(v1::RunEvent* e) { e->set_state(v1::RUN_STATE_RUNNING); }
  static void Done(v1::RunEvent* e) { e->mutable_result()->set_state(v1::RUN_STATE_DONE); }

  benchlab::testing::TempDir dir_;
  FakeClock clock_;
  MemoryStore store_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<Core> core_;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
  int event_seq_ = 0;
};

// The counters GetJob reports against a count of the runs it lists.
void ExpectCountersMatchRuns(const v1::GetJobResponse& r) {
  int q = 0, act = 0, done = 0, failed = 0, cancelled = 0;
  for (const auto& run : r.runs()) {
    switch (run.state()) {
      case v1::RUN_STATE_QUEUED: ++q; break;
      case v1::RUN_STATE_DONE: ++done; break;
      case v1::RUN_STATE_FAILED: ++failed; break;
      case v1::RUN_STATE_CANCELLED: ++cancelled; break;
      default: ++act; break;
    }
  }
  const v1::Job& j = r.job();
  EXPECT_EQ(j.runs_total(), r.runs_size());
  EXPECT_EQ(j.runs_queued(), q);
  EXPECT_EQ(j.runs_active(), act);
  EXPECT_EQ(j.runs_done(), done);
  EXPECT_EQ(j.runs_failed(), failed);
  EXPECT_EQ(j.runs_cancelled(), cancelled);
  EXPECT_EQ(j.finished_unix_ms() != 0, done + failed + cancelled == r.runs_size()) << j.job_id();
}

TEST_F(CoreScaleTest, CountersAgreeWithARecountThroughRandomEvents) {
  std::mt19937 rng(20261206);
  std::vector<std::string> agents = {"h0", "h1", "h2"};
  for (const auto& a : agents) Hello(a, 4);
  std::vector<std::string> jobs = {Submit(3, 2)};
  auto watcher = std::make_shared<Watcher>();
  ASSERT_TRUE(core_->Watch(jobs[0], watcher).ok());
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  for (int step = 0; step < 1500; ++step) {
    const std::string agent = agents[pick(agents.size())];
    std::vector<std::pair<std::string, int>> runs;
    {
      absl::MutexLock l(&channels_[agent]->mu);
      runs.assign(channels_[agent]->assigned.begin(), channels_[agent]->assigned.end());
    }
    int action = static_cast<int>(pick(100));
    if (action < 70 && !runs.empty()) {
      // An event for a run this agent was assigned (perhaps an old attempt: ignored).
      auto [run_id, attempt] = runs[pick(runs.size())];
      int kind = static_cast<int>(pick(5));
      ASSERT_TRUE(Event(agent, run_id, attempt, [&](v1::RunEvent* e) {
                    if (kind == 0) return Running(e);
                    if (kind == 1) return e->set_state(v1::RUN_STATE_PUSHING);
                    if (kind == 2) return Done(e);
                    e->mutable_result()->set_state(v1::RUN_STATE_FAILED);
                    e->mutable_result()->set_error_class(kind == 3 ? v1::ERROR_CLASS_DEVICE_LOST
                                                                   : v1::ERROR_CLASS_APP_CRASHED);
                  }).ok());
    } else if (action < 78) {
      v1::DeviceUpdate u;
      u.mutable_device()->set_serial(absl::StrCat(agent, "-S", pick(4)));
      u.mutable_device()->set_adb_state(pick(2) ? "device" : "offline");
      core_->DeviceUpdate(agent, u);
    } else if (action < 84) {
      // The agent's session ends and it dials again (its runs end device_lost).
      core_->AgentGone(agent, channels_[agent].get());
      Hello(agent, 4);
      core_->Tick();
    } else if (action < 90) {
      clock_.Advance(absl::Seconds(pick(2) ? 61 : 5));  // past the timeout, or not
      core_->Tick();
    } else if (action < 93) {
      jobs.push_back(Submit(1 + static_cast<int>(pick(2)), static_cast<int>(pick(2))));
    } else if (action < 94) {
      auto cancelled = core_->CancelJob(jobs[pick(jobs.size())]);
      // A job already finished has nothing to cancel and stays as it is.
      ASSERT_TRUE(cancelled.ok() || absl::IsFailedPrecondition(cancelled.status())) << cancelled.status();
    }
    for (const auto& id : jobs) {
      auto r = core_->GetJob(id);
      ASSERT_TRUE(r.ok());
      ExpectCountersMatchRuns(*r);
      if (id == jobs[0]) {
        absl::MutexLock l(&watcher->mu);
        if (watcher->last.job_id().empty()) continue;
        EXPECT_EQ(watcher->last.runs_done(), r->job().runs_done());
        EXPECT_EQ(watcher->last.runs_failed(), r->job().runs_failed());
        EXPECT_EQ(watcher->last.runs_active(), r->job().runs_active());
        EXPECT_EQ(watcher->last.runs_queued(), r->job().runs_queued());
        EXPECT_EQ(watcher->finished, r->job().finished_unix_ms() != 0);
      }
    }
    if (HasFailure()) FAIL() << "at step " << step;
  }
}

TEST_F(CoreScaleTest, AnAssignmentPassIsOneStoreWrite) {
  for (int a = 0; a < 10; ++a) Hello(absl::StrCat("h", a), 50);
  int before = store_.run_writes();
  std::string job = Submit(1, 0);
  auto r = core_->GetJob(job);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->job().runs_active(), 500);  // all assigned
  EXPECT_EQ(store_.run_writes() - before, 1);
}

class CoreScaleCostTest : public CoreScaleTest {
 public:
  // Median time of RUNNING + DONE for `sample` runs of a job of one run on each of
  // `phones` phones (one agent's).
  double MicrosPerRun(int phones, int sample) {
    auto ch = Hello(absl::StrCat("big", phones), phones);
    Submit(1, 0, absl::StrCat("big", phones));
    std::vector<std::pair<std::string, int>> runs;
    {
      absl::MutexLock l(&ch->mu);
      runs.assign(ch->assigned.begin(), ch->assigned.end());
    }
    EXPECT_EQ(static_cast<int>(runs.size()), phones);
    std::vector<double> per_run;
    for (int i = 0; i < sample; ++i) {
      absl::Time t0 = absl::Now();
      EXPECT_TRUE(Event(absl::StrCat("big", phones), runs[i].first, runs[i].second, Running).ok());
      EXPECT_TRUE(Event(absl::StrCat("big", phones), runs[i].first, runs[i].second, Done).ok());
      per_run.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
    }
    std::nth_element(per_run.begin(), per_run.begin() + sample / 2, per_run.end());
    return per_run[sample / 2];
  }
};

TEST_F(CoreScaleCostTest, AnEventCostsTheSameInASmallAndAHugeJob) {
  // Before: each event recounted the job's runs and walked every phone (O(job size)),
  // so 16x the runs made an event ~16x dearer.
  double small = MicrosPerRun(500, 300);
  double huge = MicrosPerRun(8000, 300);
  std::printf("median per run (RUNNING + DONE): %.1f us in a job of 500, %.1f us in a job of 8000\n", small,
              huge);
  EXPECT_LT(huge, 4 * small + 20);
}

}  // namespace
}  // namespace benchlab::coordinator
