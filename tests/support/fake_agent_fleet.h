// Many fake agents on one process, for load: each is a real AgentLink session on its own
// TCP connection that says hello with N phones and answers every assignment at once
// (running, then done). Used by bench/coordinator_load_bench and the e2e test that a busy
// coordinator keeps every healthy agent.
// Thread-safety: the counters are atomics; Add is called from one thread.
#ifndef BENCHLAB_TESTS_SUPPORT_FAKE_AGENT_FLEET_H_
#define BENCHLAB_TESTS_SUPPORT_FAKE_AGENT_FLEET_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace benchlab::testing {

class FakeAgentFleet {
 public:
  // Agents are named "<prefix><index>" with phones "SER<index>-<p>" (each phone on one
  // host only, so the coordinator's one-phone-one-host check lets them all in).
  FakeAgentFleet(std::string target, std::string name_prefix = "host");
  ~FakeAgentFleet();  // cancels every session and waits for their ends

  // Dials `agents` more agents of `phones` phones each, at most 100 hellos outstanding
  // (all at once, some dials wait out gRPC's connect backoff). Returns when every one has
  // its HelloAck or `timeout` has passed; the result is how many are connected.
  int Connect(int agents, int phones, absl::Duration timeout);

  int connected() const { return counters_->connected.load(); }
  // Sessions that ended while the fleet was alive (the coordinator dropped them).
  int ended() const { return counters_->ended.load(); }
  // Assignments received, and when the latest arrived (Unix ns).
  int assigned() const { return counters_->assigned.load(); }
  int64_t last_assign_ns() const { return counters_->last_assign_ns.load(); }

  struct Counters {
    std::atomic<int> connected{0};
    std::atomic<int> ended{0};
    std::atomic<int> assigned{0};
    std::atomic<int64_t> last_assign_ns{0};
    std::atomic<bool> closing{false};
  };
  class Agent;

 private:
  std::string target_;
  std::string prefix_;
  std::shared_ptr<Counters> counters_;
  std::vector<std::unique_ptr<Agent>> agents_;
};

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_FAKE_AGENT_FLEET_H_
