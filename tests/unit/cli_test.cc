// benchlab_cli without a coordinator: how --devices and --flag become API messages, the
// loopback rule for plaintext, and the table and CSV shapes scripts rely on.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "cli/cli.h"
#include "cli/cli_config.h"
#include "cli/conditions_view.h"
#include "cli/device_selector.h"
#include "cli/duration_arg.h"
#include "cli/history_format.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/results_view.h"
#include "cli/table.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

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
            "peak_memory_mb,before_battery_temp_c,before_battery_level_pct,before_charging,before_thermal_status,"
            "before_cpu_freq_khz,before_screen_on,before_mem_available_kb,after_battery_temp_c,"
            "after_battery_level_pct,after_charging,after_thermal_status,after_cpu_freq_khz,after_screen_on,"
            "after_mem_available_kb,build_fingerprint,apk_version_name,apk_version_code,variant\n"
            "j1,j1.0.0,h/S,0,1,done,,,,,,,1234.5,,10,,,,,,,,,,,,,,,,,,,,,,,,\n");
}

TEST(ResultsView, AVariantJobShowsAAndBApartPerPhone) {
  v1::GetResultsResponse r;
  r.mutable_job()->set_job_id("j1");
  r.mutable_job()->mutable_spec()->add_variants()->set_label("a.tflite");
  r.mutable_job()->mutable_spec()->add_variants()->set_label("b\x1b[2J.tflite");
  for (int variant : {0, 1}) {
    v1::DeviceResults* d = r.add_devices();
    d->set_device_id("h/S");
    d->set_variant(variant);
    d->set_runs_done(2);
    v1::Aggregate* a = d->add_aggregates();
    a->set_metric("inference_avg_us");
    a->set_n(2);
    a->set_median(variant == 0 ? 1000 : 1050);
    v1::Run* run = r.add_runs();
    run->set_run_id(absl::StrCat("j1.0.", variant));
    run->set_device_id("h/S");
    run->set_variant(variant);
    run->set_state(v1::RUN_STATE_DONE);
    run->mutable_metrics()->set_inference_avg_us(variant == 0 ? 1000 : 1050);
  }
  const std::string out = FormatResults(r);
  EXPECT_NE(out.find("Per device and variant"), std::string::npos) << out;
  EXPECT_NE(out.find("DEVICE  VARIANT  DONE"), std::string::npos) << out;
  EXPECT_NE(out.find("\nh/S     A           2       0  inference_avg_us  2    1000"), std::string::npos) << out;
  EXPECT_NE(out.find("\n        B           2       0  inference_avg_us  2    1050"), std::string::npos)
      << "B's line under the same device: " << out;
  EXPECT_NE(out.find("  B: b\\x1b[2J.tflite"), std::string::npos) << "labels escaped: " << out;
  EXPECT_NE(out.find("j1.0.1  h/S     B"), std::string::npos) << out;
  const std::string csv = FormatResultsCsv(r);
  EXPECT_NE(csv.find(",variant\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",B\n"), std::string::npos) << csv;
}

// A run that heated its phone: 31.2 -> 36.8 C, thermal none -> light, big cluster capped.
v1::Run RunWithConditions() {
  v1::Run run;
  run.set_run_id("j1.0.0");
  v1::RunConditions* b = run.mutable_conditions()->mutable_before();
  b->set_battery_temp_c(31.2);
  b->set_battery_level_pct(87);
  b->set_charging(true);
  b->set_thermal_status(v1::THERMAL_STATUS_NONE);
  b->set_build_fingerprint("google/panther/panther:14/UQ1A/1:user/release-keys\x1b[2J");
  b->set_apk_version_name("2.16.1");
  b->set_apk_version_code(216);
  for (auto [khz, max] : {std::pair<int32_t, int32_t>{300000, 1785600}, {2995200, 2995200}, {2496000, 2496000}}) {
    v1::CpuCluster* c = b->add_cpu_clusters();
    c->set_cpu_freq_khz(khz);
    c->set_max_freq_khz(max);
  }
  v1::RunConditions* a = run.mutable_conditions()->mutable_after();
  *a = *b;
  a->set_battery_temp_c(36.8);
  a->set_battery_level_pct(86);
  a->set_thermal_status(v1::THERMAL_STATUS_LIGHT);
  a->mutable_cpu_clusters(1)->set_cpu_freq_khz(2054400);
  return run;
}

TEST(ConditionsView, TableShowsBeforeAndAfterOfTheBigCluster) {
  google::protobuf::RepeatedPtrField<v1::Run> runs;
  *runs.Add() = RunWithConditions();
  v1::Run* unread = runs.Add();  // failed before its benchmark started: no row
  unread->set_run_id("j1.0.1");
  v1::Run* before_only = runs.Add();
  before_only->set_run_id("j1.0.2");
  before_only->mutable_conditions()->mutable_before()->set_battery_temp_c(30);
  EXPECT_EQ(FormatConditionsTable(runs),
            "RUN     BATTERY_C   LEVEL     THERMAL      BIG_CPU_MHZ\n"
            "j1.0.0  31.2->36.8  87%->86%  none->light  2995->2054\n"
            "j1.0.2  30.0->-     -         -            -\n");
  EXPECT_EQ(FormatConditionsTable({}), "");
}

TEST(ConditionsView, CsvHasBothSidesPerClusterFrequenciesAndEscapedText) {
  v1::GetResultsResponse r;
  *r.add_runs() = RunWithConditions();
  const std::string csv = FormatResultsCsv(r);
  EXPECT_NE(csv.find(",31.2,87,true,none,300000;2995200;2496000,,,36.8,86,true,light,300000;2054400;2496000,,,"
                     "google/panther/panther:14/UQ1A/1:user/release-keys\\x1b[2J,2.16.1,216,\n"),
            std::string::npos)
      << csv;
}

TEST(ConditionsView, ThermalWordsAndJsonFieldNames) {
  EXPECT_EQ(ThermalStatusWord(v1::THERMAL_STATUS_UNSPECIFIED), "");
  EXPECT_EQ(ThermalStatusWord(v1::THERMAL_STATUS_SEVERE), "severe");
  EXPECT_EQ(ThermalStatusWord(v1::THERMAL_STATUS_SHUTDOWN), "shutdown");
  const std::string j = ToJson(RunWithConditions());
  for (const char* name : {"\"conditions\":{\"before\":{", "\"after\":{", "\"battery_temp_c\":36.8",
                           "\"battery_level_pct\":87", "\"thermal_status\":\"THERMAL_STATUS_LIGHT\"",
                           "\"cpu_freq_khz\":2054400"}) {
    EXPECT_NE(j.find(name), std::string::npos) << name << " in " << j;
  }
  EXPECT_EQ(j.find("screen_on"), std::string::npos) << "unknown stays absent: " << j;
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
                           "BENCHLAB_COORDINATOR", "5  refused", "6  compare --fail-on"}) {
    EXPECT_NE(out.str().find(word), std::string::npos) << word;
  }
}

