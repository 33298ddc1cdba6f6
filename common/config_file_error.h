// One line for a config file that names an option the program does not have (CLI11's
// ConfigError "INI was not able to parse KEY"): the key and the file, for the coordinator's
// and the agent's --config. Unknown keys are an error so a misspelt setting is not
// silently ignored.
#ifndef BENCHLAB_COMMON_CONFIG_FILE_ERROR_H_
#define BENCHLAB_COMMON_CONFIG_FILE_ERROR_H_

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace benchlab {

// "unknown key 'listn' in config file /etc/benchlab/coordinator.toml"; other config errors
// (a malformed file) as CLI11 words them, with the file named.
inline std::string ConfigFileErrorLine(absl::string_view cli11_message, absl::string_view config_file) {
  absl::string_view key = cli11_message;
  if (absl::ConsumePrefix(&key, "INI was not able to parse ")) {
    return absl::StrCat("unknown key '", key, "' in config file ", config_file,
                        " (config keys are the long option names without '--'; see --help)");
  }
  return absl::StrCat("config file ", config_file, ": ", cli11_message);
}

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_CONFIG_FILE_ERROR_H_
