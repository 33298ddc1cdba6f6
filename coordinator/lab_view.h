// The dashboard's lab view (every agent and phone, as one "lab" server-sent event), built
// at most once per lab change and shared by every open lab page: on 8,000 phones one
// build costs a few hundred milliseconds (bench/README.md), so ten open pages must not
// cost ten builds. Thread-safety: Current may be called from any thread.
#ifndef BENCHLAB_COORDINATOR_LAB_VIEW_H_
#define BENCHLAB_COORDINATOR_LAB_VIEW_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coordinator/core.h"

namespace benchlab::coordinator {

class LabView {
 public:
  struct Event {
    // The whole "lab" event, ready to write: {"agents": ListAgentsResponse, "devices":
    // ListDevicesResponse} in the proto JSON mapping.
    std::shared_ptr<const std::string> text;
    // What building it cost (a stream spaces its events by this).
    absl::Duration cost;
  };

  // `core` must outlive the view.
  explicit LabView(Core* core) : core_(core) {}

  // The view as of now: built again only when the lab changed since the last build.
  // Callers at the same moment wait for one build instead of each making their own.
  Event Current() ABSL_LOCKS_EXCLUDED(mu_);
  // How many times it was built (tests, bench).
  uint64_t builds() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Core* const core_;
  // Held while building, on purpose: see Current.
  mutable absl::Mutex mu_;
  bool built_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t built_at_change_ ABSL_GUARDED_BY(mu_) = 0;  // lab_changes()->bumps() when built
  Event event_ ABSL_GUARDED_BY(mu_);
  uint64_t builds_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_LAB_VIEW_H_
