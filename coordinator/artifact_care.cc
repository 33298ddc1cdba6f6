// Core's artifact retention: the periodic sweep that deletes expired artifacts (record,
// then file), the submit-time recheck that closes the race with it, and pin / list for
// admins. The rule itself is artifact_retention.h.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "coordinator/core.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

void Core::set_artifact_retention(absl::Duration retention) {
  absl::MutexLock lock(&mu_);
  artifact_retention_ = retention;
}

absl::Duration Core::artifact_retention() {
  absl::MutexLock lock(&mu_);
  return artifact_retention_;
}

ArtifactUses Core::ArtifactUsesLocked() {
  ArtifactUses uses;
  for (const auto& [id, js] : ledger_.jobs()) AddJobUse(js.job, &uses);
  return uses;
}

absl::StatusOr<int> Core::SweepArtifacts() {
  absl::Duration retention;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (artifact_retention_ <= absl::ZeroDuration() || now < next_artifact_sweep_) return 0;
    next_artifact_sweep_ = now + std::clamp(artifact_retention_ / 10, absl::Seconds(1), absl::Minutes(10));
    retention = artifact_retention_;
  }
  // commit_mu_ from the look to the last delete: no job is created meanwhile.
  absl::MutexLock commit(&commit_mu_);
  auto all = store()->ListArtifacts();
  if (!all.ok()) {
    spdlog::error("event=artifact_sweep_failed error={}", all.status().ToString());
    return all.status();
  }
  ArtifactUses uses;
  absl::Time now;
  {
    absl::MutexLock lock(&mu_);
    now = clock_->Now();
    uses = ArtifactUsesLocked();
  }
  const std::vector<v1::ArtifactRef> expired = ExpiredArtifacts(*all, uses, now, retention);
  if (expired.empty()) return 0;
  artifact_sweeps_deleting_.fetch_add(1);
  int deleted = 0;
  int64_t bytes = 0;
  absl::Status first_error;
  for (const v1::ArtifactRef& a : expired) {
    // The record first: once it is gone no job can name the artifact, then the bytes.
    absl::Status st = store()->DeleteArtifact(a.sha256());
    if (st.ok()) st = artifacts_->Remove(a.sha256());
    if (!st.ok()) {
      spdlog::error("event=artifact_delete_failed sha256={} error={}", a.sha256(), st.ToString());
      if (first_error.ok()) first_error = st;
      continue;
    }
    auto use = uses.find(a.sha256());
    spdlog::info(
        "event=artifact_deleted sha256={} kind={} name=\"{}\" size_bytes={} stored_unix_ms={} last_used_unix_ms={} "
        "retention_days={}",
        a.sha256(), v1::ArtifactKind_Name(a.kind()), absl::CEscape(a.name()), a.size_bytes(), a.stored_unix_ms(),
        use == uses.end() ? 0 : use->second.last_used_unix_ms, absl::ToDoubleHours(retention) / 24);
    ++deleted;
    bytes += a.size_bytes();
  }
  {
    absl::MutexLock lock(&mu_);
    artifacts_deleted_ += deleted;
    artifact_bytes_deleted_ += bytes;
  }
  if (deleted == 0 && !first_error.ok()) return first_error;
  return deleted;
}

absl::Status Core::RecheckArtifacts(const v1::JobSpec& spec) {
  for (const std::string& sha : ArtifactsOfSpec(spec)) {
    auto a = store()->GetArtifact(sha);
    if (!a.ok()) return a.status();
    if (!a->has_value() || !artifacts_->Has(sha)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "artifact ", sha,
          " was deleted by the coordinator's artifact retention (unused for --artifact-retention-days) while this "
          "job was submitted; upload it again and resubmit (benchlab run uploads what the coordinator lacks)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ArtifactRef>> Core::ListArtifacts() {
  auto all = store()->ListArtifacts();
  if (!all.ok()) return all.status();
  absl::MutexLock lock(&mu_);
  const ArtifactUses uses = ArtifactUsesLocked();
  for (v1::ArtifactRef& a : *all) {
    if (auto it = uses.find(a.sha256()); it != uses.end()) {
      a.set_last_used_unix_ms(it->second.last_used_unix_ms);
      a.set_in_use(it->second.in_use);
    }
  }
  return all;
}

absl::StatusOr<v1::ArtifactRef> Core::PinArtifact(const std::string& sha256, bool pinned, const std::string& by) {
  if (!IsSha256Hex(sha256)) {
    return absl::InvalidArgumentError("sha256 must be 64 lower-case hex characters (see benchlab artifact list)");
  }
  // Ordered with the sweep: a pin that returned OK is seen by every later sweep.
  absl::MutexLock commit(&commit_mu_);
  auto found = store()->SetArtifactPinned(sha256, pinned);
  if (!found.ok()) return found.status();
  auto a = store()->GetArtifact(sha256);
  if (!a.ok()) return a.status();
  if (!*found || !a->has_value()) {
    return absl::NotFoundError(absl::StrCat("artifact ", sha256, " is not on the coordinator (see benchlab artifact list)"));
  }
  v1::ArtifactRef out = **a;
  {
    absl::MutexLock lock(&mu_);
    const ArtifactUses uses = ArtifactUsesLocked();
    if (auto it = uses.find(sha256); it != uses.end()) {
      out.set_last_used_unix_ms(it->second.last_used_unix_ms);
      out.set_in_use(it->second.in_use);
    }
  }
  spdlog::info("event=artifact_{} sha256={} by={}", pinned ? "pinned" : "unpinned", sha256, by);
  return out;
}

}  // namespace benchlab::coordinator
