// CPU placement and provenance (issue 11) through the whole lab: `benchlab run --tool
// native --cpus big|little|0xMASK` on two devsim phones of different CPU topologies
// (--cpu-topology) behind the real adb; each agent resolves the choice from its phone's
// cpufreq files and runs the tool under `taskset`; `results --json` shows the mask and the
// provenance (tool, hashes, the phone's build fingerprint) of every run. One lab for all.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "nlohmann/json.hpp"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

class LabCpusE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Phone 0: 4 little at 1.8 GHz + 4 big at 2.4 GHz. Phone 1: 4 + 3 + one prime core at
    // 3.0 GHz, on Android 12. No run-to-run noise, so speeds compare exactly.
    auto lab = LabCluster::Start({.hosts = 1,
                                  .phones_per_host = 2,
                                  .run_seconds = 0.5,
                                  .devsim_extra = {"--cpu-topology", "0=4x1.8+4x2.4", "--cpu-topology",
                                                   "1=4x1.8+3x2.4+1x3.0", "--android", "1=12", "--noise-cv", "0",
                                                   "--drift-pct", "0"}});
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = lab->release();
    RunResult made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-binary", Binary(), "--flavor", "tflite"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  static void TearDownTestSuite() { delete lab_; }
  static std::string Binary() { return absl::StrCat(lab_->dir(), "/benchmark_model"); }

  // `run --json` of the native tool with these extra arguments; the parsed results.
  static nlohmann::json RunNative(const std::vector<std::string>& extra, int* exit_code = nullptr) {
    std::vector<std::string> args = {"run", lab_->model_path(), "--tool", "native", "--binary", Binary(),
                                     "--flag", "--num_runs=5", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = lab_->Cli(args);
    if (exit_code != nullptr) *exit_code = r.exit_code;
    // The JSON object; a failed run's summary line follows it on stderr.
    const size_t brace = r.output.find('{'), last = r.output.rfind('}');
    if (brace == std::string::npos || last < brace) {
      ADD_FAILURE() << r.output;
      return nlohmann::json();
    }
    nlohmann::json j = nlohmann::json::parse(r.output.substr(brace, last - brace + 1), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }
  // device_id -> its run (one repeat per phone).
  static std::map<std::string, nlohmann::json> ByDevice(const nlohmann::json& results) {
    std::map<std::string, nlohmann::json> out;
    for (const auto& run : results["runs"]) out[run["device_id"].get<std::string>()] = run;
    return out;
  }

  static LabCluster* lab_;
};
LabCluster* LabCpusE2eTest::lab_ = nullptr;

TEST_F(LabCpusE2eTest, BigIsEachPhonesFastestCoresAndRunsFasterThanLittle) {
  nlohmann::json big = RunNative({"--cpus", "big"});
  nlohmann::json little = RunNative({"--cpus", "little"});
  auto big_runs = ByDevice(big), little_runs = ByDevice(little);
  ASSERT_EQ(big_runs.size(), 2u) << big.dump();
  ASSERT_EQ(little_runs.size(), 2u) << little.dump();
  const std::string p0 = lab_->DeviceId(0, 0), p1 = lab_->DeviceId(0, 1);
  for (const auto& runs : {big_runs, little_runs}) {
    for (const auto& [device, run] : runs) EXPECT_EQ(run["state"], "RUN_STATE_DONE") << run.dump();
  }
  // Resolved per phone from its own cpufreq files: two topologies, two masks.
  EXPECT_EQ(big_runs[p0]["cpu_mask"], "0xf0");
  EXPECT_EQ(big_runs[p1]["cpu_mask"], "0x80");
  EXPECT_EQ(little_runs[p0]["cpu_mask"], "0xf");
  EXPECT_EQ(little_runs[p1]["cpu_mask"], "0xf");
  EXPECT_EQ(big["job"]["spec"]["cpus"], "big");
  // devsim ran the tool under the mask: pinned to the little cores it is slower by the
  // clock ratio (2.4/1.8 and 3.0/1.8).
  const double ratio0 = little_runs[p0]["metrics"]["inference_avg_us"].get<double>() /
                        big_runs[p0]["metrics"]["inference_avg_us"].get<double>();
  const double ratio1 = little_runs[p1]["metrics"]["inference_avg_us"].get<double>() /
                        big_runs[p1]["metrics"]["inference_avg_us"].get<double>();
  EXPECT_GT(ratio0, 1.2) << ratio0;
  EXPECT_LT(ratio0, 1.5) << ratio0;
  EXPECT_GT(ratio1, 1.5) << ratio1;
  EXPECT_LT(ratio1, 1.9) << ratio1;

  // The tables show the mask and the provenance.
  RunResult shown = lab_->Cli({"results", big["job"]["job_id"].get<std::string>()});
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_TRUE(absl::StrContains(shown.output, "CPUS")) << shown.output;
  EXPECT_TRUE(absl::StrContains(shown.output, "0x80")) << shown.output;
  EXPECT_TRUE(absl::StrContains(shown.output, "Provenance:")) << shown.output;
  RunResult job = lab_->Cli({"job", big["job"]["job_id"].get<std::string>()});
  ASSERT_EQ(job.exit_code, 0) << job.output;
  EXPECT_TRUE(absl::StrContains(job.output, "cpus big")) << job.output;
  EXPECT_TRUE(absl::StrContains(job.output, "0xf0")) << job.output;
}

TEST_F(LabCpusE2eTest, AMaskOfNoCoreOfThePhoneFailsTheRunClearly) {
  // cpu8-11: phone 0 and 1 have 8 cores each.
  int exit_code = -1;
  nlohmann::json results = RunNative({"--cpus", "0xf00"}, &exit_code);
  EXPECT_EQ(exit_code, 4) << "kExitRunsFailed";
  ASSERT_EQ(results["runs"].size(), 2u) << results.dump();
  for (const auto& run : results["runs"]) {
    EXPECT_EQ(run["state"], "RUN_STATE_FAILED") << run.dump();
    EXPECT_EQ(run["error_class"], "ERROR_CLASS_CPUS_UNAVAILABLE") << run.dump();
    EXPECT_TRUE(absl::StrContains(run["error_message"].get<std::string>(), "cpus 0xf00 names no CPU of this phone"))
        << run.dump();
    EXPECT_FALSE(run.contains("exit_code")) << "the tool must not have run: " << run.dump();
  }
  // A mask with some of the phone's cores keeps those.
  auto partial = ByDevice(RunNative({"--cpus", "0x1c0"}));
  EXPECT_EQ(partial[lab_->DeviceId(0, 0)]["cpu_mask"], "0xc0");
  EXPECT_EQ(partial[lab_->DeviceId(0, 0)]["state"], "RUN_STATE_DONE");
}

TEST_F(LabCpusE2eTest, CpusIsRefusedAtSubmitForTheApkAndForBadSpellings) {
  RunResult apk = lab_->Cli({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--cpus", "big"});
  EXPECT_EQ(apk.exit_code, 2) << apk.output;
  EXPECT_TRUE(absl::StrContains(apk.output, "--cpus is for the native tools")) << apk.output;
  RunResult bad = lab_->Cli({"run", lab_->model_path(), "--tool", "native", "--binary", Binary(), "--cpus", "fast"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output, "big, little, all")) << bad.output;
}

TEST_F(LabCpusE2eTest, EveryRunRecordsWhatRanAndOnWhichBuild) {
  auto binary = Sha256File(Binary());
  auto model = Sha256File(lab_->model_path());
  auto apk = Sha256File(lab_->apk_path());
  ASSERT_TRUE(binary.ok() && model.ok() && apk.ok());
  std::map<std::string, std::string> fingerprint;
  for (int i = 0; i < 2; ++i) {
    RunResult got = lab_->host(0).adb().Adb({"-s", lab_->host(0).Serial(i), "shell", "getprop", "ro.build.fingerprint"});
    ASSERT_EQ(got.exit_code, 0) << got.output;
    fingerprint[lab_->DeviceId(0, i)] = std::string(absl::StripAsciiWhitespace(got.output));
  }
  EXPECT_NE(fingerprint[lab_->DeviceId(0, 0)], fingerprint[lab_->DeviceId(0, 1)]);
  EXPECT_TRUE(absl::StrContains(fingerprint[lab_->DeviceId(0, 1)], ":12/")) << fingerprint[lab_->DeviceId(0, 1)];

  for (const auto& [device, run] : ByDevice(RunNative({}))) {
    const auto& p = run["provenance"];
    EXPECT_EQ(p["tool"], "TOOL_KIND_NATIVE") << run.dump();
    EXPECT_EQ(p["tool_sha256"], binary->sha256) << run.dump();
    EXPECT_EQ(p["model_sha256"], model->sha256) << run.dump();
    EXPECT_EQ(p["build_fingerprint"], fingerprint[device]) << run.dump();
    EXPECT_EQ(p["tool_version"], "") << "benchmark_model prints no version: " << run.dump();
    EXPECT_FALSE(p.contains("apk_version_code")) << run.dump();
    EXPECT_EQ(run["cpu_mask"], "") << "no --cpus, no pinning: " << run.dump();
  }
  RunResult r = lab_->Cli({"run", lab_->model_path(), "--apk", lab_->apk_path(), "--flag", "--num_runs=5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json results = nlohmann::json::parse(r.output.substr(r.output.find('{')), nullptr, false);
  ASSERT_EQ(results["runs"].size(), 2u) << r.output;
  for (const auto& [device, run] : ByDevice(results)) {
    const auto& p = run["provenance"];
    EXPECT_EQ(p["tool"], "TOOL_KIND_APK") << run.dump();
    EXPECT_EQ(p["tool_version"], "devsim") << run.dump();  // the fake APK's versionName
    EXPECT_EQ(p["apk_version_code"], "1") << run.dump();   // int64: a JSON string
    EXPECT_EQ(p["tool_sha256"], apk->sha256) << run.dump();
    EXPECT_EQ(p["model_sha256"], model->sha256) << run.dump();
    EXPECT_EQ(p["build_fingerprint"], fingerprint[device]) << run.dump();
  }
}

}  // namespace
}  // namespace benchlab
