// The flag rules every argument obeys before it reaches a phone's shell.
#include "common/flags/benchmark_flags.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/flags/tool_files.h"
#include "common/flags/tool_flag_table.h"
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
  // A path stays where it is named.
  EXPECT_FALSE(CheckToolArg("--result_file_path=/data/local/tmp/../../sdcard/x").ok());
  EXPECT_FALSE(CheckToolArg("--dispatch_library_path=..").ok());
  EXPECT_TRUE(CheckToolArg("--benchmark_name=a..b").ok());
}

// The `--flag` parser the CLI, the agent and (through RenderFlags) the coordinator share.
TEST(ParseToolFlag, KnownNamesSetTypedFields) {
  v1::BenchmarkFlags f;
  for (const char* arg : {"--num_threads=4", "--num_runs=50", "--warmup_runs=0", "--use_gpu=true", "--max_secs=2.5",
                          "--run_delay=0.1", "--input_layer=input", "--use_nnapi=false"}) {
    ASSERT_TRUE(ParseToolFlag(arg, &f).ok()) << arg;
  }
  EXPECT_EQ(f.num_threads(), 4);
  EXPECT_EQ(f.num_runs(), 50);
  EXPECT_TRUE(f.has_warmup_runs());
  EXPECT_TRUE(f.use_gpu());
  EXPECT_DOUBLE_EQ(f.max_secs(), 2.5);
  EXPECT_DOUBLE_EQ(f.run_delay_secs(), 0.1);
  EXPECT_EQ(f.input_layer(), "input");
  EXPECT_TRUE(f.has_use_nnapi());
  EXPECT_FALSE(f.use_nnapi());
  EXPECT_EQ(f.extra_size(), 0);
  // The proto's own names are not flags: they go to extra as any unknown name.
  ASSERT_TRUE(ParseToolFlag("--run_delay_secs=1", &f).ok());
  ASSERT_TRUE(ParseToolFlag("--extra=1", &f).ok());
  EXPECT_EQ(f.extra_size(), 2);
}

TEST(ParseToolFlag, MessagesNameTheArgumentOnOneLine) {
  v1::BenchmarkFlags f;
  for (const char* bad : {"num_threads=4", "-num_threads=4", "--num_threads", "--=4", "--num_threads=four",
                          "--use_gpu=maybe", "--max_secs=soon", "--num_threads=99999999999",
                          "--use_npu=yes", "--foo=$(reboot)"}) {
    absl::Status s = ParseToolFlag(bad, &f);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(absl::StrContains(s.message(), "\n")) << s;
  }
  EXPECT_EQ(f.ByteSizeLong(), 0u);
  EXPECT_EQ(ParseToolFlag("--use_gpu=maybe", &f).message(), "--flag '--use_gpu=maybe': --use_gpu: the value must be true or false");
}

TEST(FlagTables, TheLitertToolRefusesClassicOnlyFlagsByName) {
  v1::BenchmarkFlags f;
  ASSERT_TRUE(ParseToolFlag("--use_nnapi=true", &f).ok());
  absl::Status s = CheckFlagsForTool(v1::TOOL_KIND_LITERT, f);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "--use_nnapi is not a flag of the litert tool")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "apk, native")) << s;
  EXPECT_TRUE(CheckFlagsForTool(v1::TOOL_KIND_NATIVE, f).ok());
  EXPECT_TRUE(CheckFlagsForTool(v1::TOOL_KIND_UNSPECIFIED, f).ok());
  // An extra flag of the classic delegate providers too.
  v1::BenchmarkFlags g;
  ASSERT_TRUE(ParseToolFlag("--max_delegated_partitions=2", &g).ok());
  EXPECT_FALSE(CheckFlagsForTool(v1::TOOL_KIND_LITERT, g).ok());
}

TEST(FlagTables, TheClassicToolsRefuseLitertOnlyFlags) {
  for (const char* arg : {"--use_npu=true", "--use_cpu=false", "--dispatch_library_path=/vendor/lib64",
                          "--compiler_plugin_library_path=/data/local/tmp/p", "--use_profiler=true"}) {
    v1::BenchmarkFlags f;
    ASSERT_TRUE(ParseToolFlag(arg, &f).ok()) << arg;
    EXPECT_TRUE(CheckFlagsForTool(v1::TOOL_KIND_LITERT, f).ok()) << arg;
    for (v1::ToolKind classic : {v1::TOOL_KIND_APK, v1::TOOL_KIND_NATIVE}) {
      absl::Status s = CheckFlagsForTool(classic, f);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << arg;
      EXPECT_TRUE(absl::StrContains(s.message(), "it is a flag of tool litert")) << s;
    }
  }
}

