// Artifact retention's rule (see artifact_retention.h).
#include "coordinator/artifact_retention.h"

#include <algorithm>

#include "common/flags/tool_kind.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

std::vector<std::string> ArtifactsOfSpec(const v1::JobSpec& spec) {
  std::vector<std::string> out;
  auto add = [&out](const std::string& sha) {
    if (!sha.empty() && std::find(out.begin(), out.end(), sha) == out.end()) out.push_back(sha);
  };
  add(spec.model_sha256());
  add(spec.apk_sha256());
  add(ToolArtifactSha(spec));
  for (const auto& tf : spec.tool_files()) add(tf.sha256());  // LiteRT's NPU libraries
  for (const auto& v : spec.variants()) {
    add(v.model_sha256());
    add(v.apk_sha256());
  }
  return out;
}

void AddJobUse(const v1::Job& job, ArtifactUses* uses) {
  const int64_t when = std::max(job.created_unix_ms(), job.finished_unix_ms());
  for (const std::string& sha : ArtifactsOfSpec(job.spec())) {
    ArtifactUse& u = (*uses)[sha];
    u.last_used_unix_ms = std::max(u.last_used_unix_ms, when);
    if (job.finished_unix_ms() == 0) u.in_use = true;
  }
}

std::vector<v1::ArtifactRef> ExpiredArtifacts(const std::vector<v1::ArtifactRef>& artifacts,
                                              const ArtifactUses& uses, absl::Time now, absl::Duration retention) {
  std::vector<v1::ArtifactRef> out;
  if (retention <= absl::ZeroDuration()) return out;
  const int64_t cutoff = absl::ToUnixMillis(now - retention);
  for (const auto& a : artifacts) {
    if (a.pinned() || a.stored_unix_ms() >= cutoff) continue;
    auto it = uses.find(a.sha256());
    if (it != uses.end() && (it->second.in_use || it->second.last_used_unix_ms >= cutoff)) continue;
    out.push_back(a);
  }
  return out;
}

}  // namespace benchlab::coordinator
