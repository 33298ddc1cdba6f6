// The agent's caps through the real chain: the built coordinator, a real benchlab-agent with
// --cache-max-mb 2 and --phone-max-models 2, Debian's adb and a devsim phone, and the CLI.
// Four jobs with four different models: the host cache ends within its cap (the least
// recently used models evicted, logged), and the phone's model folder, read through
// Debian's adb, holds two models, the latest among them (the others removed, logged).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

using testing::LabCluster;
using testing::RunResult;

TEST(AgentCaps, CacheAndPhoneKeepOnlyTheirCapThroughTheRealChain) {
  auto started = LabCluster::Start({.hosts = 1,
                                    .phones_per_host = 1,
                                    .run_seconds = 0.2,
                                    .agent_extra = {"--cache-max-mb", "2", "--phone-max-models", "2"}});
  ASSERT_TRUE(started.ok()) << started.status();
  LabCluster& lab = **started;
  const std::string phone = lab.DeviceId(0, 0);

  // Four different models of 0.8 MB: any three of them overflow the 2 MiB cache.
  std::vector<std::string> shas;
  for (int i = 1; i <= 4; ++i) {
    const std::string path = absl::StrCat(lab.dir(), "/model", i, ".tflite");
    RunResult made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-model", path, "--model-mb", "0.8",
                                   "--seed", std::to_string(i)});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    auto digest = Sha256File(path);
    ASSERT_TRUE(digest.ok()) << digest.status();
    shas.push_back(digest->sha256);
    RunResult r = lab.Cli({"run", path, "--apk", lab.apk_path(), "--devices", phone});
    ASSERT_EQ(r.exit_code, 0) << "job " << i << ": " << r.output;
  }
  ASSERT_EQ(std::set<std::string>(shas.begin(), shas.end()).size(), 4u) << "the seeds must give different models";

  // The host cache: within the cap, the latest model kept, the first ones evicted and logged.
  int64_t cached = 0;
  for (const auto& e : std::filesystem::directory_iterator(lab.dir() + "/agent0/artifacts")) {
    if (e.path().extension() != ".part") cached += static_cast<int64_t>(e.file_size());
  }
  EXPECT_LE(cached, int64_t{2} << 20);
  EXPECT_TRUE(std::filesystem::exists(lab.dir() + "/agent0/artifacts/" + shas[3]));
  EXPECT_FALSE(std::filesystem::exists(lab.dir() + "/agent0/artifacts/" + shas[0]));
  const std::string log = lab.agent(0).Output();
  EXPECT_TRUE(absl::StrContains(log, "event=cache_evicted sha256=" + shas[0])) << log;

  // The phone: Debian's adb lists at most two models, the latest among them.
  const std::string serial = lab.host(0).Serial(0);
  RunResult ls = lab.host(0).adb().Adb({"-s", serial, "shell", "ls", "/data/local/tmp/benchlab"});
  ASSERT_EQ(ls.exit_code, 0) << ls.output;
  std::vector<std::string> models;
  for (absl::string_view line : absl::StrSplit(ls.output, '\n', absl::SkipEmpty())) {
    if (absl::EndsWith(absl::StripTrailingAsciiWhitespace(line), ".tflite")) {
      models.emplace_back(absl::StripTrailingAsciiWhitespace(line));
    }
  }
  EXPECT_EQ(models.size(), 2u) << ls.output;
  EXPECT_NE(std::find(models.begin(), models.end(), shas[3] + ".tflite"), models.end()) << ls.output;
  EXPECT_NE(std::find(models.begin(), models.end(), shas[2] + ".tflite"), models.end()) << ls.output;
  for (int i : {0, 1}) {
    EXPECT_TRUE(absl::StrContains(log, absl::StrCat("event=phone_model_removed serial=", serial,
                                                    " path=/data/local/tmp/benchlab/", shas[i], ".tflite")))
        << log;
  }
}

}  // namespace
}  // namespace benchlab
