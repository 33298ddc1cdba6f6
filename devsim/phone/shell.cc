// The shell's executor: expands words, applies redirections through a wrapping CommandIo,
// joins commands with ; && || and |, and dispatches to the command table.
#include "devsim/phone/shell.h"

#include <fnmatch.h>

#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "devsim/phone/android_version.h"

namespace benchlab::devsim {
namespace {

constexpr absl::string_view kSh = "/system/bin/sh";

// Where one output fd goes after redirections.
struct Sink {
  enum Kind { kStdout, kStderr, kNull, kFile, kBuffer } kind = kStdout;
  std::string path;  // kFile
};

// A CommandIo that routes fd 1 and 2 per redirections, feeds stdin from a string when
// redirected, and collects file output until the command ends.
class RedirectIo : public CommandIo {
 public:
  explicit RedirectIo(CommandIo& base) : base_(base) {
    sinks_[0].kind = Sink::kStdout;
    sinks_[1].kind = Sink::kStderr;
  }

  Sink& sink(int fd) { return sinks_[fd == 2 ? 1 : 0]; }
  void SetStdin(std::string data) {
    stdin_redirected_ = true;
    stdin_data_ = std::move(data);
  }
  std::string& buffer() { return buffer_; }
  std::map<std::string, std::string>& file_output() { return file_output_; }

  bool WriteStdout(absl::string_view data) override { return Write(sinks_[0], data); }
  bool WriteStderr(absl::string_view data) override { return Write(sinks_[1], data); }
  std::string ReadStdin(size_t max_bytes) override {
    if (!stdin_redirected_) return base_.ReadStdin(max_bytes);
    std::string out = stdin_data_.substr(stdin_pos_, max_bytes);
    stdin_pos_ += out.size();
    return out;
  }
  bool Cancelled() override { return base_.Cancelled(); }

 private:
  bool Write(const Sink& s, absl::string_view data) {
    switch (s.kind) {
      case Sink::kStdout:
        return base_.WriteStdout(data);
      case Sink::kStderr:
        return base_.WriteStderr(data);
      case Sink::kNull:
        return true;
      case Sink::kFile:
        file_output_[s.path].append(data.data(), data.size());
        return true;
      case Sink::kBuffer:
        buffer_.append(data.data(), data.size());
        return true;
    }
    return true;
  }

