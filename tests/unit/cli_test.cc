// benchlab_cli without a coordinator: how --devices and --flag become API messages, the
// loopback rule for plaintext, and the table and CSV shapes scripts rely on.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/cli.h"
#include "cli/device_selector.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/results_view.h"
#include "cli/table.h"
#include "cli/tool_flags.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

TEST(DeviceSelector, AllAgentPropertyAndDeviceEntriesMapToTheirFields) {
  auto s = ParseDeviceSelector("all, agent:host1,model=Pixel 7,host2/R58M123,127.0.0.1:7001,SER9");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->all());
  ASSERT_EQ(s->agents_size(), 1);
  EXPECT_EQ(s->agents(0), "host1");
  ASSERT_EQ(s->properties().size(), 1u);
  EXPECT_EQ(s->properties().at("model"), "Pixel 7");
  ASSERT_EQ(s->devices_size(), 3);
  EXPECT_EQ(s->devices(0), "host2/R58M123");
  EXPECT_EQ(s->devices(1), "127.0.0.1:7001");  // a TCP serial is a device, not agent:...
  EXPECT_EQ(s->devices(2), "SER9");
}

TEST(DeviceSelector, PlainAllSelectsEverything) {
  auto s = ParseDeviceSelector("all");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->all());
  EXPECT_EQ(s->devices_size(), 0);
}

TEST(DeviceSelector, MalformedSelectorsAreRefused) {
  for (const char* bad : {"", " , ", "agent:", "=Pixel", "soc=a,soc=b"}) {
    auto s = ParseDeviceSelector(bad);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ParseDeviceSelector("soc=a,soc=a").ok());  // the same pair twice is harmless
}

TEST(ToolFlags, KnownNamesSetTypedFields) {
  v1::BenchmarkFlags f;
  for (const char* arg : {"--num_threads=4", "--num_runs=50", "--warmup_runs=0", "--use_gpu=true", "--max_secs=2.5",
                          "--run_delay=0.1", "--input_layer=input", "--use_nnapi=false"}) {
    ASSERT_TRUE(ParseFlagArg(arg, &f).ok()) << arg;
  }
  EXPECT_EQ(f.num_threads(), 4);
  EXPECT_EQ(f.num_runs(), 50);
  EXPECT_TRUE(f.has_warmup_runs());
  EXPECT_EQ(f.warmup_runs(), 0);
  EXPECT_TRUE(f.use_gpu());
  EXPECT_DOUBLE_EQ(f.max_secs(), 2.5);
  EXPECT_DOUBLE_EQ(f.run_delay_secs(), 0.1);
  EXPECT_EQ(f.input_layer(), "input");
  EXPECT_TRUE(f.has_use_nnapi());
  EXPECT_FALSE(f.use_nnapi());
  EXPECT_EQ(f.extra_size(), 0);
}

TEST(ToolFlags, OtherNamesGoToExtraUncheckedForTheCoordinatorToJudge) {
  v1::BenchmarkFlags f;
  ASSERT_TRUE(ParseFlagArg("--use_caching=true", &f).ok());
  ASSERT_TRUE(ParseFlagArg("--foo=$(reboot)", &f).ok());
  ASSERT_TRUE(ParseFlagArg("--empty=", &f).ok());
  ASSERT_EQ(f.extra_size(), 3);
  EXPECT_EQ(f.extra(0).name(), "use_caching");
  EXPECT_EQ(f.extra(0).value(), "true");
  EXPECT_EQ(f.extra(1).name(), "foo");
  EXPECT_EQ(f.extra(1).value(), "$(reboot)");
  EXPECT_EQ(f.extra(2).value(), "");
  // Neither the repeated field itself nor the proto-only field name is a typed flag.
  ASSERT_TRUE(ParseFlagArg("--extra=1", &f).ok());
  EXPECT_EQ(f.extra(3).name(), "extra");
}

