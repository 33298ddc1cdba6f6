// File commands as Android's toybox prints them: ls, stat, rm, mkdir, cat, sha256sum,
// sha1sum, md5sum, chmod, touch; and 5.x toolbox's md5. Paths are resolved against "/" (adb shell starts there).
#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devsim/phone/digest.h"
#include "devsim/phone/shell.h"

namespace benchlab::devsim {
namespace {

// Splits argv[1..] into single-letter flags (combined like -rf) and operands; "--" ends flags.
struct Args {
  std::string flags;
  std::vector<std::string> operands;
  bool Has(char f) const { return flags.find(f) != std::string::npos; }
};
Args SplitArgs(const std::vector<std::string>& argv, size_t first = 1) {
  Args a;
  bool flags_done = false;
  for (size_t i = first; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (!flags_done && s == "--") {
      flags_done = true;
    } else if (!flags_done && s.size() > 1 && s[0] == '-') {
      a.flags += s.substr(1);
    } else {
      a.operands.push_back(s);
    }
  }
  return a;
}

std::string PermString(const VfsStat& st) {
  std::string s = st.is_dir ? "d" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (st.mode & (0400 >> i)) ? rwx[i] : '-';
  return s;
}

std::string LsLong(const VfsStat& st, absl::string_view name) {
  return absl::StrFormat("%s %d shell shell %8d %s %s\n", PermString(st), st.is_dir ? 2 : 1,
                         st.size_bytes,
                         absl::FormatTime("%Y-%m-%d %H:%M", st.mtime, absl::UTCTimeZone()), name);
}

int Ls(ShellCall& c) {
  Args a = SplitArgs(c.argv);
  if (a.operands.empty()) a.operands.push_back(".");
  const bool lng = a.Has('l');
  const bool all = a.Has('a');
  int status = 0;
  std::string out;
  for (size_t i = 0; i < a.operands.size(); ++i) {
    const std::string& path = a.operands[i];
    absl::StatusOr<VfsStat> st = c.phone.fs().Stat(c.Path(path));
    if (!st.ok()) {
      c.Err(absl::StrCat("ls: ", path, ": ", st.status().message(), "\n"));
      status = 1;
      continue;
    }
    if (!st->is_dir || a.Has('d')) {
      out += lng ? LsLong(*st, path) : path + "\n";
      continue;
    }
    if (a.operands.size() > 1) absl::StrAppend(&out, i > 0 ? "\n" : "", path, ":\n");
    auto list = c.phone.fs().List(c.Path(path));
    if (!list.ok()) continue;
    if (lng) absl::StrAppend(&out, "total ", list->size() * 4, "\n");
    if (all) {
      out += lng ? LsLong(*st, ".") + LsLong(*st, "..") : ".\n..\n";
    }
    for (const VfsEntry& e : *list) out += lng ? LsLong(e.stat, e.name) : e.name + "\n";
  }
  if (!c.Out(out)) return 1;
  return status;
}

// stat -c FORMAT, toybox's subset that scripts use.
std::string StatFormat(absl::string_view fmt, const std::string& path, const VfsStat& st) {
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] == '\\' && i + 1 < fmt.size() && fmt[i + 1] == 'n') {
      out += '\n';
      ++i;
      continue;
    }
    if (fmt[i] != '%' || i + 1 == fmt.size()) {
      out += fmt[i];
      continue;
    }
    char f = fmt[++i];
    const int64_t secs = absl::ToUnixSeconds(st.mtime);
    switch (f) {
      case 's':
        absl::StrAppend(&out, st.size_bytes);
        break;
      case 'n':
        out += path;
        break;
      case 'N':
        absl::StrAppend(&out, "'", path, "'");
        break;
      case 'a':
        absl::StrAppend(&out, absl::StrFormat("%o", st.mode & 07777));
        break;
      case 'A':
        out += PermString(st);
        break;
      case 'f':
        absl::StrAppend(&out, absl::StrFormat("%x", st.mode));
        break;
      case 'F':
        out += st.is_dir ? "directory" : (st.size_bytes ? "regular file" : "regular empty file");
        break;
      case 'Y':
      case 'X':
      case 'Z':
        absl::StrAppend(&out, secs);
        break;
      case 'y':
      case 'x':
      case 'z':
        out += absl::FormatTime("%Y-%m-%d %H:%M:%E9S %z", st.mtime, absl::UTCTimeZone());
        break;
      case 'U':
      case 'G':
        out += "shell";
        break;
      case 'u':
      case 'g':
        out += "2000";
        break;
      case 'h':
        out += st.is_dir ? "2" : "1";
        break;
      case 'b':
        absl::StrAppend(&out, (st.size_bytes + 511) / 512);
        break;
      case 'B':
        out += "512";
        break;
      case 'o':
        out += "4096";
        break;
      case 'i':
        absl::StrAppend(&out, std::hash<std::string>()(path) % 900000 + 10000);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '?';
    }
  }
  return out;
}

