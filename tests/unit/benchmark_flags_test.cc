// The flag rules every argument obeys before it reaches a phone's shell.
#include "common/flags/benchmark_flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;

TEST(RenderFlags, TypedAndPassThrough) {
  v1::BenchmarkFlags f;
  f.set_num_threads(4);
  f.set_use_xnnpack(true);
  auto* e = f.add_extra();
  e->set_name("max_delegated_partitions");
  e->set_value("2");
  auto args = RenderFlags(f);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(*args, (std::vector<std::string>{"--num_threads=4", "--use_xnnpack=true",
                                             "--max_delegated_partitions=2"}));
}

TEST(RenderFlags, RefusesUnsafeOrShadowingFlags) {
  v1::BenchmarkFlags f;
  auto* e = f.add_extra();
  e->set_name("foo");
  e->set_value("1;reboot");
  EXPECT_EQ(RenderFlags(f).status().code(), absl::StatusCode::kInvalidArgument);
  e->set_value("'x'");
  EXPECT_FALSE(RenderFlags(f).ok());
  e->set_name("graph");
  e->set_value("/sdcard/x");
  EXPECT_FALSE(RenderFlags(f).ok());
  v1::BenchmarkFlags t;
  t.set_num_threads(0);
  EXPECT_FALSE(RenderFlags(t).ok());
}

TEST(ParseToolFlag, TypedNamesSetTypedFieldsOthersGoToExtra) {
  v1::BenchmarkFlags f;
  ASSERT_TRUE(ParseToolFlag("--num_threads=2", &f).ok());
  ASSERT_TRUE(ParseToolFlag("--use_gpu=true", &f).ok());
  ASSERT_TRUE(ParseToolFlag("--min_secs=1.5", &f).ok());
  ASSERT_TRUE(ParseToolFlag("--max_delegated_partitions=3", &f).ok());
  EXPECT_EQ(f.num_threads(), 2);
  EXPECT_TRUE(f.use_gpu());
  EXPECT_DOUBLE_EQ(f.min_secs(), 1.5);
  ASSERT_EQ(f.extra_size(), 1);
  EXPECT_EQ(f.extra(0).name(), "max_delegated_partitions");
  auto args = RenderFlags(f);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->size(), 4u);
}

TEST(ParseToolFlag, RefusesBadShapesAndValues) {
  v1::BenchmarkFlags f;
  EXPECT_FALSE(ParseToolFlag("--num_threads=four", &f).ok());
  EXPECT_FALSE(ParseToolFlag("--use_gpu=maybe", &f).ok());
  EXPECT_FALSE(ParseToolFlag("num_threads=4", &f).ok());
  EXPECT_FALSE(ParseToolFlag("--use_gpu", &f).ok());
  EXPECT_FALSE(ParseToolFlag("--graph=/sdcard/other.tflite", &f).ok());
  EXPECT_EQ(f.ByteSizeLong(), 0u) << "nothing is set by a refused flag";
}

// Every way out of a shell word we know of; none may pass.
TEST(CheckToolArg, RefusesHostileStrings) {
  const std::vector<std::string> hostile = {
      "--foo=1;reboot",        "--foo=$(reboot)",      "--foo=`reboot`",
      "--foo='x'",             "--foo=\"x\"",          "--foo=a b",
      "--foo=x\nreboot",       "--foo=x|sh",           "--foo=x&&reboot",
      "--foo=x>/sdcard/f",     "--foo=${PATH}",        "--foo=\\x",
      "--Foo=1",               "--foo;x=1",            "--=1",
      "--foo=" + std::string(300, 'a'), std::string("--foo=a\0b", 9),
  };
  for (const std::string& arg : hostile) {
    absl::Status s = CheckToolArg(arg);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << arg;
    EXPECT_EQ(s.message().find('\n'), absl::string_view::npos) << "message stays one line";
  }
  EXPECT_TRUE(CheckToolArg("--input_layer_shape=1,224,224,3").ok());
  EXPECT_TRUE(CheckToolArg("--delegate_path=/data/local/tmp/libx.so").ok());
}

}  // namespace
}  // namespace benchlab