TEST(ToolFlags, MalformedOrMistypedFlagsAreUsageErrors) {
  for (const char* bad : {"num_threads=4", "-num_threads=4", "--num_threads", "--=4", "--num_threads=four",
                          "--use_gpu=maybe", "--max_secs=soon", "--num_threads=99999999999"}) {
    v1::BenchmarkFlags f;
    EXPECT_EQ(ParseFlagArg(bad, &f).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// The rule itself is common/loopback.h's (tests/unit/loopback_test.cc); numeric targets
// here, so nothing is looked up.
TEST(LabConnection, PlaintextOnlyToLoopback) {
  LabOptions o;
  for (const char* ok : {"127.0.0.1:7443", "127.1.2.3:1", "[::1]:7443", "ipv4:127.0.0.1:1,127.0.0.2:2"}) {
    o.coordinator = ok;
    EXPECT_TRUE(LabConnection::Open(o).ok()) << ok;
  }
  for (const char* remote : {"10.0.0.1:7443", "[2001:db8::1]:7443", "128.0.0.1:7443", "ipv4:127.0.0.1:1,192.0.2.2:2"}) {
    o.coordinator = remote;
    EXPECT_EQ(LabConnection::Open(o).status().code(), absl::StatusCode::kInvalidArgument) << remote;
  }
  o.coordinator = "192.0.2.1:7443";
  EXPECT_EQ(LabConnection::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.coordinator = "127.0.0.1:7443";
  EXPECT_TRUE(LabConnection::Open(o).ok());
  o.tls_cert = "/x.pem";  // a client certificate needs TLS
  EXPECT_EQ(LabConnection::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LabConnection, NamesThePeerNameMissingFromTheCertificate) {
  EXPECT_EQ(PeerNameNotInCertificate("failed to connect to all addresses; last error: UNKNOWN: "
                                     "ipv4:127.0.0.1:7443: Peer name 127.0.0.1 is not in peer certificate"),
            "127.0.0.1");
  EXPECT_EQ(PeerNameNotInCertificate("failed to connect to all addresses; last error: UNAVAILABLE: "
                                     "ipv4:127.0.0.1:7443: Connection refused"),
            "");
  EXPECT_EQ(PeerNameNotInCertificate("Peer name "), "");
}

TEST(Table, ShowsControlCharactersEscaped) {
  Table t({"DEVICE", "MODEL"});
  t.AddRow({"host1/SER1", "Pixel\x1b[2J\x07"});
  EXPECT_EQ(t.Render(),
            "DEVICE      MODEL\n"
            "host1/SER1  Pixel\\x1b[2J\\x07\n");
}

TEST(Table, PadsColumnsAndRightAlignsNumbers) {
  Table t({"DEVICE", "AVG"});
  t.AddRow({"host1/SER1", "1000"});
  t.AddRow({"h/S", "12.5"});
  EXPECT_EQ(t.Render(),
            "DEVICE      AVG\n"
            "host1/SER1  1000\n"
            "h/S         12.5\n");
}

TEST(ResultsCsv, HeaderNamesEveryMetricAndAbsentOnesAreEmpty) {
  v1::GetResultsResponse r;
  v1::Run* run = r.add_runs();
  run->set_job_id("j1");
  run->set_run_id("j1.0.0");
  run->set_device_id("h/S");
  run->set_attempt(1);
  run->set_state(v1::RUN_STATE_DONE);
  run->mutable_metrics()->set_avg_us(1234.5);
  run->mutable_metrics()->set_init_us(10);
  EXPECT_EQ(FormatResultsCsv(r),
            "job_id,run_id,device_id,repeat,attempt,state,error_class,count,first_us,curr_us,min_us,max_us,avg_us,"
            "std_us,init_us,first_inference_us,warmup_avg_us,inference_avg_us,memory_init_mb,memory_overall_mb,"
            "peak_memory_mb\n"
            "j1,j1.0.0,h/S,0,1,done,,,,,,,1234.5,,10,,,,,,\n");
}

TEST(Json, UsesProtoFieldNames) {
  v1::Run run;
  run.set_run_id("j1.0.0");
  run.mutable_metrics()->set_peak_memory_mb(20.5);
  std::string j = ToJson(run);
  EXPECT_NE(j.find("\"run_id\":\"j1.0.0\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"peak_memory_mb\":20.5"), std::string::npos) << j;
  EXPECT_EQ(j.find("avg_us"), std::string::npos) << j;  // unset optional metrics stay absent
}

TEST(RunCli, MalformedFlagIsAUsageErrorBeforeAnyNetwork) {
  std::istringstream in;
  std::ostringstream out, err;
  const char* argv[] = {"benchlab", "run", "m.tflite", "--apk", "a.apk", "--flag", "num_threads=4"};
  EXPECT_EQ(RunCli(7, argv, {&in, &out, &err}), kExitUsage);
  EXPECT_NE(err.str().find("--name=value"), std::string::npos) << err.str();
}

TEST(RunCli, UnknownCommandIsNamed) {
  std::istringstream in;
  std::ostringstream out, err;
  const char* argv[] = {"benchlab", "resultz", "j1"};
  EXPECT_EQ(RunCli(3, argv, {&in, &out, &err}), kExitUsage);
  EXPECT_NE(err.str().find("unknown command 'resultz'"), std::string::npos) << err.str();
}

TEST(RunCli, HelpListsTheLabCommandsAndExitCodes) {
  std::istringstream in;
  std::ostringstream out, err;
  const char* argv[] = {"benchlab", "--help"};
  EXPECT_EQ(RunCli(2, argv, {&in, &out, &err}), kExitOk);
  for (const char* word : {"devices", "agents", "run", "jobs", "job", "results", "compare", "logs", "cancel",
                           "BENCHLAB_COORDINATOR", "5  refused"}) {
    EXPECT_NE(out.str().find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace benchlab::cli
