// devsim --cpu-topology (devsim/phone/cpu_topology.h) and CPU placement on the simulated
// phone: the spec's parsing, the cpufreq files a topology gives, a binary pinned to the
// little cores runs slower than on the big ones, and `taskset -p` refuses an app's pid.
#include "devsim/phone/cpu_topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/benchmark_parser.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/vfs.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::HasSubstr;

TEST(CpuTopologySpecTest, ParsesClustersInCpuOrder) {
  int index = 0;
  std::vector<CpuCluster> c;
  ASSERT_TRUE(ParseCpuTopologySpec("4x1.8+3x2.4+1x3.0", &index, &c).ok());
  EXPECT_EQ(index, -1);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].first_cpu, 0);
  EXPECT_EQ(c[0].count, 4);
  EXPECT_EQ(c[0].max_khz, 1800000);
  EXPECT_EQ(c[1].first_cpu, 4);
  EXPECT_EQ(c[1].max_khz, 2400000);
  EXPECT_EQ(c[2].first_cpu, 7);
  EXPECT_EQ(c[2].count, 1);
  EXPECT_EQ(c[2].max_khz, 3000000);
  ASSERT_TRUE(ParseCpuTopologySpec("1=6x2", &index, &c).ok());
  EXPECT_EQ(index, 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].max_khz, 2000000);
  for (const char* bad : {"", "4", "4x", "x1.8", "0x1.8", "4x1.8+", "-1=4x1.8", "a=4x1.8", "4x0", "65x1.0",
                          "40x1+40x2", "4y1.8"}) {
    absl::Status s = ParseCpuTopologySpec(bad, &index, &c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("COUNTxGHZ")) << bad;
  }
}

class PinnedRunTest : public ::testing::Test {
 protected:
  static PhoneProfile Profile() {
    PhoneProfile p = MakeProfile(7, 0);
    std::vector<CpuCluster> clusters;
    int index = 0;
    EXPECT_TRUE(ParseCpuTopologySpec("4x1.2+4x2.4", &index, &clusters).ok());
    ApplyCpuTopology(clusters, &p);
    return p;
  }
  PinnedRunTest() : phone_(Profile(), 7, absl::Milliseconds(300)) {
    phone_.SetBackgroundLogs(false);
    EXPECT_TRUE(phone_.fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(3000000, 4)).ok());
    EXPECT_TRUE(phone_.fs().Write("/data/local/tmp/bm", MakeFakeBinary("tflite")).ok());
    EXPECT_EQ(RunSh(phone_, "chmod 755 /data/local/tmp/bm").status, 0);
  }
  double AvgUs(const std::string& mask) {
    ShResult r = RunSh(phone_, absl::StrCat("taskset ", mask, " /data/local/tmp/bm --graph=/data/local/tmp/m.tflite"));
    EXPECT_EQ(r.status, 0) << r.err;
    BenchmarkParser parser;
    parser.FeedBytes(r.out);
    parser.FeedBytes(r.err);
    parser.Finish();
    EXPECT_TRUE(parser.result().inference_avg_us.has_value()) << r.out;
    return parser.result().inference_avg_us.value_or(0);
  }
  Phone phone_;
};

TEST_F(PinnedRunTest, TheTopologyShowsInSysfsAndLittleCoresRunSlower) {
  EXPECT_EQ(RunSh(phone_, "cat /sys/devices/system/cpu/cpu7/cpufreq/cpuinfo_max_freq").out, "2400000\n");
  EXPECT_EQ(RunSh(phone_, "cat /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").out, "1200000\n");
  const double little = AvgUs("0f");
  const double big = AvgUs("f0");
  // Twice the clock on the big cores: about half the time (noise is ~1.5 %).
  EXPECT_GT(little / big, 1.6) << little << " vs " << big;
  EXPECT_LT(little / big, 2.4) << little << " vs " << big;
}

TEST_F(PinnedRunTest, TheShellUserMayNotPinAnotherUsersProcess) {
  ShResult r = RunSh(phone_, absl::StrCat("taskset -p f0 ", kPidSurfaceFlinger));
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("sched_setaffinity: Operation not permitted"));
}

}  // namespace
}  // namespace benchlab::devsim
