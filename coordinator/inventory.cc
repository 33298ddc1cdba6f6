// Inventory: agents, phones, the identity index; see inventory.h.
#include "coordinator/inventory.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coordinator/core.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

namespace {

// What identifies the physical phone across hosts: ro.serialno, else an adb serial that
// is not host-local (TCP "host:port" and emulator serials name different phones on
// different hosts); "" when nothing does.
std::string PhoneIdentity(const v1::DeviceInfo& d) {
  auto it = d.properties().find("ro.serialno");
  if (it != d.properties().end() && !it->second.empty()) return it->second;
  if (d.serial().empty() || absl::StrContains(d.serial(), ":") || absl::StartsWith(d.serial(), "emulator-")) {
    return "";
  }
  return d.serial();
}

}  // namespace

std::string DeviceField(const v1::DeviceInfo& d, const std::string& key) {
  if (key == "model") return d.model();
  if (key == "soc") return d.soc();
  if (key == "manufacturer") return d.manufacturer();
  if (key == "abi") return d.abi();
  if (key == "android_version") return d.android_version();
  if (key == "sdk_level") return absl::StrCat(d.sdk_level());
  if (key == "serial") return d.serial();
  auto it = d.properties().find(key);
  return it == d.properties().end() ? std::string() : it->second;
}

bool PropertiesMatch(const v1::DeviceInfo& d, const google::protobuf::Map<std::string, std::string>& props) {
  for (const auto& [k, v] : props) {
    if (DeviceField(d, k) != v) return false;
  }
  return true;
}

std::string Inventory::DeviceId(const std::string& agent_id, const std::string& serial) {
  return absl::StrCat(agent_id, "/", serial);
}

void Inventory::Load(v1::Agent agent) {
  agent.set_connected(false);
  agents_[agent.agent_id()].info = std::move(agent);
}

void Inventory::Load(const StoredDevice& device) {
  Device& d = devices_[device.info.device_id()];
  d.info = device.info;
  d.last_seen_unix_ms = device.last_seen_unix_ms;
}

Inventory::Agent* Inventory::FindAgent(const std::string& agent_id) {
  auto it = agents_.find(agent_id);
  return it == agents_.end() ? nullptr : &it->second;
}

const Inventory::Device* Inventory::FindDevice(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it == devices_.end() ? nullptr : &it->second;
}

Inventory::DeviceRange Inventory::AgentDevices(const std::string& agent_id) {
  // '0' follows '/' in ASCII: [agent/, agent0) holds exactly the ids "agent/...".
  return {devices_.lower_bound(absl::StrCat(agent_id, "/")), devices_.lower_bound(absl::StrCat(agent_id, "0"))};
}

std::string Inventory::AgentOf(const std::string& device_id) const {
  const Device* d = FindDevice(device_id);
  return d == nullptr ? "" : d->info.agent_id();
}

AgentChannel* Inventory::ChannelOf(const std::string& device_id) const {
  const Device* d = FindDevice(device_id);
  if (d == nullptr) return nullptr;
  auto a = agents_.find(d->info.agent_id());
  return a == agents_.end() ? nullptr : a->second.channel.get();
}

const Inventory::Device& Inventory::Report(const std::string& agent_id, const v1::DeviceInfo& info, bool removed,
                                           int64_t now_ms) {
  std::string id = DeviceId(agent_id, info.serial());
  Device& d = devices_[id];
  // The phone's latest conditions survive an update that could not read them.
  v1::RunConditions latest = std::move(*d.info.mutable_conditions());
  d.info = info;
  if (!d.info.has_conditions() && latest.read_unix_ms() > 0) *d.info.mutable_conditions() = std::move(latest);
  d.info.set_agent_id(agent_id);
  d.info.set_device_id(id);
  if (removed) d.info.set_adb_state("gone");
  d.last_seen_unix_ms = now_ms;
  CheckDuplicate(id);
  return d;
}

bool Inventory::SetCare(const DeviceCare& care) {
  auto it = devices_.find(care.device_id);
  if (it == devices_.end()) return false;
  it->second.care = care;
  return true;
}

void Inventory::Forget(const std::string& device_id) {
  auto it = devices_.find(device_id);
  if (it == devices_.end()) return;
  if (!it->second.identity.empty()) {
    auto ids = by_identity_.find(it->second.identity);
    if (ids != by_identity_.end()) {
      ids->second.erase(device_id);
      if (ids->second.empty()) by_identity_.erase(ids);
    }
  }
  devices_.erase(it);
}

