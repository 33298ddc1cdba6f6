// What the coordinator accepts from agents and API callers, checked at the service edge
// before Core sees it: bounded free text (so one caller cannot break listings for every
// user), names that can be keys and path parts, and metrics that can be true.
#ifndef BENCHLAB_COORDINATOR_INPUT_LIMITS_H_
#define BENCHLAB_COORDINATOR_INPUT_LIMITS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "benchlab/v1/agent_link.pb.h"
#include "benchlab/v1/lab.pb.h"
#include "benchlab/v1/metrics.pb.h"

namespace benchlab::coordinator {

// Bytes, inclusive.
inline constexpr size_t kMaxDescriptionBytes = 4096;   // JobSpec.description
inline constexpr size_t kMaxNameBytes = 128;           // agent ids, serials, request ids
inline constexpr size_t kMaxLabelBytes = 256;          // phone properties, host names, artifact names
inline constexpr size_t kMaxMessageTextBytes = 4096;   // error messages
inline constexpr size_t kMaxLogLineBytes = 16384;      // raw log and logcat lines
inline constexpr size_t kMaxFlagTextBytes = 1024;      // a tool flag's name or value
inline constexpr int kMaxExtraFlags = 64;
inline constexpr int kMaxSelectorEntries = 1024;
// Device care: a device id is "<agent id>/<serial>"; a maintenance note is free text.
inline constexpr size_t kMaxDeviceIdBytes = 2 * kMaxNameBytes + 1;
inline constexpr size_t kMaxMaintenanceNoteBytes = 1024;
// A ListJobs page stops once its jobs pass this many bytes (well under gRPC's default
// 4 MB client limit).
inline constexpr size_t kListPageBytes = 1 << 20;

// An agent id or a phone serial: 1..kMaxNameBytes printable ASCII without '/', spaces or
// quotes, and not "." or "..". InvalidArgument naming `what` otherwise.
absl::Status CheckName(absl::string_view what, absl::string_view name);

// Free text of at most `max_bytes`; InvalidArgument naming `what` and the limit.
absl::Status CheckTextSize(absl::string_view what, absl::string_view text, size_t max_bytes);

// A job as submitted: description, request id, selector entries and extra flags bounded.
absl::Status CheckSubmitJob(const benchlab::v1::SubmitJobRequest& req);

// Metrics an agent reports: every time and count >= 0, every number finite, peak memory
// >= 0. InvalidArgument naming the first field that cannot be true.
absl::Status CheckMetrics(const benchlab::v1::BenchmarkMetrics& metrics);

// Cuts `text` to at most `max_bytes` (on a UTF-8 boundary), marking the cut. For text
// from phones, which is worth keeping even when too long.
void TruncateText(std::string* text, size_t max_bytes);

// Run conditions from a phone (a run's before/after, a device's latest): text cut to
// kMaxLabelBytes, at most kMaxConditionEntries temperatures and CPU clusters (the rest
// dropped), non-finite temperatures dropped. Never refuses: conditions are evidence.
inline constexpr int kMaxConditionEntries = 128;
void SanitizeRunConditions(benchlab::v1::RunConditions* conditions);

// Device properties from a phone: free text truncated to kMaxLabelBytes. The serial is
// checked, not cut (it is a key): InvalidArgument for a serial CheckName refuses.
absl::Status SanitizeDeviceInfo(benchlab::v1::DeviceInfo* device);

// A hello: agent id (CheckName), host name and version truncated, devices sanitized;
// a device with an unusable serial is dropped from the hello and named in *dropped.
absl::Status SanitizeHello(benchlab::v1::AgentHello* hello, std::string* dropped);

// A run event as the coordinator will apply it: text cut to its bounds; a RunResult DONE
// with metrics that cannot be true becomes FAILED (internal, naming the field), and
// impossible partial metrics are cleared. Returns true when it changed a result or
// partial (worth a warning).
bool SanitizeRunEvent(benchlab::v1::RunEvent* event);

// A result's op rows and delegation (issue 11), never refused (they are evidence): at most
// kMaxOpRowsPerRun rows (common/op_rows.h) and kMaxRunWarnings warnings, the rest
// dropped; text cut to its bounds; a time or share that is negative or not finite reads
// as 0, a negative node count as absent. Part of SanitizeRunEvent.
inline constexpr int kMaxRunWarnings = 16;
void SanitizeOpsAndDelegation(benchlab::v1::RunResult* result);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_INPUT_LIMITS_H_
