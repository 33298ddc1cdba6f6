// The dashboard's JSON API (/api/v1/...): query parameters to the Lab request messages,
// answered by the same calls the gRPC LabService makes (Core, lab_calls.h, History), and
// the response messages in the proto JSON mapping, so `curl` sees what a gRPC client does.
// Thread-safety: Handle may be called from any thread (Core and History are thread-safe).
#ifndef BENCHLAB_COORDINATOR_DASHBOARD_API_H_
#define BENCHLAB_COORDINATOR_DASHBOARD_API_H_

#include <string>

#include "coordinator/core.h"
#include "coordinator/dashboard_http.h"
#include "coordinator/history.h"

namespace benchlab::coordinator {

struct ApiReply {
  int http_status = 200;
  std::string json;
};

class DashboardApi {
 public:
  explicit DashboardApi(Core* core) : core_(core), history_(core->store()) {}

  // `route` is a Route::Kind::kApi route. Parameters:
  //   devices: state=IDLE|BUSY|... (repeatable), agent=ID (repeatable)
  //   jobs: page_size, page_token, active_only=1
  //   results: include_raw_log=1, page_size, page_token
  //   compare: metric (repeatable), threshold_pct
  //   history: model_sha256, device (repeatable), agent (repeatable)
  //   regressions: since_unix_ms, device, agent
  // A parameter that does not parse is 400 naming it.
  ApiReply Handle(const Route& route, const QueryParams& query);

 private:
  Core* const core_;
  History history_;
};

// "12" -> 12; InvalidArgument naming `name` for anything else ("" -> `fallback`).
absl::StatusOr<int64_t> QueryInt(const QueryParams& query, const std::string& name, int64_t fallback);
// "1", "true" -> true; "", "0", "false" -> false; InvalidArgument otherwise.
absl::StatusOr<bool> QueryBool(const QueryParams& query, const std::string& name);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_DASHBOARD_API_H_
