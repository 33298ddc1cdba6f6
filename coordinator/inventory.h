// The lab's inventory: agents (with their session channel), their phones, the index of
// phones by physical identity (one phone on two hosts is refused) and whether a phone is
// usable now. Plain data with no lock of its own: Core guards it with its mutex.
#ifndef BENCHLAB_COORDINATOR_INVENTORY_H_
#define BENCHLAB_COORDINATOR_INVENTORY_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "benchlab/v1/lab.pb.h"
#include "coordinator/scheduler.h"
#include "coordinator/store.h"

namespace benchlab::coordinator {

class AgentChannel;  // core.h

class Inventory {
 public:
  struct Agent {
    benchlab::v1::Agent info;
    std::shared_ptr<AgentChannel> channel;  // null when disconnected
    // When its session ended with runs still leased; InfinitePast when not waiting.
    absl::Time gone_at = absl::InfinitePast();
  };
  struct Device {
    benchlab::v1::DeviceInfo info;
    int64_t last_seen_unix_ms = 0;
    // Non-empty: refused (kept offline) as a phone another agent already registered.
    std::string refused_reason;
    // PhoneIdentity of info as last indexed in by_identity_.
    std::string identity;
    // Device care: drained or in maintenance (state UNSPECIFIED: neither).
    DeviceCare care;
  };
  // One agent's devices. Device ids are "<agent_id>/<serial>" and agent ids hold no '/',
  // so they are one contiguous range of devices(): no walk over every phone of the lab.
  struct DeviceRange {
    std::map<std::string, Device>::iterator first, last;
    auto begin() const { return first; }
    auto end() const { return last; }
  };

  static std::string DeviceId(const std::string& agent_id, const std::string& serial);

  // Loading from the store: everything starts disconnected.
  void Load(benchlab::v1::Agent agent);
  void Load(const StoredDevice& device);

  std::map<std::string, Agent>& agents() { return agents_; }
  const std::map<std::string, Agent>& agents() const { return agents_; }
  const std::map<std::string, Device>& devices() const { return devices_; }
  Agent* FindAgent(const std::string& agent_id);
  const Device* FindDevice(const std::string& device_id) const;
  // Takes `conditions` as the phone's latest when they were read after what it has (e.g.
  // those a run left it in); false when older or the phone is unknown.
  bool NewerConditions(const std::string& device_id, const benchlab::v1::RunConditions& conditions);
  DeviceRange AgentDevices(const std::string& agent_id);
  // The agent a device hangs off ("" for an unknown device).
  std::string AgentOf(const std::string& device_id) const;
  // The session of the device's agent, or null when it is not connected.
  AgentChannel* ChannelOf(const std::string& device_id) const;

  // Records what an agent reports about one of its phones (a hello or an update) and
  // re-checks it for a duplicate registration. Returns the stored record.
  const Device& Report(const std::string& agent_id, const benchlab::v1::DeviceInfo& info, bool removed,
                       int64_t now_ms);
  // Sets a known phone's care (false for an unknown phone).
  bool SetCare(const DeviceCare& care);
  // Removes a phone gone for good (from devices and the identity index).
  void Forget(const std::string& device_id);
  // Marks every phone of the agent gone (a hello replaces what we knew).
  void MarkAgentDevicesGone(const std::string& agent_id);
  // A phone may take runs: its agent is connected, adb says "device" and it is not refused.
  bool Usable(const std::string& device_id) const;

  // Devices matched by a job's selector (online as the scheduler sees it). Phones under
  // care (drained, maintenance) are matched only when named in sel.devices.
  std::vector<std::string> Select(const benchlab::v1::DeviceSelector& sel, const Scheduler& scheduler) const;
  // The agents with their phone counts (counted now: phones come and go after the hello).
  std::vector<benchlab::v1::Agent> ListAgents() const;
  int connected_agents() const;

 private:
  // Refuses a phone that a different connected agent already registered: one phone
  // cannot hang off two hosts (two agents on one adb server report every phone twice).
  void CheckDuplicate(const std::string& device_id);
  bool Matches(const benchlab::v1::DeviceSelector& sel, const std::string& id, const Device& d) const;

  std::map<std::string, Agent> agents_;
  std::map<std::string, Device> devices_;
  // Device ids by the physical phone they are (ro.serialno or a USB serial).
  absl::flat_hash_map<std::string, std::set<std::string>> by_identity_;
};

// A device field or property by selector key ("model", "soc", ..., or a property name).
std::string DeviceField(const benchlab::v1::DeviceInfo& d, const std::string& key);
bool PropertiesMatch(const benchlab::v1::DeviceInfo& d,
                     const google::protobuf::Map<std::string, std::string>& props);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_INVENTORY_H_