int Stat(ShellCall& c) {
  std::string format;
  std::vector<std::string> paths;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    if ((c.argv[i] == "-c" || c.argv[i] == "--format") && i + 1 < c.argv.size()) {
      format = c.argv[++i];
    } else if (c.argv[i].rfind("-c", 0) == 0 && c.argv[i].size() > 2) {
      format = c.argv[i].substr(2);
    } else if (c.argv[i] == "-L" || c.argv[i] == "-f") {
      continue;
    } else {
      paths.push_back(c.argv[i]);
    }
  }
  if (paths.empty()) return c.Fail("Needs 1 argument");
  int status = 0;
  for (const std::string& p : paths) {
    absl::StatusOr<VfsStat> st = c.phone.fs().Stat(c.Path(p));
    if (!st.ok()) {
      c.Err(absl::StrCat("stat: '", p, "': ", st.status().message(), "\n"));
      status = 1;
      continue;
    }
    std::string out;
    if (!format.empty()) {
      out = StatFormat(format, p, *st) + "\n";
    } else {
      const std::string t = StatFormat("%y", p, *st);
      out = absl::StrFormat(
          "  File: %s\n  Size: %d\t Blocks: %d\t IO Blocks: 4096\t%s\n"
          "Device: fe05h/65029d\t Inode: %s\t Links: %s\t Device type: 0,0\n"
          "Access: (%04o/%s)\tUid: ( 2000/   shell)\tGid: ( 2000/   shell)\n"
          "Access: %s\nModify: %s\nChange: %s\n",
          p, st->size_bytes, (st->size_bytes + 511) / 512, StatFormat("%F", p, *st),
          StatFormat("%i", p, *st), st->is_dir ? "2" : "1", st->mode & 07777, PermString(*st), t, t,
          t);
    }
    if (!c.Out(out)) return 1;
  }
  return status;
}

int Rm(ShellCall& c) {
  Args a = SplitArgs(c.argv);
  const bool force = a.Has('f');
  const bool recursive = a.Has('r') || a.Has('R');
  if (a.operands.empty()) return force ? 0 : c.Fail("Needs 1 argument");
  int status = 0;
  for (const std::string& p : a.operands) {
    absl::Status st = c.phone.fs().Remove(c.Path(p), recursive);
    if (!st.ok() && !(force && absl::IsNotFound(st))) {
      c.Err(absl::StrCat("rm: ", p, ": ", st.message(), "\n"));
      status = 1;
    }
  }
  return status;
}

int Mkdir(ShellCall& c) {
  Args a = SplitArgs(c.argv);
  if (a.operands.empty()) return c.Fail("Needs 1 argument");
  int status = 0;
  for (const std::string& p : a.operands) {
    if (!a.Has('p')) {
      if (c.phone.fs().Exists(c.Path(p))) {
        c.Err(absl::StrCat("mkdir: '", p, "': File exists\n"));
        status = 1;
        continue;
      }
      std::string parent = c.Path(p + "/..");
      absl::StatusOr<VfsStat> pst = c.phone.fs().Stat(parent);
      if (!pst.ok() || !pst->is_dir) {
        c.Err(absl::StrCat("mkdir: '", p, "': No such file or directory\n"));
        status = 1;
        continue;
      }
    }
    absl::Status st = c.phone.fs().MkdirP(c.Path(p));
    if (!st.ok()) {
      c.Err(absl::StrCat("mkdir: '", p, "': ", st.message(), "\n"));
      status = 1;
    }
  }
  return status;
}

