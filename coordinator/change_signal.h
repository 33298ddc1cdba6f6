// Tells listeners that the lab's state a dashboard shows (agents, phones, queues) changed:
// Core bumps it after every such change and each live lab view is woken by it, instead of
// asking again and again. A listener only records that it must look again (it must not
// block or call back into Core: it runs under the bumper's locks).
// Thread-safety: every method may be called from any thread.
#ifndef BENCHLAB_COORDINATOR_CHANGE_SIGNAL_H_
#define BENCHLAB_COORDINATOR_CHANGE_SIGNAL_H_

#include <cstdint>
#include <functional>
#include <map>

#include "absl/synchronization/mutex.h"

namespace benchlab::coordinator {

class ChangeSignal {
 public:
  using Listener = std::function<void()>;
  // Returns the id to remove it with.
  uint64_t AddListener(Listener listener) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    listeners_.emplace(++next_id_, std::move(listener));
    return next_id_;
  }
  // After it returns, the listener is never called again.
  void RemoveListener(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    listeners_.erase(id);
  }
  void Bump() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    ++bumps_;
    for (auto& [id, fn] : listeners_) fn();
  }
  uint64_t bumps() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    return bumps_;
  }

  // Bumps when it goes out of scope: declared right after a writer's outermost lock, it
  // fires once the change is applied, whichever way the function returns.
  class BumpOnExit {
   public:
    explicit BumpOnExit(ChangeSignal* signal) : signal_(signal) {}
    ~BumpOnExit() { signal_->Bump(); }
    BumpOnExit(const BumpOnExit&) = delete;
    BumpOnExit& operator=(const BumpOnExit&) = delete;

   private:
    ChangeSignal* signal_;
  };

 private:
  mutable absl::Mutex mu_;
  std::map<uint64_t, Listener> listeners_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bumps_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_CHANGE_SIGNAL_H_