TEST(RunCli, TlsFilesComeFromTheEnvironmentAndAFlagWins) {
  ::setenv("BENCHLAB_TLS_CA", "/nonexistent/env-ca.pem", 1);
  std::istringstream in;
  std::ostringstream out, err;
  const char* argv[] = {"benchlab", "devices", "--coordinator", "lab.example:7443"};
  EXPECT_EQ(RunCli(4, argv, {&in, &out, &err}), kExitUsage);
  EXPECT_NE(err.str().find("/nonexistent/env-ca.pem"), std::string::npos) << "TLS from the env: " << err.str();
  std::ostringstream out2, err2;
  const char* argv2[] = {"benchlab", "devices", "--coordinator", "lab.example:7443", "--tls-ca", "/nonexistent/flag.pem"};
  EXPECT_EQ(RunCli(6, argv2, {&in, &out2, &err2}), kExitUsage);
  EXPECT_NE(err2.str().find("/nonexistent/flag.pem"), std::string::npos) << err2.str();
  ::unsetenv("BENCHLAB_TLS_CA");
}

TEST(RunCli, ConnectionOptionsMayComeBeforeTheCommand) {
  std::istringstream in;
  for (std::vector<const char*> argv :
       {std::vector<const char*>{"benchlab", "--tls-ca", "/nonexistent/ca.pem", "--coordinator=lab.example:7443",
                                 "devices", "--state", "idle"},
        std::vector<const char*>{"benchlab", "--tls-ca=/nonexistent/ca.pem", "device", "drain", "h/S1",
                                 "--coordinator", "lab.example:7443"}}) {
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(static_cast<int>(argv.size()), argv.data(), {&in, &out, &err}), kExitUsage);
    EXPECT_NE(err.str().find("/nonexistent/ca.pem"), std::string::npos) << "read as the command's: " << err.str();
  }
}

