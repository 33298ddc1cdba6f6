// Artifact retention: the rule on plain data (pinned, in use, recently stored or used are
// kept; off keeps everything) and Core's sweep on a fake clock over real artifact files
// (record and file go together; a job not finished keeps its artifacts however old; a
// pin keeps one; a job submitted after the sweep is refused with "upload it again").
#include <gtest/gtest.h>

#include <filesystem>

#include "common/sha256.h"
#include "coordinator/artifact_retention.h"
#include "coordinator/core.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/coordinator_test_core.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

constexpr absl::Duration kDay = absl::Hours(24);
const absl::Time kNow = absl::FromUnixSeconds(1800000000);

v1::ArtifactRef Ref(const std::string& sha, absl::Time stored, bool pinned = false) {
  v1::ArtifactRef a;
  a.set_sha256(sha);
  a.set_stored_unix_ms(absl::ToUnixMillis(stored));
  a.set_pinned(pinned);
  return a;
}

std::vector<std::string> Shas(const std::vector<v1::ArtifactRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.sha256());
  return out;
}

TEST(ArtifactRetentionRule, DeletesOnlyOldUnpinnedUnusedArtifacts) {
  ArtifactUses uses;
  uses["used-recently"].last_used_unix_ms = absl::ToUnixMillis(kNow - 5 * kDay);
  uses["used-long-ago"].last_used_unix_ms = absl::ToUnixMillis(kNow - 40 * kDay);
  uses["in-use"] = {absl::ToUnixMillis(kNow - 400 * kDay), true};
  const std::vector<v1::ArtifactRef> all = {
      Ref("never-used-old", kNow - 31 * kDay),  Ref("never-used-new", kNow - 29 * kDay),
      Ref("pinned-old", kNow - 400 * kDay, true), Ref("used-recently", kNow - 100 * kDay),
      Ref("used-long-ago", kNow - 100 * kDay),  Ref("in-use", kNow - 400 * kDay),
  };
  EXPECT_EQ(Shas(ExpiredArtifacts(all, uses, kNow, 30 * kDay)),
            (std::vector<std::string>{"never-used-old", "used-long-ago"}));
  EXPECT_TRUE(ExpiredArtifacts(all, uses, kNow, absl::ZeroDuration()).empty()) << "0 days: kept forever";
  EXPECT_EQ(Shas(ExpiredArtifacts(all, uses, kNow, 2 * kDay)),
            (std::vector<std::string>{"never-used-old", "never-used-new", "used-recently", "used-long-ago"}));
}

TEST(ArtifactRetentionRule, AJobUsesEveryArtifactItNamesUntilItFinishes) {
  v1::Job job;
  job.set_created_unix_ms(1000);
  job.mutable_spec()->set_model_sha256("model-a");
  job.mutable_spec()->set_apk_sha256("apk");
  job.mutable_spec()->add_variants()->set_model_sha256("model-a");
  job.mutable_spec()->add_variants()->set_model_sha256("model-b");
  EXPECT_EQ(ArtifactsOfSpec(job.spec()), (std::vector<std::string>{"model-a", "apk", "model-b"}));
  ArtifactUses uses;
  AddJobUse(job, &uses);
  EXPECT_TRUE(uses["model-b"].in_use);
  EXPECT_EQ(uses["apk"].last_used_unix_ms, 1000);
  job.set_finished_unix_ms(5000);
  ArtifactUses after;
  AddJobUse(job, &after);
  EXPECT_FALSE(after["model-b"].in_use);
  EXPECT_EQ(after["model-b"].last_used_unix_ms, 5000) << "last used when the job ended";

  v1::JobSpec native;
  native.set_model_sha256("m");
  native.set_tool(v1::TOOL_KIND_NATIVE);
  native.set_binary_sha256("bin");
  EXPECT_EQ(ArtifactsOfSpec(native), (std::vector<std::string>{"m", "bin"}));

  // LiteRT's NPU libraries are the job's artifacts too: retention must not take them.
  v1::JobSpec litert = native;
  litert.set_tool(v1::TOOL_KIND_LITERT);
  litert.add_tool_files()->set_sha256("dispatch");
  EXPECT_EQ(ArtifactsOfSpec(litert), (std::vector<std::string>{"m", "bin", "dispatch"}));
}