int Cat(ShellCall& c) {
  Args a = SplitArgs(c.argv);
  if (a.operands.empty() || (a.operands.size() == 1 && a.operands[0] == "-")) {
    while (true) {
      std::string chunk = c.io.ReadStdin(65536);
      if (chunk.empty()) return 0;
      if (!c.Out(chunk)) return 1;
    }
  }
  int status = 0;
  for (const std::string& p : a.operands) {
    auto data = c.phone.fs().Read(c.Path(p));
    if (!data.ok()) {
      c.Err(absl::StrCat("cat: ", p, ": ", data.status().message(), "\n"));
      status = 1;
      continue;
    }
    // Large files go out in slices so flow control applies.
    const std::string& d = **data;
    for (size_t off = 0; off < d.size(); off += 65536) {
      if (!c.Out(absl::string_view(d).substr(off, 65536))) return 1;
    }
  }
  return status;
}

int HashSum(ShellCall& c, const EVP_MD* md) {
  Args a = SplitArgs(c.argv);
  if (a.operands.empty()) {
    std::string all;
    for (std::string chunk; !(chunk = c.io.ReadStdin(65536)).empty();) all += chunk;
    return c.Out(HexDigest(md, all) + "  -\n") ? 0 : 1;
  }
  int status = 0;
  for (const std::string& p : a.operands) {
    auto data = c.phone.fs().Read(c.Path(p));
    if (!data.ok()) {
      c.Err(absl::StrCat(c.argv[0], ": ", p, ": ", data.status().message(), "\n"));
      status = 1;
      continue;
    }
    if (!c.Out(absl::StrCat(HexDigest(md, **data), "  ", p, "\n"))) return 1;
  }
  return status;
}

// Android 5.x toolbox's `md5 file ...`: the same "hex  path" lines as md5sum, its own
// usage and error words (toolbox/md5.c), no stdin.
int ToolboxMd5(ShellCall& c) {
  if (c.argv.size() < 2) {
    c.Err("md5 file ...\n");
    return -1;
  }
  int status = 0;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    const std::string& p = c.argv[i];
    auto data = c.phone.fs().Read(c.Path(p));
    if (!data.ok()) {
      c.Err(absl::StrCat("could not open ", p, ", ", data.status().message(), "\n"));
      status = -1;
      continue;
    }
    if (!c.Out(absl::StrCat(HexDigest(EVP_md5(), **data), "  ", p, "\n"))) return 1;
  }
  return status;
}

int Chmod(ShellCall& c) {
  Args a = SplitArgs(c.argv);
  uint32_t mode = 0;
  if (a.operands.size() < 2) return c.Fail("Needs 2 arguments");
  if (!absl::numbers_internal::safe_strtou32_base(a.operands[0], &mode, 8)) {
    // Symbolic modes (+x): accept and treat as executable for everyone.
    mode = 0755;
  }
  int status = 0;
  for (size_t i = 1; i < a.operands.size(); ++i) {
    absl::Status st = c.phone.fs().Chmod(c.Path(a.operands[i]), mode);
    if (!st.ok()) {
      c.Err(absl::StrCat("chmod: ", a.operands[i], ": ", st.message(), "\n"));
      status = 1;
    }
  }
  return status;
}

int Touch(ShellCall& c) {
  Args a = SplitArgs(c.argv);
  int status = 0;
  for (const std::string& p : a.operands) {
    absl::Status st = c.phone.fs().Append(c.Path(p), "");
    if (!st.ok()) {
      c.Err(absl::StrCat("touch: '", p, "': ", st.message(), "\n"));
      status = 1;
    }
  }
  return status;
}

}  // namespace

void RegisterFileCommands(ShellCommandTable& t) {
  t["ls"] = Ls;
  t["stat"] = Stat;
  t["rm"] = Rm;
  t["mkdir"] = Mkdir;
  t["cat"] = Cat;
  t["sha256sum"] = [](ShellCall& c) { return HashSum(c, EVP_sha256()); };
  t["sha1sum"] = [](ShellCall& c) { return HashSum(c, EVP_sha1()); };
  t["md5sum"] = [](ShellCall& c) { return HashSum(c, EVP_md5()); };
  t["md5"] = ToolboxMd5;
  t["chmod"] = Chmod;
  t["touch"] = Touch;
}

}  // namespace benchlab::devsim
