// System commands: date, pidof, ps, kill, df, input/settings stubs (dumpsys: shell_dumpsys.cc).
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "devsim/phone/android_version.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/shell.h"

namespace benchlab::devsim {
namespace {

// One strftime conversion as bionic's does it (the phone's clock is UTC). A conversion it
// does not know prints the character itself without the '%' (tzcode's rule), and a
// trailing '%' prints itself.
void AppendStrftime(absl::string_view fmt, absl::Time now, std::string* out) {
  static constexpr absl::string_view kKnown = "aAbBcCdDeFgGhHIjklmMnprRsStTuUVvwWxXyYzZ+%";
  const absl::TimeZone utc = absl::UTCTimeZone();
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 == fmt.size()) {
      out->push_back(fmt[i]);
      continue;
    }
    char f = fmt[++i];
    while ((f == 'E' || f == 'O') && i + 1 < fmt.size()) f = fmt[++i];  // locale modifiers
    if (kKnown.find(f) == absl::string_view::npos) {
      out->push_back(f);
    } else if (f == 's') {
      absl::StrAppend(out, absl::ToUnixSeconds(now));
    } else if (f == '%') {
      out->push_back('%');
    } else if (f == '+') {
      out->append(absl::FormatTime("%a %b %e %H:%M:%S UTC %Y", now, utc));
    } else {
      out->append(absl::FormatTime(absl::StrCat("%", std::string(1, f)), now, utc));
    }
  }
}

// date +FORMAT. Before toybox 0.7.4 (toolbox on 5.x, toybox on 6.0-8.0) the whole format
// goes to strftime; from 0.7.4 toybox first cuts out %N (9 digits of nanoseconds) and
// %<digit>N (that many leading digits). android_version.cc has the sources.
std::string FormatDate(absl::string_view fmt, absl::Time now, DateTool tool) {
  if (tool != DateTool::kToyboxNanos) {
    std::string out;
    AppendStrftime(fmt, now, &out);
    return out;
  }
  const std::string nanos = absl::StrFormat("%09d", absl::ToUnixNanos(now) % 1000000000);
  std::string out;
  size_t segment = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 == fmt.size()) continue;
    size_t j = i + 1;
    size_t width = 9;
    if (absl::ascii_isdigit(static_cast<unsigned char>(fmt[j])) && j + 1 < fmt.size()) {
      width = static_cast<size_t>(fmt[j] - '0');
      ++j;
    }
    if (fmt[j] != 'N') {
      i = j;  // "%%", "%Y", "%3d": strftime's
      continue;
    }
    AppendStrftime(fmt.substr(segment, i - segment), now, &out);
    out += nanos.substr(0, width);
    segment = j + 1;
    i = j;
  }
  AppendStrftime(fmt.substr(segment), now, &out);
  return out;
}

int Date(ShellCall& c) {
  const absl::Time now = absl::Now();
  const DateTool tool = DateToolFor(c.phone.profile().sdk);
  bool utc = false;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    if (!a.empty() && a[0] == '+') return c.Out(FormatDate(a.substr(1), now, tool) + "\n") ? 0 : 1;
    if (a == "-u") {
      utc = true;
      continue;
    }
    if (tool == DateTool::kToolbox && a.size() > 1 && a[0] == '-') {
      return c.Fail(absl::StrCat("invalid option -", a.substr(1, 1)));  // getopt("us:")
    }
    return c.Fail(absl::StrCat("bad date '", a, "'"));
  }
  // Toolbox's default format names the zone "GMT" under -u; toybox prints %Z.
  const char* fmt = tool == DateTool::kToolbox && utc ? "%a %b %e %H:%M:%S GMT %Y"
                                                       : "%a %b %e %H:%M:%S %Z %Y";
  return c.Out(FormatDate(fmt, now, tool) + "\n") ? 0 : 1;
}

int Pidof(ShellCall& c) {
  std::vector<int32_t> pids;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    if (c.argv[i][0] == '-') continue;
    for (int32_t pid : c.phone.procs().PidsOf(c.argv[i])) pids.push_back(pid);
  }
  if (pids.empty()) return 1;
  std::sort(pids.rbegin(), pids.rend());  // toybox lists newest first
  return c.Out(absl::StrCat(absl::StrJoin(pids, " "), "\n")) ? 0 : 1;
}