TEST(CliConfig, FileSettingsFillWhatNoFlagOrEnvGives) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/cli.toml";
  ASSERT_TRUE(testing::WriteFile(file, "# lab\ncoordinator = \"lab.example:7443\"\ntls-ca = \"/etc/ca.pem\"\ntoken = t1\n"));
  std::map<std::string, std::string> env = {{"BENCHLAB_TOKEN", "from-env"}};
  auto getenv = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto args = ApplyCliConfig({"--config", file, "devices", "--tls-ca", "/flag.pem"}, getenv);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(*args, (std::vector<std::string>{"devices", "--tls-ca", "/flag.pem", "--coordinator", "lab.example:7443"}))
      << "the flag wins over the file, the env over the file";
  env = {{"HOME", dir.path()}};
  std::filesystem::create_directories(dir.path() + "/.config/benchlab");
  ASSERT_TRUE(testing::WriteFile(dir.path() + "/.config/benchlab/cli.toml", "token = t2\n"));
  args = ApplyCliConfig({"jobs"}, getenv);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args, (std::vector<std::string>{"jobs", "--token", "t2"})) << "the default file";
  args = ApplyCliConfig({"parse", "x.log"}, getenv);
  EXPECT_EQ(*args, (std::vector<std::string>{"parse", "x.log"})) << "not for parse";

  ASSERT_TRUE(testing::WriteFile(file, "tls_ca = \"/etc/ca.pem\"\n"));
  args = ApplyCliConfig({"--config", file, "devices"}, getenv);
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.status().message().substr(0, 40 + file.size()),
            "unknown key 'tls_ca' in config file " + file + " (ke");
  EXPECT_FALSE(ApplyCliConfig({"--config", dir.path() + "/none.toml", "devices"}, getenv).ok());
}

TEST(DurationArg, UnitsAndRefusals) {
  EXPECT_EQ(*ParseDurationArg("--since", "7d"), absl::Hours(24 * 7));
  EXPECT_EQ(*ParseDurationArg("--since", "12h"), absl::Hours(12));
  EXPECT_EQ(*ParseDurationArg("--since", "90m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationArg("--since", "30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseDurationArg("--since", "2w"), absl::Hours(24 * 14));
  for (const char* bad : {"", "d", "7", "7x", "-1d", "0d", "1.5h", "+3h", "7 d", "3651d", "99999999999999999999d"}) {
    auto d = ParseDurationArg("--since", bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(d.status().message().find("--since"), std::string::npos) << bad;
  }
}

TEST(HistoryFormat, SeriesAndChangePhrases) {
  v1::SeriesKey k;
  k.set_model_sha256(std::string(64, 'a'));
  EXPECT_EQ(DescribeModel(k), "aaaaaaaaaaaa");
  k.set_model_name("m.tflite");
  EXPECT_EQ(DescribeModel(k), "m.tflite (aaaaaaaaaaaa)");
  EXPECT_EQ(DescribePhone(k), "-");
  k.set_device_model("Pixel 7");
  k.set_device_serialno("R58");
  EXPECT_EQ(DescribePhone(k), "Pixel 7 (serialno R58)");
  EXPECT_EQ(DescribeFlags(k), "(tool defaults)");
  v1::ChangePoint c;
  c.set_direction("slower");
  c.set_change_pct(4.06);
  c.set_t(8.71);
  EXPECT_EQ(DescribeChange(c), "slower +4.1% (t 8.7)");
  EXPECT_EQ(ShortSha(""), "-");
}

}  // namespace
}  // namespace benchlab::cli
