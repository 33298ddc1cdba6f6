// Parsing only: whether a selector matches anything is the coordinator's answer
// (FAILED_PRECONDITION on SubmitJob), since only it knows the inventory.
#include "cli/device_selector.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab::cli {

absl::StatusOr<benchlab::v1::DeviceSelector> ParseDeviceSelector(absl::string_view text) {
  benchlab::v1::DeviceSelector selector;
  bool any = false;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    any = true;
    if (entry == "all") {
      selector.set_all(true);
    } else if (absl::ConsumePrefix(&entry, "agent:")) {
      if (entry.empty()) return absl::InvalidArgumentError("'agent:' needs an agent name, e.g. agent:lab-host-1");
      selector.add_agents(std::string(entry));
    } else if (size_t eq = entry.find('='); eq != absl::string_view::npos) {
      std::string key(absl::StripAsciiWhitespace(entry.substr(0, eq)));
      std::string value(absl::StripAsciiWhitespace(entry.substr(eq + 1)));
      if (key.empty()) return absl::InvalidArgumentError(absl::StrCat("'", entry, "': a property needs a key (KEY=VALUE)"));
      auto [it, inserted] = selector.mutable_properties()->insert({key, value});
      if (!inserted && it->second != value) {
        return absl::InvalidArgumentError(absl::StrCat("property '", key, "' is given twice ('", it->second,
                                                       "' and '", value, "'); no device can match both"));
      }
    } else {
      selector.add_devices(std::string(entry));
    }
  }
  if (!any) return absl::InvalidArgumentError("the device selector is empty; use all, agent:NAME, KEY=VALUE or device ids");
  return selector;
}

}  // namespace benchlab::cli
