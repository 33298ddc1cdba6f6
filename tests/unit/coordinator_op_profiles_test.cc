// Op profiles and delegation in the coordinator (issue 11): AggregateOps' means, spread and
// order; the input limits on a result's rows; and through Core over a real SQLite file,
// rows stored apart from the run (GetResults shows them only with include_ops), per-device
// aggregates across repeats, delegation and warnings on every read, all kept across a restart.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/op_rows.h"
#include "coordinator/core.h"
#include "coordinator/input_limits.h"
#include "coordinator/op_aggregation.h"
#include "coordinator/store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/coordinator_test_core.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;
using Channel = benchlab::testing::RecordingChannel;

v1::OpProfileRow Row(const std::string& type, const std::string& name, double avg_ms, double percent = 10) {
  v1::OpProfileRow r;
  r.set_node_type(type);
  r.set_name(name);
  r.set_avg_ms(avg_ms);
  r.set_first_ms(avg_ms * 2);
  r.set_percent(percent);
  r.set_times_called(1);
  return r;
}

TEST(OpAggregationTest, MeansAcrossRunsSlowestFirst) {
  auto ops = AggregateOps({{Row("CONV_2D", "c1", 1.0), Row("SOFTMAX", "s", 0.1)},
                           {Row("CONV_2D", "c1", 3.0), Row("ADD", "a", 2.5)}});
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].node_type(), "ADD");
  EXPECT_EQ(ops[0].n(), 1);
  EXPECT_DOUBLE_EQ(ops[0].avg_ms_stddev(), 0);
  EXPECT_EQ(ops[1].name(), "c1");
  EXPECT_EQ(ops[1].n(), 2);
  EXPECT_DOUBLE_EQ(ops[1].avg_ms(), 2.0);
  EXPECT_DOUBLE_EQ(ops[1].avg_ms_min(), 1.0);
  EXPECT_DOUBLE_EQ(ops[1].avg_ms_max(), 3.0);
  EXPECT_NEAR(ops[1].avg_ms_stddev(), std::sqrt(2.0), 1e-9);
  EXPECT_DOUBLE_EQ(ops[1].first_ms(), 4.0);
  EXPECT_EQ(ops[2].name(), "s");
  EXPECT_TRUE(AggregateOps({}).empty());
}

TEST(OpAggregationTest, SameNameOfAnotherTypeIsAnotherOperator) {
  auto ops = AggregateOps({{Row("CONV_2D", "x", 1.0), Row("ADD", "x", 1.0)}});
  EXPECT_EQ(ops.size(), 2u);
}

TEST(OpInputLimitsTest, RowsCappedTextCutAndImpossibleNumbersZeroed) {
  v1::RunResult r;
  for (size_t i = 0; i < kMaxOpRowsPerRun + 7; ++i) *r.add_ops() = Row("CONV_2D", absl::StrCat("op", i), 1);
  r.mutable_ops(0)->set_avg_ms(NAN);
  r.mutable_ops(1)->set_first_ms(-3);
  r.mutable_ops(2)->set_name(std::string(10000, 'n'));
  r.mutable_ops(3)->set_times_called(-1);
  for (int i = 0; i < kMaxRunWarnings + 3; ++i) r.add_warnings("w");
  r.mutable_delegation()->set_nodes_delegated(-2);
  r.mutable_delegation()->set_partitions(1);
  SanitizeOpsAndDelegation(&r);
  EXPECT_EQ(r.ops_size(), static_cast<int>(kMaxOpRowsPerRun));
  EXPECT_EQ(r.ops(0).avg_ms(), 0);
  EXPECT_EQ(r.ops(1).first_ms(), 0);
  EXPECT_LE(r.ops(2).name().size(), kMaxLabelBytes + 8);
  EXPECT_EQ(r.ops(3).times_called(), 0);
  EXPECT_EQ(r.warnings_size(), kMaxRunWarnings);
  EXPECT_FALSE(r.delegation().has_nodes_delegated());
  EXPECT_EQ(r.delegation().partitions(), 1);
}

