// The CLI's config file; see cli_config.h.
#include "cli/cli_config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace benchlab::cli {
namespace {

struct Setting {
  const char* key;
  const char* env;  // "" when the option has no env variable
};
constexpr Setting kSettings[] = {
    {"coordinator", "BENCHLAB_COORDINATOR"}, {"token", "BENCHLAB_TOKEN"},
    {"tls-ca", "BENCHLAB_TLS_CA"},           {"tls-cert", "BENCHLAB_TLS_CERT"},
    {"tls-key", "BENCHLAB_TLS_KEY"},         {"tls-server-name", "BENCHLAB_TLS_SERVER_NAME"},
    {"rpc-timeout", ""},
};

bool HasFlag(const std::vector<std::string>& args, const std::string& flag) {
  for (const std::string& a : args) {
    if (a == "--") break;
    if (a == flag || absl::StartsWith(a, flag + "=")) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ApplyCliConfig(std::vector<std::string> args,
                                                        const std::function<const char*(const char*)>& getenv) {
  std::string path;
  bool named = false;
  for (size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      named = true;
      break;
    }
    if (absl::StartsWith(args[i], "--config=")) {
      path = args[i].substr(9);
      args.erase(args.begin() + static_cast<long>(i));
      named = true;
      break;
    }
  }
  if (!named) {
    const char* env = getenv("BENCHLAB_CONFIG");
    const char* xdg = getenv("XDG_CONFIG_HOME");
    const char* home = getenv("HOME");
    if (env != nullptr && *env != '\0') {
      path = env;
      named = true;
    } else if (xdg != nullptr && *xdg != '\0') {
      path = absl::StrCat(xdg, "/benchlab/cli.toml");
    } else if (home != nullptr && *home != '\0') {
      path = absl::StrCat(home, "/.config/benchlab/cli.toml");
    }
  }
  if (path.empty()) return args;
  std::ifstream in(path);
  if (!in) {
    if (!named) return args;  // the default file is optional
    return absl::InvalidArgumentError(absl::StrCat("config file ", path, " cannot be read"));
  }
  std::vector<std::pair<const Setting*, std::string>> values;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": want key = \"value\""));
    }
    std::string key(absl::StripAsciiWhitespace(l.substr(0, eq)));
    absl::string_view value = absl::StripAsciiWhitespace(l.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    auto it = std::find_if(std::begin(kSettings), std::end(kSettings), [&](const Setting& s) { return key == s.key; });
    if (it == std::end(kSettings)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown key '", key, "' in config file ", path,
                                                     " (keys: coordinator, token, tls-ca, tls-cert, tls-key, "
                                                     "tls-server-name, rpc-timeout)"));
    }
    values.emplace_back(it, std::string(value));
  }
  // Only lab commands take these options (not `parse`, not a bare --help).
  if (args.empty() || absl::StartsWith(args[0], "-") || args[0] == "parse") return args;
  auto end = std::find(args.begin(), args.end(), "--");
  std::vector<std::string> added;
  for (const auto& [setting, value] : values) {
    const std::string flag = absl::StrCat("--", setting->key);
    const char* env = *setting->env != '\0' ? getenv(setting->env) : nullptr;
    if (HasFlag(args, flag) || (env != nullptr && *env != '\0')) continue;
    added.push_back(flag);
    added.push_back(value);
  }
  args.insert(end, added.begin(), added.end());
  return args;
}

}  // namespace benchlab::cli