  CommandIo& base_;
  Sink sinks_[2];
  bool stdin_redirected_ = false;
  std::string stdin_data_;
  size_t stdin_pos_ = 0;
  std::string buffer_;
  std::map<std::string, std::string> file_output_;
};

}  // namespace

int ShellCall::Fail(absl::string_view msg, int code) {
  Err(absl::StrCat(argv.empty() ? "sh" : argv[0], ": ", msg, "\n"));
  return code;
}

std::string ShellCall::Path(absl::string_view path) const { return shell.Resolve(path); }

std::string Shell::Resolve(absl::string_view path) const {
  if (!path.empty() && path[0] == '/') return Vfs::Normalize(path);
  return Vfs::Normalize(absl::StrCat(cwd_, "/", path));
}

const ShellCommandTable& ShellCommands() {
  static const ShellCommandTable* table = [] {
    auto* t = new ShellCommandTable();
    RegisterBuiltinCommands(*t);
    RegisterFileCommands(*t);
    RegisterSystemCommands(*t);
    RegisterTextCommands(*t);
    RegisterPackageCommands(*t);
    RegisterLogcatCommand(*t);
    return t;
  }();
  return *table;
}

Shell::Shell(PhoneState& phone, CommandIo& io) : phone_(phone), io_(io) {
  vars_["PATH"] =
      "/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:"
      "/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin";
  vars_["HOME"] = "/";
  vars_["SHELL"] = "/bin/sh";
  vars_["USER"] = "shell";
  vars_["HOSTNAME"] = phone.profile().device;
  vars_["ANDROID_DATA"] = "/data";
  vars_["ANDROID_ROOT"] = "/system";
  vars_["TMPDIR"] = "/data/local/tmp";
}

std::string Shell::GetVar(absl::string_view name) const {
  if (name == "?") return absl::StrCat(last_status_);
  if (name == "$") return "4242";
  if (name == "#") return "0";
  if (name == "0") return std::string(kSh);
  auto it = vars_.find(std::string(name));
  return it == vars_.end() ? std::string() : it->second;
}

std::string Shell::Expand(const ShellWord& word) const {
  std::string out;
  for (const ShellWordPiece& p : word.pieces) {
    if (p.is_var) {
      out += GetVar(p.text);
    } else {
      out += p.text;
    }
  }
  return out;
}

int Shell::Run(absl::string_view line) {
  absl::StatusOr<ShellScript> script = ParseShell(line);
  if (!script.ok()) {
    io_.WriteStderr(absl::StrCat(kSh, ": ", script.status().message(), "\n"));
    return 1;
  }
  int status = 0;
  for (const ShellPipeline& p : script->pipelines) {
    if (exit_requested_) break;
    if (p.join == ShellPipeline::kIfOk && status != 0) continue;
    if (p.join == ShellPipeline::kIfFailed && status == 0) continue;
    status = RunPipeline(p);
    last_status_ = status;
    if (io_.Cancelled()) break;
  }
  if (exit_requested_) return exit_status_ & 0xff;
  return status & 0xff;
}

std::vector<std::string> Shell::Glob(const std::string& pattern) const {
  // Only the last path component may hold wildcards (what clients send: rm -rf dir/*).
  const size_t slash = pattern.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : pattern.substr(0, slash + 1);
  const std::string name_pattern = slash == std::string::npos ? pattern : pattern.substr(slash + 1);
  if (dir.find_first_of("*?[") != std::string::npos) return {};
  absl::StatusOr<std::vector<VfsEntry>> entries =
      phone_.fs().List(Resolve(dir.empty() ? "." : dir));
  if (!entries.ok()) return {};
  std::vector<std::string> out;
  for (const VfsEntry& e : *entries) {
    if (e.name[0] == '.' && name_pattern[0] != '.') continue;
    if (fnmatch(name_pattern.c_str(), e.name.c_str(), 0) == 0) {
      out.push_back(slash == std::string::npos ? e.name : dir + e.name);
    }
  }
  return out;  // List() is sorted, as sh sorts matches
}

int Shell::RunPipeline(const ShellPipeline& pipeline) {
  if (pipeline.commands.size() == 1) return RunCommand(pipeline.commands[0], io_);
  // Commands run one after the other, each one's stdout feeding the next's stdin. Fine
  // for the short commands clients pipe (a streaming logcat in a pipe would never end).
  std::string carry;
  int status = 0;
  for (size_t i = 0; i < pipeline.commands.size(); ++i) {
    RedirectIo io(io_);
    if (i > 0) io.SetStdin(std::move(carry));
    const bool last = i + 1 == pipeline.commands.size();
    if (!last) io.sink(1).kind = Sink::kBuffer;
    status = RunCommand(pipeline.commands[i], io);
    carry = std::move(io.buffer());
    if (exit_requested_) exit_requested_ = false;  // exit inside a pipeline ends only its subshell
  }
  return status;
}

int Shell::RunCommand(const ShellCommand& cmd, CommandIo& outer_io) {
  std::vector<std::string> argv;
  for (const ShellWord& w : cmd.words) {
    std::string s = Expand(w);
    if (s.empty() && !w.quoted) continue;  // an unquoted empty expansion vanishes
    if (!w.quoted && s.find_first_of("*?[") != std::string::npos) {
      std::vector<std::string> matches = Glob(s);
      if (!matches.empty()) {
        for (std::string& m : matches) argv.push_back(std::move(m));
        continue;
      }
    }
    argv.push_back(std::move(s));
  }
  for (const auto& [name, value] : cmd.assignments) vars_[name] = Expand(value);

  RedirectIo io(outer_io);
  for (const ShellRedirect& r : cmd.redirects) {
    std::string target = Expand(r.target);
    if (r.kind == ShellRedirect::kIn) {
      absl::StatusOr<std::shared_ptr<const std::string>> data = phone_.fs().Read(Resolve(target));
      if (!data.ok()) {
        outer_io.WriteStderr(
            absl::StrCat(kSh, ": can't open ", target, ": ", data.status().message(), "\n"));
        return 1;
      }
      io.SetStdin(**data);
    } else if (r.kind == ShellRedirect::kDup) {
      int from = 0;
      if (!absl::SimpleAtoi(target, &from) || (from != 1 && from != 2)) {
        outer_io.WriteStderr(absl::StrCat(kSh, ": ", target, ": bad file descriptor\n"));
        return 1;
      }
      if (r.fd == 1 || r.fd == 2) io.sink(r.fd) = io.sink(from);
    } else {
      Sink s;
      const std::string norm = Resolve(target);
      if (norm == "/dev/null") {
        s.kind = Sink::kNull;
      } else {
        // Open now, as sh does: the file exists (truncated) even if nothing is written.
        absl::Status st = r.kind == ShellRedirect::kAppend ? phone_.fs().Append(norm, "")
                                                           : phone_.fs().Write(norm, std::string());
        if (!st.ok()) {
          outer_io.WriteStderr(
              absl::StrCat(kSh, ": can't create ", target, ": ", st.message(), "\n"));
          return 1;
        }
        s.kind = Sink::kFile;
        s.path = norm;
      }
      if (r.fd == 1 || r.fd == 2) io.sink(r.fd) = s;
    }
  }
  int status = argv.empty() ? 0 : RunArgv(std::move(argv), io);
  for (const auto& [path, data] : io.file_output()) {
    absl::Status st = phone_.fs().Append(path, data);
    if (!st.ok() && status == 0) status = 1;
  }
  return status;
}

int Shell::RunArgv(std::vector<std::string> argv, CommandIo& io) {
  if (argv.empty()) return 0;
  std::string name = argv[0];
  const ShellCommandTable& table = ShellCommands();
  auto it = table.find(name);
  if (it == table.end() && absl::StrContains(name, '/')) {
    // /system/bin/logcat and friends are the same commands.
    for (absl::string_view dir : {"/system/bin/", "/system/xbin/", "/bin/", "/vendor/bin/"}) {
      if (absl::StartsWith(name, dir)) {
        it = table.find(name.substr(dir.size()));
        break;
      }
    }
    if (it == table.end() && phone_.fs().Exists(Resolve(name))) {
      io.WriteStderr(absl::StrCat(kSh, ": ", name, ": can't execute: Permission denied\n"));
      return 126;
    }
  }
  const int sdk = phone_.profile().sdk;
  if (it == table.end() || !ShellHasCommand(sdk, it->first)) {
    io.WriteStderr(absl::StrCat(kSh, ": ", name, ": ", ShellNotFoundWords(sdk), "\n"));
    return 127;
  }
  ShellCall call{phone_, io, std::move(argv), *this};
  return it->second(call) & 0xff;
}

}  // namespace benchlab::devsim