class OpProfilesCoreTest : public benchlab::testing::SqliteCoreTest {
 protected:
  // One phone a1/P1, a job of `repeats` runs on it.
  std::string SubmitOnOnePhone(int repeats) {
    v1::AgentHello h;
    h.add_devices()->set_serial("P1");
    h.mutable_devices(0)->set_adb_state("device");
    channel_ = std::make_shared<Channel>();
    EXPECT_TRUE(core_->AgentHello("a1", h, channel_).ok());
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256("m");
    req.mutable_spec()->set_apk_sha256("a");
    req.mutable_spec()->set_repeats(repeats);
    req.mutable_spec()->set_timeout_s(60);
    req.mutable_spec()->mutable_selector()->set_all(true);
    auto job = core_->SubmitJob(req, "test");
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job_id() : "";
  }
  std::string CurrentRun() {
    for (const auto& d : core_->ListDevices({})) {
      if (d.info().device_id() == "a1/P1") return d.current_run_id();
    }
    return "";
  }
  void Done(const std::string& run_id, double conv_ms, int64_t nodes_delegated) {
    v1::RunEvent e;
    e.set_event_id(absl::StrCat("e", ++event_seq_));
    e.set_run_id(run_id);
    e.set_attempt(1);
    v1::RunResult* r = e.mutable_result();
    r->set_state(v1::RUN_STATE_DONE);
    r->mutable_metrics()->set_avg_us(1000);
    *r->add_ops() = Row("CONV_2D", "conv", conv_ms, 80);
    *r->add_ops() = Row("SOFTMAX", "soft", 0.05, 20);
    r->mutable_delegation()->set_delegate("GPU");
    r->mutable_delegation()->set_nodes_delegated(nodes_delegated);
    r->mutable_delegation()->set_nodes_total(31);
    if (nodes_delegated == 0) r->add_warnings("GPU delegate took 0 of 31 nodes");
    ASSERT_TRUE(core_->RunEvent("a1", e).ok());
  }
  v1::GetResultsResponse Results(const std::string& job_id, bool include_ops) {
    v1::GetResultsRequest req;
    req.set_job_id(job_id);
    req.set_include_ops(include_ops);
    auto resp = core_->GetResults(req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? *resp : v1::GetResultsResponse();
  }

  std::shared_ptr<Channel> channel_;
  int event_seq_ = 0;
};

TEST_F(OpProfilesCoreTest, RowsStoredApartAggregatedPerDeviceAndKeptAcrossARestart) {
  const std::string job = SubmitOnOnePhone(2);
  Done(CurrentRun(), 1.0, 31);
  Done(CurrentRun(), 3.0, 0);

  v1::GetResultsResponse lean = Results(job, false);
  ASSERT_EQ(lean.runs_size(), 2);
  for (const auto& run : lean.runs()) {
    EXPECT_EQ(run.ops_size(), 0) << "rows only with include_ops";
    EXPECT_EQ(run.delegation().delegate(), "GPU");
  }
  EXPECT_EQ(lean.runs(1).delegation().nodes_delegated(), 0);
  ASSERT_EQ(lean.runs(1).warnings_size(), 1);
  EXPECT_EQ(lean.runs(0).warnings_size(), 0);
  ASSERT_EQ(lean.devices_size(), 1);
  EXPECT_EQ(lean.devices(0).ops_size(), 0);

  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "live" : "after a restart");
    v1::GetResultsResponse full = Results(job, true);
    ASSERT_EQ(full.runs_size(), 2);
    EXPECT_EQ(full.runs(0).ops_size(), 2);
    EXPECT_DOUBLE_EQ(full.runs(1).ops(0).avg_ms(), 3.0);
    EXPECT_EQ(full.runs(1).delegation().nodes_total(), 31);
    ASSERT_EQ(full.devices_size(), 1);
    const auto& ops = full.devices(0).ops();
    ASSERT_EQ(ops.size(), 2);
    EXPECT_EQ(ops[0].name(), "conv");
    EXPECT_EQ(ops[0].n(), 2);
    EXPECT_DOUBLE_EQ(ops[0].avg_ms(), 2.0);
    EXPECT_DOUBLE_EQ(ops[0].percent(), 80);
    EXPECT_EQ(ops[1].name(), "soft");
    Open();
  }
}

}  // namespace
}  // namespace benchlab::coordinator
