// Tool kinds: names and the per-job rules (tool_kind.h).
#include "common/flags/tool_kind.h"

#include "absl/strings/str_cat.h"

namespace benchlab {


bool IsNativeTool(v1::ToolKind tool) { return tool == v1::TOOL_KIND_NATIVE || tool == v1::TOOL_KIND_LITERT; }

absl::string_view ToolKindName(v1::ToolKind tool) {
  switch (tool) {
    case v1::TOOL_KIND_NATIVE: return "native";
    case v1::TOOL_KIND_LITERT: return "litert";
    default: return "apk";
  }
}

absl::StatusOr<v1::ToolKind> ParseToolKind(absl::string_view name) {
  if (name == "apk") return v1::TOOL_KIND_APK;
  if (name == "native") return v1::TOOL_KIND_NATIVE;
  if (name == "litert") return v1::TOOL_KIND_LITERT;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown tool '", name, "': use apk, native (benchmark_model) or litert (LiteRT CompiledModel)"));
}

const std::string& ToolArtifactSha(const v1::JobSpec& spec) {
  return IsNativeTool(spec.tool()) ? spec.binary_sha256() : spec.apk_sha256();
}

absl::Status CheckTool(const v1::JobSpec& spec) {
  if (!v1::ToolKind_IsValid(spec.tool())) {
    return absl::InvalidArgumentError(absl::StrCat("tool ", static_cast<int>(spec.tool()), " is unknown"));
  }
  if (IsNativeTool(spec.tool())) {
    const std::string name(ToolKindName(spec.tool()));
    if (spec.binary_sha256().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tool ", name, " needs its binary: upload it (kind BINARY) and set binary_sha256"));
    }
    if (!spec.apk_sha256().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("tool ", name, " runs a binary: leave apk_sha256 empty"));
    }
    if (spec.variants_size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat("variant jobs run the APK only, not tool ", name));
    }
  } else if (!spec.binary_sha256().empty()) {
    return absl::InvalidArgumentError("binary_sha256 is for tool native or litert; the APK job takes apk_sha256");
  }
  return absl::OkStatus();
}

}  // namespace benchlab