// Android 5.1-7.1's toolbox ps (toolbox/ps.c): every process, columns
// "%-9s %-5d %-5d %-6d %-5d %08x %08x %s NAME"; an argument of digits keeps that pid, any
// other word the processes whose name starts with it.
int ToolboxPs(ShellCall& c) {
  std::string out = "USER     PID   PPID  VSIZE  RSS     WCHAN    PC         NAME\n";
  int32_t pid_filter = 0;
  std::string name_filter;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    if (a[0] == '-') continue;  // -t -x -P -p -c: columns devsim does not model
    if (!absl::SimpleAtoi(a, &pid_filter)) name_filter = a;
  }
  for (const auto& [pid, name] : c.phone.procs().All()) {
    if (pid_filter != 0 && pid != pid_filter) continue;
    if (!name_filter.empty() && !absl::StartsWith(name, name_filter)) continue;
    const bool app = name.find('.') != std::string::npos;
    absl::StrAppendFormat(&out, "%-9s %-5d %-5d %-6d %-5d %08x %08x S %s\n",
                          app ? "u0_a123" : "root", pid, app ? kPidZygote : 1, 1234567,
                          app ? 123456 : 4567, 0, 0, name);
  }
  return c.Out(out) ? 0 : 1;
}

int Ps(ShellCall& c) {
  if (PsToolFor(c.phone.profile().sdk) == PsTool::kToolbox) return ToolboxPs(c);
  std::string out = "USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\n";
  for (const auto& [pid, name] : c.phone.procs().All()) {
    const bool app = name.find('.') != std::string::npos;
    const bool shell = c.phone.procs().ShellUser(pid);
    absl::StrAppendFormat(&out, "%-10s %7d %5d %7d %6d 0                   0 S %s\n",
                          app ? "u0_a123" : shell ? "shell" : "root", pid, app ? kPidZygote : 1, 12345678,
                          app ? 123456 : 4567, name);
  }
  return c.Out(out) ? 0 : 1;
}

int Kill(ShellCall& c) {
  int status = 0;
  int signo = 15;  // SIGTERM unless -9 / -KILL / -s KILL
  for (size_t i = 1; i < c.argv.size(); ++i) {
    int32_t pid = 0;
    if (c.argv[i] == "-9" || c.argv[i] == "-KILL" || c.argv[i] == "-SIGKILL") signo = 9;
    if (c.argv[i] == "-s" && i + 1 < c.argv.size()) {
      if (c.argv[i + 1] == "KILL" || c.argv[i + 1] == "9") signo = 9;
      ++i;
      continue;
    }
    if (c.argv[i][0] == '-') continue;
    if (!absl::SimpleAtoi(c.argv[i], &pid) || !c.phone.procs().Alive(pid)) {
      c.Err(absl::StrCat("kill: ", c.argv[i], ": No such process\n"));
      status = 1;
    } else if (c.phone.procs().ShellUser(pid)) {
      c.phone.procs().Kill(pid, signo);  // its own processes: a native tool, a shell
    } else {
      // The shell user may not kill other users' processes.
      c.Err(absl::StrCat("kill: ", c.argv[i], ": Operation not permitted\n"));
      status = 1;
    }
  }
  return status;
}

// df: a 128 GB userdata partition whose use grows with what was pushed and installed.
int Df(ShellCall& c) {
  constexpr int64_t kTotalKb = 115249512, kBaseUsedKb = 38222188;
  const int64_t used = kBaseUsedKb + c.phone.fs().total_file_bytes() / 1024;
  const int64_t avail = kTotalKb - used;
  std::string out = "Filesystem        1K-blocks     Used Available Use% Mounted on\n";
  const bool data_only = c.argv.size() > 1 && c.argv.back()[0] == '/';
  if (!data_only) {
    out += "/dev/block/dm-2     1180336  1176244         0 100% /\n";
    out += "tmpfs               5849752     1560   5848192   1% /dev\n";
  }
  absl::StrAppendFormat(&out, "/dev/block/dm-48  %10d %8d %9d %3d%% /data\n", kTotalKb, used, avail,
                        static_cast<int>((used * 100 + kTotalKb - 1) / kTotalKb));
  return c.Out(out) ? 0 : 1;
}

}  // namespace

void RegisterSystemCommands(ShellCommandTable& t) {
  t["df"] = Df;
  t["date"] = Date;
  t["pidof"] = Pidof;
  t["ps"] = Ps;
  t["kill"] = Kill;
  t["settings"] = [](ShellCall& c) {
    if (c.argv.size() >= 4 && c.argv[1] == "get") return c.Out("null\n") ? 0 : 1;
    return 0;
  };
  t["input"] = [](ShellCall&) { return 0; };
  t["svc"] = [](ShellCall&) { return 0; };
}

}  // namespace benchlab::devsim