TEST(FlagTables, SharedFlagsPassEveryToolAndUnknownNamesPassThrough) {
  v1::BenchmarkFlags f;
  for (const char* arg : {"--use_gpu=true", "--num_runs=5", "--gpu_backend=cl", "--allow_fp16=true",
                          "--signature_to_run_for=serving_default", "--some_future_flag=1"}) {
    ASSERT_TRUE(ParseToolFlag(arg, &f).ok()) << arg;
  }
  for (v1::ToolKind t : {v1::TOOL_KIND_APK, v1::TOOL_KIND_NATIVE, v1::TOOL_KIND_LITERT}) {
    EXPECT_TRUE(CheckFlagsForTool(t, f).ok()) << t;
  }
}

TEST(FlagTables, ExtraFlagsOfKnownNamesMustParseAsTheirType) {
  // As a client that skips ParseToolFlag would send them: the coordinator still refuses.
  v1::BenchmarkFlags f;
  auto* e = f.add_extra();
  e->set_name("use_npu");
  e->set_value("yes");
  EXPECT_FALSE(CheckFlagsForTool(v1::TOOL_KIND_LITERT, f).ok());
  e->set_value("1");
  EXPECT_TRUE(CheckFlagsForTool(v1::TOOL_KIND_LITERT, f).ok());
  e->set_name("max_profiling_buffer_entries");
  e->set_value("many");
  EXPECT_FALSE(CheckFlagsForTool(v1::TOOL_KIND_NATIVE, f).ok());
}

// Tool files (LiteRT's NPU libraries): named as LiteRT finds them, for tool litert only,
// one per flag, never also given as a --flag.
TEST(ToolFiles, NamesLiteRtWouldFind) {
  EXPECT_TRUE(CheckToolFileName("dispatch_library_path", "libLiteRtDispatch_Qualcomm.so").ok());
  EXPECT_TRUE(CheckToolFileName("compiler_plugin_library_path", "libLiteRtCompilerPlugin_MediaTek.so").ok());
  for (const char* bad : {"libdispatch.so", "libLiteRtDispatch_Qualcomm.so.1", "libLiteRtCompilerPlugin_x.so",
                          "libLiteRtDispatch x.so", "libLiteRtDispatch$(reboot).so", ""}) {
    absl::Status s = CheckToolFileName("dispatch_library_path", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(CheckToolFileName("use_gpu", "libLiteRtDispatch_Qualcomm.so").ok());
}

TEST(ToolFiles, JobRules) {
  v1::JobSpec spec;
  spec.set_tool(v1::TOOL_KIND_LITERT);
  v1::ToolFile* tf = spec.add_tool_files();
  tf->set_flag("dispatch_library_path");
  tf->set_sha256(std::string(64, 'a'));
  EXPECT_TRUE(CheckToolFiles(spec).ok());
  v1::JobSpec native = spec;
  native.set_tool(v1::TOOL_KIND_NATIVE);
  EXPECT_TRUE(absl::StrContains(CheckToolFiles(native).message(), "for tool litert, not native"));
  v1::JobSpec twice = spec;
  *twice.add_tool_files() = *tf;
  EXPECT_FALSE(CheckToolFiles(twice).ok());
  v1::JobSpec other = spec;
  other.mutable_tool_files(0)->set_flag("graph");
  EXPECT_FALSE(CheckToolFiles(other).ok());
  v1::JobSpec also_flag = spec;
  ASSERT_TRUE(ParseToolFlag("--dispatch_library_path=/vendor/lib64", also_flag.mutable_flags()).ok());
  EXPECT_TRUE(absl::StrContains(CheckToolFiles(also_flag).message(), "set by benchlab"));
  v1::JobSpec no_sha = spec;
  no_sha.mutable_tool_files(0)->clear_sha256();
  EXPECT_FALSE(CheckToolFiles(no_sha).ok());
}

TEST(ToolFiles, PushedByHashUnderItsNameOrOneLiteRtFinds) {
  v1::ToolFile tf;
  tf.set_flag("dispatch_library_path");
  tf.mutable_artifact()->set_sha256("0123456789abcdef" + std::string(48, '0'));
  tf.mutable_artifact()->set_name("libLiteRtDispatch_Sim.so");
  EXPECT_EQ(ToolFileRemoteDir(tf), "/data/local/tmp/benchlab/lib/0123456789abcdef" + std::string(48, '0'));
  EXPECT_EQ(ToolFileRemoteName(tf), "libLiteRtDispatch_Sim.so");
  tf.mutable_artifact()->set_name("dispatch.so");  // an earlier upload of the same bytes named it so
  EXPECT_EQ(ToolFileRemoteName(tf), "libLiteRtDispatch_0123456789ab.so");
}

}  // namespace
}  // namespace benchlab