// Core's sweep over a store and real files, on a fake clock.
class ArtifactSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lab_.Open().ok());
    core_->set_artifact_retention(30 * kDay);
  }
  // Uploads `content` as an artifact (file and record); its sha256.
  std::string Upload(const std::string& content, v1::ArtifactKind kind) {
    const std::string sha = Sha256Hex(content);
    auto w = artifacts_->NewWriter(sha, content.size());
    EXPECT_TRUE(w.ok()) << w.status();
    EXPECT_TRUE((*w)->Append(content).ok());
    EXPECT_TRUE((*w)->Commit().ok());
    v1::ArtifactRef ref;
    ref.set_sha256(sha);
    ref.set_kind(kind);
    ref.set_size_bytes(content.size());
    ref.set_name(content + ".bin");
    EXPECT_TRUE(core_->RecordArtifact(ref, false).ok());
    return sha;
  }
  absl::StatusOr<v1::Job> Submit(const std::string& model, const std::string& apk) {
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256(model);
    req.mutable_spec()->set_apk_sha256(apk);
    req.mutable_spec()->mutable_selector()->set_all(true);
    return core_->SubmitJob(req, "test");
  }
  void Finish(const std::string& job_id) {
    v1::RunEvent done;
    done.set_event_id(job_id + "/done");
    done.set_run_id(job_id + ".0.0");
    done.set_attempt(1);
    done.mutable_result()->set_state(v1::RUN_STATE_DONE);
    ASSERT_TRUE(core_->RunEvent("h", done).ok());
    core_->Tick();
  }
  bool Held(const std::string& sha) { return core_->GetArtifact(sha).ok() && artifacts_->Has(sha); }

  benchlab::testing::OnePhoneLab lab_;
  std::unique_ptr<Core>& core_ = lab_.core;
  std::unique_ptr<ArtifactStore>& artifacts_ = lab_.artifacts;
  FakeClock& clock_ = lab_.clock;
  benchlab::testing::MemoryStore& store_ = lab_.store;
};

TEST_F(ArtifactSweepTest, KeepsWhatIsInUsePinnedOrRecentAndDeletesTheRest) {
  const std::string model = Upload("model", v1::ARTIFACT_KIND_MODEL);
  const std::string apk = Upload("apk", v1::ARTIFACT_KIND_APK);
  const std::string idle = Upload("idle", v1::ARTIFACT_KIND_MODEL);
  const std::string pinned = Upload("pinned", v1::ARTIFACT_KIND_MODEL);
  ASSERT_TRUE(core_->PinArtifact(pinned, true, "alice").ok());
  auto job = Submit(model, apk);
  ASSERT_TRUE(job.ok()) << job.status();

  clock_.Advance(29 * kDay);
  EXPECT_EQ(*core_->SweepArtifacts(), 0) << "nothing is 30 days old";
  clock_.Advance(2 * kDay);
  // The idle one, and the test core's empty "m" and "a": not the job's, it is not finished.
  EXPECT_EQ(*core_->SweepArtifacts(), 3);
  EXPECT_FALSE(Held(idle));
  EXPECT_FALSE(std::filesystem::exists(artifacts_->PathOf(idle))) << "the file went with the record";
  EXPECT_TRUE(Held(model) && Held(apk) && Held(pinned));

  auto listed = core_->ListArtifacts();
  ASSERT_TRUE(listed.ok());
  for (const auto& a : *listed) {
    if (a.sha256() == model) {
      EXPECT_TRUE(a.in_use());
    }
    if (a.sha256() == pinned) {
      EXPECT_TRUE(a.pinned());
    }
  }

  Finish(job->job_id());
  clock_.Advance(29 * kDay);
  EXPECT_EQ(*core_->SweepArtifacts(), 0) << "used 29 days ago (the job ended then)";
  clock_.Advance(2 * kDay);
  EXPECT_EQ(*core_->SweepArtifacts(), 2);
  EXPECT_FALSE(Held(model) || Held(apk));
  EXPECT_TRUE(Held(pinned)) << "a pin keeps it whatever its age";
  EXPECT_EQ(core_->Stats().artifacts_deleted_total, 5);
  EXPECT_EQ(core_->Stats().artifact_bytes_deleted_total, 4 + 5 + 3);

  // A job naming a deleted artifact is refused; unpinned, the last one goes too.
  EXPECT_EQ(Submit(model, apk).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(core_->PinArtifact(model, true, "alice").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(core_->PinArtifact("not-hex", true, "alice").status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(core_->PinArtifact(pinned, false, "alice").ok());
  clock_.Advance(4 * kDay);  // past the next pass (a tenth of 30 days apart)
  EXPECT_EQ(*core_->SweepArtifacts(), 1);
  EXPECT_FALSE(Held(pinned));
}

TEST_F(ArtifactSweepTest, ASubmitRacingTheSweepIsRefusedOrKeepsItsArtifacts) {
  const std::string model = Upload("model", v1::ARTIFACT_KIND_MODEL);
  const std::string apk = Upload("apk", v1::ARTIFACT_KIND_APK);
  clock_.Advance(31 * kDay);
  // Submits and sweeps on two threads, many times: each submit either created a job (and
  // its artifacts are still there) or was refused because they were deleted.
  std::atomic<bool> stop{false};
  std::thread sweeper([&] {
    while (!stop.load()) {
      (void)core_->SweepArtifacts();
      clock_.Advance(4 * kDay);
    }
  });
  int created = 0, refused = 0;
  for (const absl::Time end = absl::Now() + absl::Seconds(20); refused == 0 && absl::Now() < end;) {
    auto job = Submit(model, apk);
    if (job.ok()) {
      ++created;
      EXPECT_TRUE(Held(model) && Held(apk)) << "a job was created with deleted artifacts";
      Finish(job->job_id());
    } else {
      ++refused;
      EXPECT_EQ(job.status().code(), absl::StatusCode::kFailedPrecondition) << job.status();
    }
  }
  stop = true;
  sweeper.join();
  EXPECT_EQ(refused, 1) << "the sweep deleted them once no job held them (created " << created << ")";
}

}  // namespace
}  // namespace benchlab::coordinator
