// The CLI's optional config file, so a person does not repeat connection settings:
// `--config FILE`, else $BENCHLAB_CONFIG, else $XDG_CONFIG_HOME/benchlab/cli.toml (default
// ~/.config/benchlab/cli.toml) when it exists. Lines `key = "value"` (TOML strings or bare
// words, `#` comments) with the connection options' long names: coordinator, token,
// tls-ca, tls-cert, tls-key, tls-server-name, rpc-timeout. A flag wins over its env
// variable, which wins over the file. An unknown key is an error naming the key and file.
#ifndef BENCHLAB_CLI_CLI_CONFIG_H_
#define BENCHLAB_CLI_CLI_CONFIG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace benchlab::cli {

// `args` (without the program name, the command first) with the file's settings added
// behind the command for those given neither as a flag nor in the environment. `getenv`
// is ::getenv in the program (tests pass their own). InvalidArgument for a named file that
// cannot be read, a malformed line or an unknown key.
absl::StatusOr<std::vector<std::string>> ApplyCliConfig(std::vector<std::string> args,
                                                        const std::function<const char*(const char*)>& getenv);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_CLI_CONFIG_H_
