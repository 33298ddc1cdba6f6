// Variant jobs: see variants.h.
#include "coordinator/variants.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "common/flags/benchmark_flags.h"
#include "coordinator/run_ledger.h"
#include "coordinator/verdicts.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

namespace {

constexpr size_t kMaxLabel = 64;

absl::Status CheckArtifact(Store* store, const std::string& sha, v1::ArtifactKind kind, int variant,
                           v1::ArtifactRef* ref) {
  auto a = store->GetArtifact(sha);
  if (!a.ok()) return a.status();
  if (!a->has_value() || (*a)->kind() != kind) {
    return absl::FailedPreconditionError(absl::StrCat(
        "variant ", variant, ": ", v1::ArtifactKind_Name(kind), " ", sha.empty() ? "(none given)" : sha,
        " is not on the coordinator; upload it first (UploadArtifact)"));
  }
  *ref = **a;
  return absl::OkStatus();
}

}  // namespace

absl::Status NormalizeVariants(v1::JobSpec* spec, Store* store, VariantArtifacts* resolved) {
  VariantArtifacts refs;
  if (spec->variants_size() == 0) {
    if (spec->until_decided()) {
      return absl::InvalidArgumentError(
          "until_decided needs a job with 2 variants (benchlab ab, or run --baseline JOB)");
    }
    return absl::OkStatus();
  }
  if (spec->variants_size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat("a variant job has exactly 2 variants (A and B), not ",
                                                   spec->variants_size()));
  }
  refs.models.resize(2);
  refs.apks.resize(2);
  for (int i = 0; i < 2; ++i) {
    const v1::Variant& v = spec->variants(i);
    if (v.label().size() > kMaxLabel) {
      return absl::InvalidArgumentError(absl::StrCat("variant ", i, ": label longer than ", kMaxLabel, " characters"));
    }
    if (auto st = CheckArtifact(store, v.model_sha256(), v1::ARTIFACT_KIND_MODEL, i, &refs.models[i]); !st.ok()) return st;
    if (!v.apk_sha256().empty()) {
      if (auto st = CheckArtifact(store, v.apk_sha256(), v1::ARTIFACT_KIND_APK, i, &refs.apks[i]); !st.ok()) return st;
    }
    if (v.has_flags()) {
      if (auto args = RenderFlags(v.flags()); !args.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("variant ", i, ": ", args.status().message()));
      }
    }
  }
  if (spec->model_sha256().empty()) spec->set_model_sha256(spec->variants(0).model_sha256());
  if (spec->apk_sha256().empty()) spec->set_apk_sha256(spec->variants(0).apk_sha256());
  if (const double t = spec->verdict_threshold_pct(); t != 0 && !(t >= 0.01 && t <= 50)) {
    return absl::InvalidArgumentError(
        absl::StrCat("verdict_threshold_pct must be 0 (2 %) or 0.01..50, not ", t));
  }
  if (spec->max_repeats() < 0 || spec->max_repeats() > kMaxMaxRepeats) {
    return absl::InvalidArgumentError(absl::StrCat("max_repeats must be 0 (", kDefaultMaxRepeats, ")..",
                                                   kMaxMaxRepeats));
  }
  if (spec->until_decided()) {
    if (spec->max_repeats() == 0) spec->set_max_repeats(std::max(kDefaultMaxRepeats, spec->repeats()));
    if (spec->max_repeats() < std::max(1, spec->repeats())) {
      return absl::InvalidArgumentError(absl::StrCat("max_repeats (", spec->max_repeats(),
                                                     ") is below repeats (", spec->repeats(), ")"));
    }
  }
  if (resolved != nullptr) *resolved = std::move(refs);
  return absl::OkStatus();
}

int RunsPerPhone(const v1::JobSpec& spec) {
  return spec.variants_size() == 2 ? 2 * spec.repeats() : spec.repeats();
}

int VariantAt(const v1::JobSpec& spec, int position) {
  if (spec.variants_size() != 2) return 0;
  return ((position + 1) / 2) % 2;
}

v1::JobSpec RunSpec(const v1::JobSpec& job_spec, int variant) {
  v1::JobSpec out = job_spec;
  if (variant < 0 || variant >= job_spec.variants_size()) return out;
  const v1::Variant& v = job_spec.variants(variant);
  out.set_model_sha256(v.model_sha256());
  if (!v.apk_sha256().empty()) out.set_apk_sha256(v.apk_sha256());
  if (v.has_flags()) *out.mutable_flags() = v.flags();
  return out;
}

absl::StatusOr<v1::CompareJobsResponse> CompareVariants(const v1::GetResultsResponse& job,
                                                        const v1::CompareJobsRequest& req) {
  const v1::JobSpec& spec = job.job().spec();
  if (spec.variants_size() != 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", job.job().job_id(), " has no variants; compare two jobs (baseline and candidate) instead"));
  }
  // One results view per variant: the job's runs of that variant, and the spec it ran.
  std::array<v1::GetResultsResponse, 2> side;
  for (int i = 0; i < 2; ++i) {
    *side[i].mutable_job() = job.job();
    *side[i].mutable_job()->mutable_spec() = RunSpec(spec, i);
  }
  for (const auto& r : job.runs()) {
    if (r.variant() == 0 || r.variant() == 1) *side[r.variant()].add_runs() = r;
  }
  if (req.threshold_pct() == 0 && spec.verdict_threshold_pct() != 0) {
    v1::CompareJobsRequest with_threshold = req;  // the job's own, as until_decided used
    with_threshold.set_threshold_pct(spec.verdict_threshold_pct());
    return CompareResults(side[0], side[1], with_threshold);
  }
  return CompareResults(side[0], side[1], req);
}

std::vector<int> NextPositions(const v1::Job& job, const std::vector<const v1::Run*>& runs,
                               const std::string& device_id) {
  const v1::JobSpec& spec = job.spec();
  if (spec.variants_size() != 2 || !spec.until_decided() || job.cancelled()) return {};
  int count[2] = {0, 0}, done[2] = {0, 0};
  int positions = 0;
  v1::GetResultsResponse results;
  *results.mutable_job() = job;
  for (const v1::Run* r : runs) {
    if (r->state() == v1::RUN_STATE_DONE) *results.add_runs() = *r;
    if (r->device_id() != device_id) continue;
    if (!IsFinal(r->state())) return {};  // the phone is still busy with this job
    ++positions;
    if (r->variant() == 0 || r->variant() == 1) {
      ++count[r->variant()];
      if (r->state() == v1::RUN_STATE_DONE) ++done[r->variant()];
    }
  }
  const int cap = spec.max_repeats() > 0 ? spec.max_repeats() : kDefaultMaxRepeats;
  if (done[0] == 0 || done[1] == 0 || std::min(count[0], count[1]) >= cap) return {};
  // The phone's verdict as `ab` will print it: the job's comparison, Holm over its phones.
  v1::CompareJobsRequest req;
  req.set_threshold_pct(spec.verdict_threshold_pct());
  auto cmp = CompareVariants(results, req);
  if (!cmp.ok()) return {};
  for (const auto& d : cmp->devices()) {
    if (d.device_id() != device_id) continue;
    if (d.metrics_size() == 0 || d.metrics(0).verdict() != "inconclusive") return {};
  }
  std::vector<int> out;
  for (int p = positions; p < positions + 4; ++p) {
    int v = VariantAt(spec, p);
    if (count[v] >= cap) continue;
    ++count[v];
    out.push_back(p);
  }
  return out;
}

}  // namespace benchlab::coordinator
