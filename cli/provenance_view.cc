// The provenance table of `job` and `results` (provenance_view.h).
#include "cli/provenance_view.h"

#include <utility>
#include <vector>

#include "cli/history_format.h"
#include "cli/table.h"
#include "common/flags/tool_kind.h"

namespace benchlab::cli {
namespace v1 = benchlab::v1;

std::string FormatProvenanceTable(const google::protobuf::RepeatedPtrField<v1::Run>& runs) {
  Table table({"RUN", "TOOL", "VERSION", "TOOL_SHA256", "MODEL_SHA256", "BUILD"});
  bool any = false;
  for (const v1::Run& run : runs) {
    if (!run.has_provenance()) continue;
    any = true;
    const v1::RunProvenance& p = run.provenance();
    table.AddRow({run.run_id(), std::string(ToolKindName(p.tool())), p.tool_version().empty() ? "-" : p.tool_version(),
                  ShortSha(p.tool_sha256()), ShortSha(p.model_sha256()),
                  p.build_fingerprint().empty() ? "-" : p.build_fingerprint()});
  }
  return any ? table.Render() : std::string();
}

bool AnyCpuMask(const google::protobuf::RepeatedPtrField<v1::Run>& runs) {
  for (const v1::Run& run : runs) {
    if (!run.cpu_mask().empty()) return true;
  }
  return false;
}

}  // namespace benchlab::cli
