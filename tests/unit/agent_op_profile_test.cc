// The agent's op rows and delegation (agent/run/op_profile_proto.h) from real captures:
// the regular runs' block only (not the initialization's), the GPU delegate with its
// Replacing line, a delegate that took nothing (warning), one asked for that never
// applied (warning), the default XNNPACK delegate alone, and the row cap.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/run/op_profile_proto.h"
#include "common/op_rows.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

BenchmarkResult Parse(const std::string& text) {
  BenchmarkParser parser;
  parser.FeedBytes(text);
  parser.Finish();
  return parser.result();
}

std::string Fixture(const std::string& name) { return benchlab::testing::ReadFile(benchlab::testing::DataPath(name)); }

// A tflite line of pid 100 in threadtime layout.
std::string T(const std::string& msg) { return absl::StrCat("11-25 10:00:00.000   100   100 I tflite  : ", msg, "\n"); }

TEST(AgentOpProfileTest, RegularRunsBlockBecomesRowsInRunOrder) {
  BenchmarkResult r = Parse(Fixture("04_op_profiling_cpu_2024.logcat"));
  auto rows = OpRowsOf(r);
  ASSERT_EQ(rows.size(), 9u) << "the initialization block's AllocateTensors row is not an operator of the runs";
  EXPECT_EQ(rows[0].node_type(), "CONV_2D");
  EXPECT_EQ(rows[0].name(), "conv2d/Relu");
  EXPECT_DOUBLE_EQ(rows[0].avg_ms(), 0.411);
  EXPECT_DOUBLE_EQ(rows[0].first_ms(), 0.426);
  EXPECT_DOUBLE_EQ(rows[0].percent(), 30.581);
  EXPECT_EQ(rows[0].times_called(), 1);
  EXPECT_EQ(rows[8].node_type(), "SOFTMAX");
  EXPECT_GT(rows[8].cdf_percent(), 99.0);
}

TEST(AgentOpProfileTest, GpuDelegateTookEveryNode) {
  BenchmarkResult r = Parse(Fixture("02_gpu_opencl_peakmem_2026.logcat"));
  auto d = DelegationOf(r);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->delegate(), "GPU");
  EXPECT_EQ(d->kernel(), "TfLiteGpuDelegateV2");
  EXPECT_EQ(d->nodes_delegated(), 31);
  EXPECT_EQ(d->nodes_total(), 31);
  EXPECT_EQ(d->partitions(), 1);
  EXPECT_EQ(d->execution(), "completely");
  EXPECT_TRUE(d->warning().empty());
  v1::RunResult result;
  FillOpsAndDelegation(r, &result);
  EXPECT_TRUE(result.has_delegation());
  EXPECT_EQ(result.warnings_size(), 0);
  EXPECT_EQ(result.ops_size(), 0) << "no profile in that capture";
}

TEST(AgentOpProfileTest, DelegateThatTookNothingIsAWarning) {
  // TFLite prints no Replacing line for an empty node set; the tool says "Though ...".
  BenchmarkResult r = Parse(T("Use gpu: [1]") + T("Created TensorFlow Lite delegate for GPU.") +
                            T("Replacing 12 out of 12 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 1 "
                              "partitions for subgraph 0.") +
                            T("Though GPU delegate is explicitly applied, the model graph will not be executed by the "
                              "delegate."));
  v1::RunResult result;
  FillOpsAndDelegation(r, &result);
  ASSERT_TRUE(result.has_delegation());
  EXPECT_EQ(result.delegation().delegate(), "GPU");
  EXPECT_EQ(result.delegation().nodes_delegated(), 0);
  EXPECT_TRUE(result.delegation().has_nodes_delegated());
  EXPECT_EQ(result.delegation().execution(), "not_executed");
  ASSERT_EQ(result.warnings_size(), 1);
  EXPECT_TRUE(absl::StrContains(result.warnings(0), "GPU delegate took 0 nodes")) << result.warnings(0);
  EXPECT_TRUE(absl::StrContains(result.warnings(0), "CPU")) << result.warnings(0);
  EXPECT_EQ(result.delegation().warning(), result.warnings(0));
}

TEST(AgentOpProfileTest, DelegateAskedForButNeverAppliedIsAWarning) {
  BenchmarkResult r = Parse(T("Use NNAPI: [1]"));
  auto d = DelegationOf(r);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->delegate(), "NNAPI");
  EXPECT_EQ(d->nodes_delegated(), 0);
  EXPECT_FALSE(d->warning().empty());
  EXPECT_FALSE(DelegationOf(Parse(T("Use gpu: [0]"))).has_value()) << "not asked for, nothing printed";
}

TEST(AgentOpProfileTest, DefaultXnnpackDelegateFromItsReplacingLine) {
  auto d = DelegationOf(Parse(Fixture("01_cpu_xnnpack_2024.logcat")));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->delegate(), "TfLiteXNNPackDelegate");
  EXPECT_EQ(d->nodes_delegated(), 66);
  EXPECT_EQ(d->nodes_total(), 66);
  EXPECT_TRUE(d->warning().empty());
}

TEST(AgentOpProfileTest, RowsAreCapped) {
  std::string text = T("Operator-wise Profiling Info for Regular Benchmark Runs:") +
                     T("============================== Run Order ==============================") +
                     T("\t             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]");
  for (size_t i = 0; i < kMaxOpRowsPerRun + 20; ++i) {
    text += T(absl::StrCat("\t                 CONV_2D\t    0.100\t    0.100\t  0.100%\t  0.100%\t     0.000\t        1\t[op", i, "]"));
  }
  BenchmarkResult r = Parse(text);
  ASSERT_EQ(r.op_profiles.size(), 1u);
  ASSERT_GT(r.op_profiles[0].run_order.size(), kMaxOpRowsPerRun) << "the capture has more rows than the cap";
  EXPECT_EQ(OpRowsOf(r).size(), kMaxOpRowsPerRun);
}

}  // namespace
}  // namespace benchlab::agent