void Inventory::MarkAgentDevicesGone(const std::string& agent_id) {
  for (auto& [id, d] : AgentDevices(agent_id)) {
    if (d.info.agent_id() == agent_id) d.info.set_adb_state("gone");
  }
}

bool Inventory::NewerConditions(const std::string& device_id, const v1::RunConditions& conditions) {
  auto it = devices_.find(device_id);
  if (it == devices_.end() || conditions.read_unix_ms() <= it->second.info.conditions().read_unix_ms()) return false;
  *it->second.info.mutable_conditions() = conditions;
  return true;
}

bool Inventory::Usable(const std::string& device_id) const {
  const Device* d = FindDevice(device_id);
  if (d == nullptr) return false;
  auto a = agents_.find(d->info.agent_id());
  return a != agents_.end() && a->second.channel != nullptr && d->info.adb_state() == "device" &&
         d->refused_reason.empty();
}

void Inventory::CheckDuplicate(const std::string& device_id) {
  Device& d = devices_[device_id];
  d.refused_reason.clear();
  const std::string identity = PhoneIdentity(d.info);
  // The index by identity keeps this O(copies of one phone), not O(phones in the lab).
  if (d.identity != identity) {
    if (!d.identity.empty()) {
      auto& ids = by_identity_[d.identity];
      ids.erase(device_id);
      if (ids.empty()) by_identity_.erase(d.identity);
    }
    d.identity = identity;
    if (!identity.empty()) by_identity_[identity].insert(device_id);
  }
  if (identity.empty() || d.info.adb_state() == "gone") return;
  for (const std::string& id : by_identity_[identity]) {
    if (id == device_id) continue;
    const Device& other = devices_.at(id);
    if (other.info.agent_id() == d.info.agent_id() || !other.refused_reason.empty() ||
        other.info.adb_state() == "gone" || PhoneIdentity(other.info) != identity) {
      continue;
    }
    auto a = agents_.find(other.info.agent_id());
    if (a == agents_.end() || a->second.channel == nullptr) continue;  // its old host is away
    d.refused_reason = absl::StrCat("the same phone (serial ", identity, ") is already registered as ", id,
                                    "; two agents share one adb server or USB hub? Run one agent per adb server");
    spdlog::warn("event=device_refused device={} other={} reason=\"{}\"", device_id, id, d.refused_reason);
    return;
  }
}

bool Inventory::Matches(const v1::DeviceSelector& sel, const std::string& id, const Device& d) const {
  if (sel.devices_size() > 0) {
    bool hit = false;
    for (const auto& want : sel.devices()) hit |= (want == id || want == d.info.serial());
    if (!hit) return false;
  }
  if (sel.agents_size() > 0 &&
      std::find(sel.agents().begin(), sel.agents().end(), d.info.agent_id()) == sel.agents().end()) {
    return false;
  }
  if (!PropertiesMatch(d.info, sel.properties())) return false;
  if (d.info.adb_state() == "gone" && sel.devices_size() == 0) return false;
  // A drained phone or one in maintenance takes no runs of jobs that did not name it.
  if (d.care.state != v1::DEVICE_STATE_UNSPECIFIED && sel.devices_size() == 0) return false;
  return true;
}

std::vector<std::string> Inventory::Select(const v1::DeviceSelector& sel, const Scheduler& scheduler) const {
  std::vector<std::string> out;
  for (const auto& [id, d] : devices_) {
    if (!Matches(sel, id, d)) continue;
    if (sel.skip_offline() && !scheduler.DeviceOnline(id)) continue;
    out.push_back(id);
  }
  return out;
}

std::vector<v1::Agent> Inventory::ListAgents() const {
  std::map<std::string, int> phones;
  for (const auto& [id, d] : devices_) {
    if (d.info.adb_state() != "gone") ++phones[d.info.agent_id()];
  }
  std::vector<v1::Agent> out;
  for (const auto& [id, a] : agents_) {
    out.push_back(a.info);
    out.back().set_device_count(phones[id]);
  }
  return out;
}

int Inventory::connected_agents() const {
  int n = 0;
  for (const auto& [id, a] : agents_) n += a.channel != nullptr;
  return n;
}

}  // namespace benchlab::coordinator
