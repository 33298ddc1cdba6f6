// The shell's executor: expands words, applies redirections through a wrapping CommandIo,
// joins commands with ; && || and |, and dispatches to the command table.
#include "devsim/phone/shell.h"
#include "devsim/phone/process_table.h"

#include <fnmatch.h>

#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/android_version.h"

namespace benchlab::devsim {
namespace {

constexpr absl::string_view kSh = "/system/bin/sh";

// Where one output fd goes after redirections.
struct Sink {
  enum Kind { kStdout, kStderr, kNull, kFile, kBuffer } kind = kStdout;
  std::string path;  // kFile
};

}  // namespace

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
    RegisterDumpsysCommand(*t);
    RegisterTextCommands(*t);
    RegisterPackageCommands(*t);
    RegisterLogcatCommand(*t);
    RegisterTasksetCommand(*t);
    return t;
  }();
  return *table;
}

Shell::Shell(PhoneState& phone, CommandIo& io) : phone_(phone), io_(&io) {
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

Shell::~Shell() {
  if (pid_ != 0) phone_.procs().Kill(pid_);
}

int32_t Shell::Pid() const {
  if (pid_ == 0) pid_ = phone_.procs().Spawn("sh", /*shell_user=*/true);
  return pid_;
}

std::string Shell::GetVar(absl::string_view name) const {
  if (name == "?") return absl::StrCat(last_status_);
  if (name == "$") return absl::StrCat(Pid());
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

namespace {

// A pipeline that is one command whose first word is the unquoted keyword `word`.
bool StartsWithKeyword(const ShellPipeline& p, absl::string_view word) {
  if (p.commands.size() != 1 || p.commands[0].words.empty()) return false;
  const ShellWord& w = p.commands[0].words[0];
  return !w.quoted && w.pieces.size() == 1 && !w.pieces[0].is_var && w.pieces[0].text == word;
}

}  // namespace

int Shell::Run(absl::string_view line) {
  absl::StatusOr<ShellScript> script = ParseShell(line);
  if (!script.ok()) {
    io_->WriteStderr(absl::StrCat(kSh, ": ", script.status().message(), "\n"));
    return 1;
  }
  // `do CMD` opens a loop body and starts its first command: split it into `do` and `CMD`
  // so keywords always start a pipeline of their own.
  std::vector<ShellPipeline> pipelines;
  for (ShellPipeline& p : script->pipelines) {
    if (!p.commands.empty() && p.commands[0].words.size() > 1 && p.commands[0].assignments.empty()) {
      ShellPipeline probe;
      probe.commands.push_back(ShellCommand());
      probe.commands[0].words.push_back(p.commands[0].words[0]);
      if (StartsWithKeyword(probe, "do")) {
        probe.join = p.join;
        pipelines.push_back(std::move(probe));
        p.commands[0].words.erase(p.commands[0].words.begin());
        p.join = ShellPipeline::kAlways;
      }
    }
    pipelines.push_back(std::move(p));
  }
  script->pipelines = std::move(pipelines);
  // Check the loops' shape before running anything, as sh parses the whole line first.
  int depth = 0;
  for (const ShellPipeline& p : script->pipelines) {
    if (StartsWithKeyword(p, "for")) ++depth;
    if (StartsWithKeyword(p, "done") && --depth < 0) {
      io_->WriteStderr(absl::StrCat(kSh, ": syntax error: 'done' unexpected\n"));
      return 1;
    }
  }
  if (depth > 0) {
    io_->WriteStderr(absl::StrCat(kSh, ": syntax error: 'for' unmatched\n"));
    return 1;
  }
  int status = RunPipelines(script->pipelines, 0, script->pipelines.size());
  if (exit_requested_) return exit_status_ & 0xff;
  return status & 0xff;
}

int Shell::RunPipelines(const std::vector<ShellPipeline>& pipelines, size_t begin, size_t end) {
  int status = last_status_;
  for (size_t i = begin; i < end; ++i) {
    if (exit_requested_ || io_->Cancelled()) break;
    const ShellPipeline& p = pipelines[i];
    size_t done = i;
    if (StartsWithKeyword(p, "for")) {
      // The matching `done` (loops nest).
      for (int depth = 0; done < end; ++done) {
        if (StartsWithKeyword(pipelines[done], "for")) ++depth;
        if (StartsWithKeyword(pipelines[done], "done") && --depth == 0) break;
      }
    }
    const bool skip = (p.join == ShellPipeline::kIfOk && status != 0) ||
                      (p.join == ShellPipeline::kIfFailed && status == 0);
    if (skip) {
      // Not run.
    } else if (done > i) {
      // `done 2>/dev/null` redirects the whole loop, as sh does.
      const std::vector<ShellRedirect>& redirects = pipelines[done].commands[0].redirects;
      if (redirects.empty()) {
        status = RunFor(pipelines, i, done);
      } else {
        CommandIo* outer = io_;
        RedirectIo io(*outer);
        if (!ApplyRedirects(redirects, *outer, io)) {
          status = 1;
        } else {
          io_ = &io;
          status = FlushFileOutput(io, RunFor(pipelines, i, done));
          io_ = outer;
        }
      }
    } else {
      status = RunPipeline(p);
    }
    last_status_ = status;
    i = done;
  }
  return status;
}

// for NAME in WORDS; do LIST; done (mksh): WORDS are expanded and globbed once.
int Shell::RunFor(const std::vector<ShellPipeline>& pipelines, size_t for_index, size_t done_index) {
  const ShellCommand& head = pipelines[for_index].commands[0];
  auto syntax = [this](absl::string_view what) {
    io_->WriteStderr(absl::StrCat(kSh, ": syntax error: ", what, "\n"));
    return 1;
  };
  if (head.words.size() < 2 || head.words[1].pieces.size() != 1 || head.words[1].pieces[0].is_var) {
    return syntax("'for' needs a variable name");
  }
  const std::string name = head.words[1].pieces[0].text;
  std::vector<std::string> items;
  if (head.words.size() >= 3) {
    if (Expand(head.words[2]) != "in") return syntax(absl::StrCat("'", Expand(head.words[2]), "' unexpected"));
    for (size_t k = 3; k < head.words.size(); ++k) {
      for (std::string& item : ExpandArgv(head.words[k])) items.push_back(std::move(item));
    }
  }
  if (for_index + 1 >= done_index || !StartsWithKeyword(pipelines[for_index + 1], "do")) {
    return syntax("'do' expected");
  }
  // The body: after `do` (Run split it off its first command) up to `done`.
  int status = 0;
  for (const std::string& item : items) {
    vars_[name] = item;
    last_status_ = 0;
    status = RunPipelines(pipelines, for_index + 2, done_index);
    if (exit_requested_ || io_->Cancelled()) break;
  }
  return status;
}

std::vector<std::string> Shell::Glob(const std::string& pattern) const {
  // Component by component, as mksh does: a component with wildcards matches the entries
  // of each directory found so far (dot files only for a pattern starting with '.'); a
  // plain component must exist. Only directories lead further.
  std::vector<std::string> parts = absl::StrSplit(pattern, '/', absl::SkipEmpty());
  std::vector<std::string> found = {!pattern.empty() && pattern[0] == '/' ? "/" : ""};
  auto join = [](const std::string& base, absl::string_view name) {
    return base.empty() ? std::string(name)
                        : base == "/" ? absl::StrCat("/", name) : absl::StrCat(base, "/", name);
  };
  for (size_t i = 0; i < parts.size() && !found.empty(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    std::vector<std::string> next;
    for (const std::string& base : found) {
      if (part.find_first_of("*?[") == std::string::npos) {
        absl::StatusOr<VfsStat> st = phone_.fs().Stat(Resolve(join(base, part)));
        if (st.ok() && (last || st->is_dir)) next.push_back(join(base, part));
        continue;
      }
      absl::StatusOr<std::vector<VfsEntry>> entries =
          phone_.fs().List(Resolve(base.empty() ? "." : base));
      if (!entries.ok()) continue;
      for (const VfsEntry& e : *entries) {  // sorted, as sh sorts matches
        if (e.name[0] == '.' && part[0] != '.') continue;
        if (!last && !e.stat.is_dir) continue;
        if (fnmatch(part.c_str(), e.name.c_str(), 0) == 0) next.push_back(join(base, e.name));
      }
    }
    found = std::move(next);
  }
  return found;
}

int Shell::RunPipeline(const ShellPipeline& pipeline) {
  if (pipeline.commands.size() == 1) return RunCommand(pipeline.commands[0], *io_);
  // Commands run one after the other, each one's stdout feeding the next's stdin. Fine
  // for the short commands clients pipe (a streaming logcat in a pipe would never end).
  std::string carry;
  int status = 0;
  for (size_t i = 0; i < pipeline.commands.size(); ++i) {
    RedirectIo io(*io_);
    if (i > 0) io.SetStdin(std::move(carry));
    const bool last = i + 1 == pipeline.commands.size();
    if (!last) io.sink(1).kind = Sink::kBuffer;
    status = RunCommand(pipeline.commands[i], io);
    carry = std::move(io.buffer());
    if (exit_requested_) exit_requested_ = false;  // exit inside a pipeline ends only its subshell
  }
  return status;
}

std::vector<std::string> Shell::ExpandArgv(const ShellWord& w) const {
  std::string s = Expand(w);
  if (s.empty() && !w.quoted) return {};  // an unquoted empty expansion vanishes
  if (!w.quoted && s.find_first_of("*?[") != std::string::npos) {
    std::vector<std::string> matches = Glob(s);
    if (!matches.empty()) return matches;
  }
  return {std::move(s)};
}

int Shell::RunCommand(const ShellCommand& cmd, CommandIo& outer_io) {
  std::vector<std::string> argv;
  for (const ShellWord& w : cmd.words) {
    for (std::string& a : ExpandArgv(w)) argv.push_back(std::move(a));
  }
  for (const auto& [name, value] : cmd.assignments) vars_[name] = Expand(value);

  RedirectIo io(outer_io);
  if (!ApplyRedirects(cmd.redirects, outer_io, io)) return 1;
  int status = argv.empty() ? 0 : RunArgv(std::move(argv), io);
  return FlushFileOutput(io, status);
}

bool Shell::ApplyRedirects(const std::vector<ShellRedirect>& redirects, CommandIo& outer_io,
                           RedirectIo& io) {
  for (const ShellRedirect& r : redirects) {
    std::string target = Expand(r.target);
    if (r.kind == ShellRedirect::kIn) {
      absl::StatusOr<std::shared_ptr<const std::string>> data = phone_.fs().Read(Resolve(target));
      if (!data.ok()) {
        outer_io.WriteStderr(
            absl::StrCat(kSh, ": can't open ", target, ": ", data.status().message(), "\n"));
        return false;
      }
      io.SetStdin(**data);
    } else if (r.kind == ShellRedirect::kDup) {
      int from = 0;
      if (!absl::SimpleAtoi(target, &from) || (from != 1 && from != 2)) {
        outer_io.WriteStderr(absl::StrCat(kSh, ": ", target, ": bad file descriptor\n"));
        return false;
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
          return false;
        }
        s.kind = Sink::kFile;
        s.path = norm;
      }
      if (r.fd == 1 || r.fd == 2) io.sink(r.fd) = s;
    }
  }
  return true;
}

// Files written through redirections are appended once the command ends.
int Shell::FlushFileOutput(RedirectIo& io, int status) {
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
      std::optional<int> status = RunNativeBinary(*this, phone_, io, argv, Resolve(name));
      if (status.has_value()) return *status & 0xff;
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
