// Tool files' rules and phone paths (tool_files.h).
#include "common/flags/tool_files.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/flags/tool_kind.h"

namespace benchlab {

absl::string_view ToolFilePrefix(absl::string_view flag) {
  if (flag == "dispatch_library_path") return "libLiteRtDispatch";
  if (flag == "compiler_plugin_library_path") return "libLiteRtCompilerPlugin";
  return "";
}

absl::Status CheckToolFileName(absl::string_view flag, absl::string_view name) {
  const absl::string_view prefix = ToolFilePrefix(flag);
  bool safe = !name.empty() && name.size() <= 128;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '+' || c == '-';
    if (!ok) safe = false;
  }
  if (safe && !prefix.empty() && absl::StartsWith(name, prefix) && absl::EndsWith(name, ".so")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "the library for --", flag, " is called '", name, "': LiteRT loads only files named ", prefix,
      "*.so (letters, digits and _.+-), e.g. ", prefix, "_Qualcomm.so; rename the file"));
}

absl::Status CheckToolFiles(const v1::JobSpec& spec) {
  if (spec.tool_files_size() == 0) return absl::OkStatus();
  if (spec.tool() != v1::TOOL_KIND_LITERT) {
    return absl::InvalidArgumentError(absl::StrCat("tool files (dispatch library, compiler plugin) are for tool litert, not ",
                                                   ToolKindName(spec.tool())));
  }
  std::set<std::string> seen;
  for (const v1::ToolFile& f : spec.tool_files()) {
    if (ToolFilePrefix(f.flag()).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tool file flag '", f.flag(), "': use dispatch_library_path or compiler_plugin_library_path"));
    }
    if (!seen.insert(f.flag()).second) {
      return absl::InvalidArgumentError(absl::StrCat("two tool files for --", f.flag(), ": give one"));
    }
    if (f.sha256().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("the tool file for --", f.flag(),
                                                     " has no sha256: upload it (kind TOOL_LIBRARY) first"));
    }
    for (const v1::ExtraFlag& e : spec.flags().extra()) {
      if (e.name() == f.flag()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", f.flag(), " is set by benchlab to where it pushes the tool file; drop --flag --", f.flag()));
      }
    }
  }
  return absl::OkStatus();
}

std::string ToolFileRemoteDir(const v1::ToolFile& file) {
  return absl::StrCat(kRemoteToolFileDir, "/", file.artifact().sha256());
}

std::string ToolFileRemoteName(const v1::ToolFile& file) {
  if (CheckToolFileName(file.flag(), file.artifact().name()).ok()) return file.artifact().name();
  return absl::StrCat(ToolFilePrefix(file.flag()), "_", file.artifact().sha256().substr(0, 12), ".so");
}

}  // namespace benchlab
