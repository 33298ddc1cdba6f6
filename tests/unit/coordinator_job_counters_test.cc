// JobCounters against a recount: random state changes of a job's runs, compared after
// every change with a count over the runs' current states.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "coordinator/job_counters.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

TEST(JobCounters, AgreeWithARecountThroughRandomTransitions) {
  std::mt19937 rng(7);
  const v1::RunState states[] = {v1::RUN_STATE_QUEUED,  v1::RUN_STATE_ASSIGNED,  v1::RUN_STATE_INSTALLING,
                                 v1::RUN_STATE_PUSHING, v1::RUN_STATE_RUNNING,   v1::RUN_STATE_DONE,
                                 v1::RUN_STATE_FAILED,  v1::RUN_STATE_CANCELLED};
  JobCounters c;
  std::map<std::string, v1::RunState> truth;
  for (int step = 0; step < 20000; ++step) {
    // Mostly existing runs (repeats of the same state included), sometimes a new one.
    std::string id = absl::StrCat("r", std::uniform_int_distribution<int>(0, 60)(rng));
    v1::RunState s = states[std::uniform_int_distribution<int>(0, 7)(rng)];
    c.Set(id, s);
    truth[id] = s;
    int q = 0, act = 0, done = 0, failed = 0, cancelled = 0;
    for (const auto& [_, st] : truth) {
      if (st == v1::RUN_STATE_QUEUED) ++q;
      else if (st == v1::RUN_STATE_DONE) ++done;
      else if (st == v1::RUN_STATE_FAILED) ++failed;
      else if (st == v1::RUN_STATE_CANCELLED) ++cancelled;
      else ++act;
    }
    v1::Job j;
    c.Fill(&j);
    ASSERT_EQ(j.runs_total(), static_cast<int>(truth.size())) << step;
    ASSERT_EQ(j.runs_queued(), q) << step;
    ASSERT_EQ(j.runs_active(), act) << step;
    ASSERT_EQ(j.runs_done(), done) << step;
    ASSERT_EQ(j.runs_failed(), failed) << step;
    ASSERT_EQ(j.runs_cancelled(), cancelled) << step;
    ASSERT_EQ(c.all_final(), q + act == 0) << step;
  }
}

TEST(JobCounters, EmptyJobIsAllFinal) {
  JobCounters c;
  EXPECT_EQ(c.total(), 0);
  EXPECT_TRUE(c.all_final());
  c.Set("a", v1::RUN_STATE_QUEUED);
  EXPECT_FALSE(c.all_final());
  c.Set("a", v1::RUN_STATE_DONE);
  EXPECT_TRUE(c.all_final());
  EXPECT_EQ(c.done(), 1);
}

}  // namespace
}  // namespace benchlab::coordinator
