// The dashboard's live updates as server-sent event streams, fed by the same sources the
// gRPC API uses: the lab view by Core's change signal (then ListAgents/ListDevices), a
// job by a Core::Watch watcher (WatchJob's), a phone's log by a LogHub subscription
// (StreamLogs'). Producers only queue and wake; the HTTP worker thread that serves the
// stream builds and writes the events, so a slow browser never slows Core or the hub
// (the hub drops lines for it and the next batch says how many).
// Thread-safety: Next and Release on the serving thread; Close from any thread.
#ifndef BENCHLAB_COORDINATOR_DASHBOARD_EVENTS_H_
#define BENCHLAB_COORDINATOR_DASHBOARD_EVENTS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/core.h"
#include "coordinator/lab_view.h"

namespace benchlab::coordinator {

class EventStream {
 public:
  virtual ~EventStream() = default;
  // Blocks until there is news, the stream is closed or `keepalive` passes, then appends
  // the events to *out (a comment line when there was no news, so a dead connection is
  // noticed). Returns false when the stream is over (after the events in *out).
  bool Next(std::string* out, absl::Duration keepalive) ABSL_LOCKS_EXCLUDED(mu_);
  // The server stops: a blocked Next returns false at once. Any thread.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);
  // Drops the stream's subscription (its producer stops calling); the serving thread
  // calls it when the response ends, however it ends.
  virtual void Release() {}

 protected:
  // `min_gap`: at least this long between two batches of events (coalesces bursts).
  explicit EventStream(absl::Duration min_gap = absl::ZeroDuration()) : min_gap_(min_gap) {}
  // A producer has news (never blocks beyond this stream's lock).
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);
  // Changes the least time between two batches (a stream whose batches cost more spaces
  // them further apart).
  void set_min_gap(absl::Duration gap) ABSL_LOCKS_EXCLUDED(mu_);
  // Appends the events that are ready; false when nothing will follow them. Called
  // without mu_.
  virtual bool Collect(std::string* out) = 0;

 private:
  absl::Mutex mu_;
  absl::Duration min_gap_ ABSL_GUARDED_BY(mu_);
  bool woken_ ABSL_GUARDED_BY(mu_) = true;  // the first Next sends the current state
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_batch_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// "lab" events: {"agents": ListAgentsResponse, "devices": ListDevicesResponse}, the whole
// lab after each change: at most 4 a second, and spaced by 10 times what building one
// cost (a lab of 8,000 phones: bench/README.md). `view` (shared by every open lab page,
// outliving the stream) builds it once per change however many pages are open.
std::shared_ptr<EventStream> OpenLabEvents(Core* core, LabView* view);
// "job" events: WatchJobResponse messages (the snapshot first, then changed runs), then
// "end" once the job is finished. NotFound for an unknown job.
absl::StatusOr<std::shared_ptr<EventStream>> OpenJobEvents(Core* core, const std::string& job_id);
// "logs" events: LogBatch messages of the device's lines that pass the request's filters,
// starting with up to tail_lines buffered ones. NotFound for an unknown device,
// InvalidArgument for a bad regex, ResourceExhausted past the hub's subscriber limit.
absl::StatusOr<std::shared_ptr<EventStream>> OpenLogEvents(Core* core, const benchlab::v1::StreamLogsRequest& req);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_DASHBOARD_EVENTS_H_
