// PhoneModelCap: list the phone's model folder, pick the least recently used beyond the
// cap, remove them with one quoted `rm -f`.
#include "agent/run/phone_model_cap.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/run/benchmark_runner.h"
#include "common/shell_quote.h"

namespace benchlab::agent {

std::vector<std::string> ModelsToRemove(const std::vector<std::string>& listed,
                                        const std::map<std::string, uint64_t>& last_use,
                                        const std::string& keep, int max_models) {
  if (max_models <= 0) return {};
  std::vector<std::pair<uint64_t, std::string>> models;  // (last use, 0 = unknown; name)
  for (const std::string& name : listed) {
    if (!absl::EndsWith(name, ".tflite")) continue;
    auto it = last_use.find(name);
    models.emplace_back(it == last_use.end() ? 0 : it->second, name);
  }
  std::sort(models.begin(), models.end());
  std::vector<std::string> out;
  size_t left = models.size();
  for (const auto& [use, name] : models) {
    if (left <= static_cast<size_t>(max_models)) break;
    if (name == keep) continue;
    out.push_back(name);
    --left;
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> PhoneModelCap::AfterRun(const std::string& serial,
                                                                 const std::string& model_name, bool pushed,
                                                                 absl::Time deadline) {
  std::map<std::string, uint64_t> uses;
  {
    absl::MutexLock l(&mu_);
    last_use_[serial][model_name] = ++counter_;
    uses = last_use_[serial];
  }
  if (max_models_ <= 0 || !pushed) return std::vector<std::string>();
  // Plain `ls` of a folder prints one name a line when its output is not a terminal
  // (toybox ls, Android 6.0+; 5.x toolbox ls the same).
  auto listed = adb_->Shell(serial, absl::StrCat("ls ", ShellQuote(kRemoteModelDir)), deadline);
  if (!listed.ok()) return listed.status();
  if (listed->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("ls ", kRemoteModelDir, " on ", serial, " failed (exit ",
                                               listed->exit_code, "): ", listed->stderr_data, listed->stdout_data));
  }
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(listed->stdout_data, '\n', absl::SkipEmpty())) {
    names.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  std::vector<std::string> remove = ModelsToRemove(names, uses, model_name, max_models_);
  if (remove.empty()) return remove;
  std::vector<std::string> argv = {"rm", "-f"};
  for (std::string& name : remove) {
    name = absl::StrCat(kRemoteModelDir, "/", name);
    argv.push_back(name);
  }
  auto rm = adb_->Shell(serial, ShellJoin(argv), deadline);
  if (!rm.ok()) return rm.status();
  if (rm->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("rm -f on ", serial, " failed (exit ", rm->exit_code,
                                               "): ", rm->stderr_data, rm->stdout_data));
  }
  absl::MutexLock l(&mu_);
  for (const std::string& path : remove) {
    last_use_[serial].erase(path.substr(path.rfind('/') + 1));
  }
  return remove;
}

}  // namespace benchlab::agent
