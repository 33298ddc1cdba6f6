// Artifact retention through the real chain: the built coordinator (SQLite data dir,
// --artifact-retention-days of ~3.5 s, so its sweep looks every second), a real agent with
// Debian's adb and a devsim phone, and the CLI. An old unpinned artifact goes (record,
// file, counted in /metrics), a pinned one stays, the model and APK of a queued job stay
// until the job has finished and aged; a job naming a deleted artifact is refused; the
// table escapes an uploader's control characters; pin/unpin are audited.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "nlohmann/json.hpp"
#include "tests/support/lab_cluster.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using testing::LabCluster;
using testing::RunResult;

// The artifacts `benchlab artifact list --json` shows, by sha256.
std::map<std::string, nlohmann::json> Listed(const LabCluster& lab) {
  RunResult r = lab.Cli({"artifact", "list", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::map<std::string, nlohmann::json> out;
  if (r.exit_code != 0) return out;
  const nlohmann::json listed = nlohmann::json::parse(r.output);
  for (const auto& a : listed["artifacts"]) out[a["sha256"].get<std::string>()] = a;
  return out;
}

// Polls the list until `gone` is no longer in it (the sweep looks every second).
bool WaitGone(const LabCluster& lab, const std::string& gone, absl::Duration timeout = absl::Seconds(30)) {
  for (absl::Time end = absl::Now() + timeout; absl::Now() < end; absl::SleepFor(absl::Milliseconds(250))) {
    if (!Listed(lab).contains(gone)) return true;
  }
  return false;
}

std::string WriteFile(const std::string& path, const std::string& content) {
  EXPECT_TRUE(testing::WriteFile(path, content));
  return path;
}

TEST(ArtifactRetention, OldGoesPinnedAndInUseStayThroughTheRealChain) {
  const int metrics_port = testing::FreePort();
  auto started = LabCluster::Start({.hosts = 1,
                                    .phones_per_host = 1,
                                    .run_seconds = 0.2,
                                    .coordinator_extra = {"--artifact-retention-days", "0.00004",  // 3.5 s
                                                          "--metrics-listen", absl::StrCat("127.0.0.1:", metrics_port)}});
  ASSERT_TRUE(started.ok()) << started.status();
  LabCluster& lab = **started;
  auto stub = lab.Lab();
  const std::string phone = lab.DeviceId(0, 0);

  auto old_model = LabCluster::Upload(*stub, WriteFile(lab.dir() + "/old.tflite", "old model bytes"),
                                      v1::ARTIFACT_KIND_MODEL);
  auto pinned = LabCluster::Upload(*stub, WriteFile(lab.dir() + "/pinned\x1b[2J.tflite", "pinned model bytes"),
                                   v1::ARTIFACT_KIND_MODEL);
  ASSERT_TRUE(old_model.ok() && pinned.ok());
  RunResult r = lab.Cli({"artifact", "pin", pinned->sha256()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "pinned")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, "\x1b")) << r.output;

  // A job waiting on a drained phone holds its model and APK.
  ASSERT_EQ(lab.Cli({"device", "drain", phone}).exit_code, 0);
  r = lab.Cli({"run", lab.model_path(), "--apk", lab.apk_path(), "--devices", phone, "--detach"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto model_digest = Sha256File(lab.model_path());
  auto apk_digest = Sha256File(lab.apk_path());
  ASSERT_TRUE(model_digest.ok() && apk_digest.ok());
  const std::string model = model_digest->sha256, apk = apk_digest->sha256;

  ASSERT_TRUE(WaitGone(lab, old_model->sha256())) << "the old unpinned artifact was not deleted";
  const std::string old_file = absl::StrCat(lab.dir(), "/coordinator/artifacts/", old_model->sha256().substr(0, 2),
                                            "/", old_model->sha256());
  EXPECT_FALSE(std::filesystem::exists(old_file)) << old_file;
  absl::SleepFor(absl::Seconds(2));  // two more sweeps
  auto listed = Listed(lab);
  ASSERT_TRUE(listed.contains(pinned->sha256()));
  EXPECT_TRUE(listed[pinned->sha256()]["pinned"].get<bool>());
  ASSERT_TRUE(listed.contains(model) && listed.contains(apk)) << "a queued job's artifacts stay";
  EXPECT_TRUE(listed[model]["in_use"].get<bool>());

  // The table: every column, "in use", the pin, the name's escape sequence escaped.
  r = lab.Cli({"artifact", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* want : {"SHA256", "KIND", "NAME", "SIZE", "STORED", "LAST USED", "PINNED", "in use",
                           "pinned\\x1b[2J.tflite", "retention: unpinned artifacts unused for"}) {
    EXPECT_TRUE(absl::StrContains(r.output, want)) << want << " in " << r.output;
  }
  EXPECT_FALSE(absl::StrContains(r.output, "\x1b")) << r.output;
  EXPECT_FALSE(absl::StrContains(r.output, old_model->sha256())) << r.output;

  // A job naming the deleted artifact is refused with what to do.
  v1::SubmitJobRequest submit;
  submit.mutable_spec()->set_model_sha256(old_model->sha256());
  submit.mutable_spec()->set_apk_sha256(apk);
  submit.mutable_spec()->mutable_selector()->set_all(true);
  v1::SubmitJobResponse submitted;
  grpc::ClientContext ctx;
  lab.Authorize(&ctx);
  grpc::Status s = stub->SubmitJob(&ctx, submit, &submitted);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "upload it")) << s.error_message();

  // Counted and logged.
  const std::string metrics = testing::HttpGet(metrics_port, "/metrics");
  EXPECT_TRUE(absl::StrContains(metrics, "benchlab_artifacts_deleted_total 1")) << metrics;
  EXPECT_TRUE(absl::StrContains(lab.coordinator().Output(), "event=artifact_deleted sha256=" + old_model->sha256()));

  // Once the job has finished and aged, its artifacts go too; the pinned one, unpinned, goes.
  ASSERT_EQ(lab.Cli({"device", "undrain", phone}).exit_code, 0);
  ASSERT_TRUE(WaitGone(lab, model, absl::Seconds(60))) << "the finished job's model stayed";
  ASSERT_TRUE(WaitGone(lab, apk));
  EXPECT_TRUE(Listed(lab).contains(pinned->sha256()));
  ASSERT_EQ(lab.Cli({"artifact", "unpin", pinned->sha256()}).exit_code, 0);
  ASSERT_TRUE(WaitGone(lab, pinned->sha256()));
  r = lab.Cli({"jobs", "--json"});
  EXPECT_TRUE(absl::StrContains(r.output, "\"runs_done\":1")) << "the job ran: " << r.output;

  // Pin and unpin are admin calls in the audit log.
  r = lab.Cli({"audit", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "\"action\":\"pin\"")) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "\"action\":\"unpin\"")) << r.output;
  r = lab.Cli({"artifact", "pin", std::string(64, 'a')});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(absl::StrContains(r.output, "not on the coordinator")) << r.output;
}

}  // namespace
}  // namespace benchlab
