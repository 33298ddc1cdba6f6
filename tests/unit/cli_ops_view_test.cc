// `results --ops`, `compare --ops` and the DELEGATE column (cli/ops_view.h): top N per
// device slowest first with the cumulative share, escaped names, the operators that
// changed most, a delegate that took nothing shown as a warning, and JSON field names.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "cli/lab_format.h"
#include "cli/ops_view.h"
#include "cli/results_view.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

void AddOp(v1::DeviceResults* d, const std::string& type, const std::string& name, double avg_ms, double pct) {
  v1::OpAggregate* op = d->add_ops();
  op->set_node_type(type);
  op->set_name(name);
  op->set_avg_ms(avg_ms);
  op->set_percent(pct);
  op->set_n(3);
  op->set_times_called(1);
}

v1::GetResultsResponse Results(double conv_ms) {
  v1::GetResultsResponse r;
  r.mutable_job()->set_job_id("j1");
  v1::DeviceResults* d = r.add_devices();
  d->set_device_id("h/P1");
  AddOp(d, "CONV_2D", "conv\x1b[31m", conv_ms, 60);
  AddOp(d, "ADD", "add", 0.5, 30);
  AddOp(d, "SOFTMAX", "soft", 0.1, 10);
  return r;
}

TEST(CliOpsViewTest, TopOperatorsPerDeviceWithCumulativeShareAndEscapedNames) {
  const std::string out = FormatOpsTable(Results(2.0), 2);
  EXPECT_TRUE(absl::StrContains(out, "2 of 3 shown")) << out;
  EXPECT_TRUE(absl::StrContains(out, "CONV_2D")) << out;
  EXPECT_TRUE(absl::StrContains(out, "ADD")) << out;
  EXPECT_FALSE(absl::StrContains(out, "SOFTMAX")) << out;
  EXPECT_TRUE(absl::StrContains(out, "90")) << "cumulative % of the first two\n" << out;
  EXPECT_FALSE(absl::StrContains(out, "\x1b")) << "control characters escaped";
  EXPECT_LT(out.find("CONV_2D"), out.find("ADD")) << out;
  EXPECT_TRUE(absl::StrContains(FormatOpsTable(Results(2.0), 0), "SOFTMAX")) << "0 = all";
}

TEST(CliOpsViewTest, NoProfileSaysHowToGetOne) {
  v1::GetResultsResponse r;
  r.add_devices()->set_device_id("h/P1");
  EXPECT_TRUE(absl::StrContains(FormatOpsTable(r, 5), "--enable_op_profiling=true"));
}

TEST(CliOpsViewTest, ComparisonShowsTheOperatorsThatChangedMostFirst) {
  v1::GetResultsResponse base = Results(2.0), cand = Results(3.0);
  AddOp(cand.mutable_devices(0), "MUL", "new_mul", 0.2, 1);
  const std::string out = FormatOpsComparison(base, cand, 2);
  EXPECT_TRUE(absl::StrContains(out, "CONV_2D")) << out;
  EXPECT_TRUE(absl::StrContains(out, "50")) << "+50 %\n" << out;
  EXPECT_TRUE(absl::StrContains(out, "MUL")) << "second largest change (only in the candidate)\n" << out;
  EXPECT_FALSE(absl::StrContains(out, "SOFTMAX")) << out;
  v1::GetResultsResponse elsewhere = Results(3.0);
  elsewhere.mutable_devices(0)->set_device_id("h/P2");
  EXPECT_TRUE(absl::StrContains(FormatOpsComparison(base, elsewhere, 5), "no operator to compare"));
}

TEST(CliOpsViewTest, DelegateColumnAndWarnings) {
  v1::GetResultsResponse r;
  r.mutable_job()->set_job_id("j1");
  v1::Run* gpu = r.add_runs();
  gpu->set_run_id("j1.0.0");
  gpu->set_state(v1::RUN_STATE_DONE);
  gpu->mutable_delegation()->set_delegate("GPU");
  gpu->mutable_delegation()->set_nodes_delegated(31);
  gpu->mutable_delegation()->set_nodes_total(31);
  gpu->mutable_delegation()->set_partitions(1);
  v1::Run* cpu = r.add_runs();
  cpu->set_run_id("j1.0.1");
  cpu->set_state(v1::RUN_STATE_DONE);
  cpu->mutable_delegation()->set_delegate("GPU");
  cpu->mutable_delegation()->set_nodes_delegated(0);
  cpu->mutable_delegation()->set_warning("GPU delegate took 0 nodes");
  cpu->add_warnings("GPU delegate took 0 nodes");
  EXPECT_EQ(FormatDelegation(*gpu), "GPU 31/31, 1 partition");
  EXPECT_EQ(FormatDelegation(*cpu), "!! GPU 0: CPU run");
  EXPECT_EQ(FormatDelegation(v1::Run()), "-");
  const std::string out = FormatResults(r);
  EXPECT_TRUE(absl::StrContains(out, "DELEGATE")) << out;
  EXPECT_TRUE(absl::StrContains(out, "j1.0.1: warning: GPU delegate took 0 nodes")) << out;
  EXPECT_FALSE(absl::StrContains(FormatRunsTable({}, {}), "DELEGATE")) << "no column without delegation";

  const std::string json = ToJson(r);
  for (const char* field : {"\"delegation\"", "\"delegate\"", "\"nodes_delegated\"", "\"nodes_total\"",
                            "\"partitions\"", "\"warnings\""}) {
    EXPECT_TRUE(absl::StrContains(json, field)) << field << "\n" << json;
  }
}

}  // namespace
}  // namespace benchlab::cli
