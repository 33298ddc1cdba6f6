// --cpus (common/flags/cpu_set.h): the spellings, the native-only job rule, and the mask
// each spelling resolves to on phones of different topologies.
#include "common/flags/cpu_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <tuple>
#include <utility>

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using ::testing::HasSubstr;

// Clusters as the agent reads them: (first cpu, count, cpuinfo_max_freq kHz).
google::protobuf::RepeatedPtrField<v1::CpuCluster> Clusters(std::initializer_list<std::tuple<int, int, int>> spec) {
  google::protobuf::RepeatedPtrField<v1::CpuCluster> out;
  for (const auto& [first, count, khz] : spec) {
    v1::CpuCluster* c = out.Add();
    for (int i = first; i < first + count; ++i) c->add_cpus(i);
    if (khz > 0) c->set_max_freq_khz(khz);
  }
  return out;
}

TEST(CpuSetTest, SpellingsAreCheckedBeforeAnyPhone) {
  for (const char* ok : {"", "big", "little", "all", "0x1", "0xF0", "0xffffffffffffffff"}) {
    EXPECT_TRUE(CheckCpusSpec(ok).ok()) << ok;
  }
  for (const char* bad : {"BIG", "f0", "0x", "0x0", "0xg1", "0x10000000000000000", "medium", "0x 1"}) {
    absl::Status s = CheckCpusSpec(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("big, little, all")) << bad;
  }
}

TEST(CpuSetTest, OnlyNativeToolsTakeCpus) {
  v1::JobSpec spec;
  spec.set_cpus("big");
  absl::Status apk = CheckJobCpus(spec);
  EXPECT_EQ(apk.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(apk.message(), HasSubstr("native tools"));
  spec.set_tool(v1::TOOL_KIND_LITERT);
  EXPECT_TRUE(CheckJobCpus(spec).ok());
  spec.set_cpus("0x0");
  EXPECT_FALSE(CheckJobCpus(spec).ok());
  spec.set_cpus("");
  spec.set_tool(v1::TOOL_KIND_APK);
  EXPECT_TRUE(CheckJobCpus(spec).ok());
}

TEST(CpuSetTest, BigAndLittleFollowEachPhonesMaxFrequencies) {
  const auto two = Clusters({{0, 4, 1800000}, {4, 4, 2400000}});
  const auto three = Clusters({{0, 4, 1800000}, {4, 3, 2400000}, {7, 1, 3000000}});
  EXPECT_EQ(*ResolveCpus("big", two), 0xf0u);
  EXPECT_EQ(*ResolveCpus("little", two), 0x0fu);
  EXPECT_EQ(*ResolveCpus("all", two), 0xffu);
  EXPECT_EQ(*ResolveCpus("big", three), 0x80u);  // the prime core alone
  EXPECT_EQ(*ResolveCpus("little", three), 0x0fu);
  // Two clusters of one top frequency are both big; one cluster is big and little.
  const auto twin = Clusters({{0, 2, 1000000}, {2, 2, 2000000}, {4, 2, 2000000}});
  EXPECT_EQ(*ResolveCpus("big", twin), 0x3cu);
  const auto one = Clusters({{0, 4, 2000000}});
  EXPECT_EQ(*ResolveCpus("big", one), 0xfu);
  EXPECT_EQ(*ResolveCpus("little", one), 0xfu);
}

TEST(CpuSetTest, AnExplicitMaskKeepsTheCoresThePhoneHasAndFailsWithNone) {
  const auto two = Clusters({{0, 4, 1800000}, {4, 4, 2400000}});
  EXPECT_EQ(*ResolveCpus("0x30", two), 0x30u);
  EXPECT_EQ(*ResolveCpus("0x1f0", two), 0xf0u);  // cpu8 does not exist
  auto none = ResolveCpus("0xf00", two);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(), HasSubstr("names no CPU of this phone"));
  EXPECT_THAT(none.status().message(), HasSubstr("cpu4,5,6,7 (2.40 GHz)"));
}

TEST(CpuSetTest, UnknownTopologyResolvesNothing) {
  const google::protobuf::RepeatedPtrField<v1::CpuCluster> unread;
  EXPECT_EQ(ResolveCpus("big", unread).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ResolveCpus("all", unread).status().message(), HasSubstr("no CPU clusters were read"));
  // Clusters without cpuinfo_max_freq (a file the phone hides): no big or little.
  const auto no_freq = Clusters({{0, 4, 0}, {4, 4, 0}});
  EXPECT_FALSE(ResolveCpus("big", no_freq).ok());
  EXPECT_EQ(*ResolveCpus("all", no_freq), 0xffu);
}

TEST(CpuSetTest, MasksPrintAsRunsShowThemAndAsTasksetTakesThem) {
  EXPECT_EQ(FormatCpuMask(0xf0), "0xf0");
  EXPECT_EQ(TasksetMask(0xf0), "f0");
  EXPECT_EQ(FormatCpuMask(~uint64_t{0}), "0xffffffffffffffff");
}

}  // namespace
}  // namespace benchlab
