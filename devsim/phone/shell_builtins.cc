// Shell builtins and small system commands: echo, true, false, exit, export, exec, unset,
// getprop, sleep, id, whoami, uname, cd, and devsimctl (the simulator's own control
// command, so tests can inject faults or heat through `adb shell`).
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/perf_knobs.h"
#include "devsim/phone/thermal.h"
#include "devsim/phone/shell.h"

namespace benchlab::devsim {
namespace {

// echo -e escapes (\n \t \\ \c ...), as mksh's echo does with -e.
std::string EchoEscapes(absl::string_view s, bool* stop) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case 'e':
        out += '\x1b';
        break;
      case '\\':
        out += '\\';
        break;
      case 'c':
        *stop = true;
        return out;
      case '0': {
        int v = 0, n = 0;
        while (n < 3 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7') {
          v = v * 8 + (s[++i] - '0');
          ++n;
        }
        out += static_cast<char>(v);
        break;
      }
      default:
        out += '\\';
        out += c;
    }
  }
  return out;
}

std::string FormatPct(double pct) { return absl::StrFormat("%g", pct); }

int Echo(ShellCall& c) {
  bool newline = true, escapes = false;
  size_t i = 1;
  for (; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    if (a.size() < 2 || a[0] != '-' || a.find_first_not_of("neE", 1) != std::string::npos) break;
    for (char f : a.substr(1)) {
      if (f == 'n') newline = false;
      if (f == 'e') escapes = true;
      if (f == 'E') escapes = false;
    }
  }
  std::string out;
  bool stop = false;
  for (size_t j = i; j < c.argv.size() && !stop; ++j) {
    if (j > i) out += ' ';
    out += escapes ? EchoEscapes(c.argv[j], &stop) : c.argv[j];
  }
  if (newline && !stop) out += '\n';
  return c.Out(out) ? 0 : 1;
}

int Exit(ShellCall& c) {
  int code = 0;
  if (c.argv.size() > 1 && !absl::SimpleAtoi(c.argv[1], &code)) {
    c.Err(absl::StrCat("/system/bin/sh: exit: ", c.argv[1], ": bad number\n"));
    code = 1;
  } else if (c.argv.size() <= 1) {
    code = absl::SimpleAtoi(c.shell.GetVar("?"), &code) ? code : 0;
  }
  c.shell.RequestExit(code & 0xff);
  return code & 0xff;
}

int Export(ShellCall& c) {
  for (size_t i = 1; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    size_t eq = a.find('=');
    if (eq == std::string::npos) continue;  // `export NAME`: already visible to us
    c.shell.SetVar(a.substr(0, eq), a.substr(eq + 1));
  }
  return 0;
}

int Unset(ShellCall& c) {
  for (size_t i = 1; i < c.argv.size(); ++i) c.shell.SetVar(c.argv[i], "");
  return 0;
}

int Exec(ShellCall& c) {
  if (c.argv.size() < 2) return 0;
  std::vector<std::string> rest(c.argv.begin() + 1, c.argv.end());
  c.shell.set_in_exec(true);  // a program run now keeps the shell's pid
  int status = c.shell.RunArgv(std::move(rest), c.io);
  c.shell.set_in_exec(false);
  c.shell.RequestExit(status);
  return status;
}

int Getprop(ShellCall& c) {
  const auto& props = c.phone.properties();
  if (c.argv.size() == 1) {
    std::string out;
    for (const auto& [k, v] : props) absl::StrAppend(&out, "[", k, "]: [", v, "]\n");
    return c.Out(out) ? 0 : 1;
  }
  auto it = props.find(c.argv[1]);
  std::string value = it != props.end()   ? it->second
                      : c.argv.size() > 2 ? c.argv[2]
                                          : std::string();
  return c.Out(absl::StrCat(value, "\n")) ? 0 : 1;
}

int Sleep(ShellCall& c) {
  double secs = 0;
  if (c.argv.size() < 2 || !absl::SimpleAtod(c.argv[1], &secs) || secs < 0) {
    return c.Fail("Need 1 argument");
  }
  // Sleep in slices so a closed stream ends us.
  absl::Time end = absl::Now() + absl::Seconds(secs);
  while (absl::Now() < end) {
    if (c.io.Cancelled()) return 130;
    absl::SleepFor(std::min(absl::Milliseconds(100), end - absl::Now()));
  }
  return 0;
}

// devsimctl logflood N [LINES_PER_S]: appends N numbered lines ("flood seq=I of N",
// tag benchlab-flood, pid 4242) to the main buffer, paced in 1 ms slices (0 or no rate: as
// fast as possible), so a log pipeline can be measured and checked for gaps. The main ring
// holds 4096 entries (`devsimctl logbuffer` changes it): a logcat reader that falls further
// behind loses lines, as on a phone.
int LogFlood(ShellCall& c) {
  uint64_t n = 0;
  double rate = 0;
  if (c.argv.size() < 3 || c.argv.size() > 4 || !absl::SimpleAtoi(c.argv[2], &n) ||
      (c.argv.size() == 4 && (!absl::SimpleAtod(c.argv[3], &rate) || rate < 0))) {
    c.Err("usage: devsimctl logflood N [LINES_PER_S]\n");
    return 2;
  }
  constexpr int32_t kFloodPid = 4242;
  LogBuffer& logs = c.phone.logs();
  const absl::Time start = absl::Now();
  const uint64_t slice = rate > 0 ? std::max<uint64_t>(1, static_cast<uint64_t>(rate / 1000)) : n;
  std::string msg;
  for (uint64_t i = 1; i <= n; ++i) {
    msg.clear();
    absl::StrAppend(&msg, "flood seq=", i, " of ", n);
    logs.Write(LogId::kMain, kFloodPid, kFloodPid, 'I', "benchlab-flood", msg);
    if (i % slice == 0 && rate > 0) {
      if (c.io.Cancelled()) return 130;
      const absl::Time due = start + absl::Seconds(static_cast<double>(i) / rate);
      const absl::Duration wait = due - absl::Now();
      if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    }
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  c.Out(absl::StrFormat("flood lines=%d seconds=%.3f lines_per_s=%.0f\n", n, secs,
                        secs > 0 ? static_cast<double>(n) / secs : 0.0));
  return 0;
}

constexpr char kDevsimctlUsage[] =
    "usage: devsimctl fault NAME|none | devsimctl status |\n"
    "       devsimctl temp CELSIUS (battery) | devsimctl soc-temp CELSIUS |\n"
    "       devsimctl battery LEVEL | devsimctl charging none|usb|ac|wireless |\n"
    "       devsimctl screen on|off | devsimctl noise PCT |\n"
    "       devsimctl slowdown SHA256 PCT | devsimctl slowdown clear |\n"
    "       devsimctl logflood N [LINES_PER_S] | devsimctl logbuffer ENTRIES\n"
    "faults: none graph-missing invalid-flag crash hang bad-model disconnect "
    "unauthorized slow-link delegate-none result-skew\n";

// The run-condition knobs: heat, charge, screen, noise and injected slowdowns.
// Returns -1 when argv is none of them.
int DevsimctlConditions(ShellCall& c) {
  const std::vector<std::string>& a = c.argv;
  auto bad = [&c](const std::string& what) {
    c.Err(absl::StrCat("devsimctl: ", what, "\n"));
    return 2;
  };
  if (a.size() == 3 && (a[1] == "temp" || a[1] == "soc-temp")) {
    double t = 0;
    if (!absl::SimpleAtod(a[2], &t) || t < -20 || t > 90) {
      return bad(absl::StrCat("bad temperature '", a[2], "' (-20..90 °C)"));
    }
    if (a[1] == "temp") {
      c.phone.thermal().SetBatteryTemp(t);
    } else {
      c.phone.thermal().SetSocTemp(t);
    }
    c.Out(absl::StrFormat("%s=%.1f\n", a[1], t));
    return 0;
  }
  if (a.size() == 3 && a[1] == "battery") {
    int level = 0;
    if (!absl::SimpleAtoi(a[2], &level) || level < 0 || level > 100) {
      return bad(absl::StrCat("bad battery level '", a[2], "' (0..100)"));
    }
    c.phone.battery().SetLevel(level);
    c.Out(absl::StrCat("battery=", level, "\n"));
    return 0;
  }
  if (a.size() == 3 && a[1] == "charging") {
    Charger charger;
    if (!ParseCharger(a[2], &charger)) {
      return bad(absl::StrCat("bad charger '", a[2], "' (none, usb, ac, wireless)"));
    }
    c.phone.battery().SetCharger(charger);
    c.Out(absl::StrCat("charging=", ChargerName(charger), "\n"));
    return 0;
  }
  if (a.size() == 3 && a[1] == "screen") {
    if (a[2] != "on" && a[2] != "off") return bad(absl::StrCat("bad screen state '", a[2], "' (on, off)"));
    c.phone.SetScreenOn(a[2] == "on");
    c.Out(absl::StrCat("screen=", a[2], "\n"));
    return 0;
  }
  if (a.size() == 3 && a[1] == "noise") {
    double pct = 0;
    if (!absl::SimpleAtod(a[2], &pct) || pct < 0 || pct > 50) {
      return bad(absl::StrCat("bad noise '", a[2], "' (0..50 %)"));
    }
    c.phone.knobs().SetNoiseCvPct(pct);
    c.Out(absl::StrCat("noise=", FormatPct(pct), "\n"));
    return 0;
  }
  if (a.size() == 3 && a[1] == "slowdown" && a[2] == "clear") {
    c.phone.knobs().ClearSlowdowns();
    c.Out("slowdown=none\n");
    return 0;
  }
  if (a.size() == 4 && a[1] == "slowdown") {
    double pct = 0;
    if (!absl::SimpleAtod(a[3], &pct)) return bad(absl::StrCat("bad percentage '", a[3], "'"));
    if (absl::Status st = c.phone.knobs().SetSlowdown(a[2], pct); !st.ok()) {
      return bad(std::string(st.message()));
    }
    c.Out(absl::StrCat("slowdown=", c.phone.knobs().SlowdownsText(), "\n"));
    return 0;
  }
  return -1;
}

int Devsimctl(ShellCall& c) {
  if (c.argv.size() == 3 && c.argv[1] == "fault") {
    Fault f;
    if (!ParseFault(c.argv[2], &f)) {
      c.Err(absl::StrCat("devsimctl: unknown fault '", c.argv[2], "'\n", kDevsimctlUsage));
      return 2;
    }
    c.Out(absl::StrCat("fault=", FaultName(f), "\n"));
    c.phone.SetFault(f);
    return 0;
  }
  if (const int status = DevsimctlConditions(c); status >= 0) return status;
  if (c.argv.size() >= 2 && c.argv[1] == "logflood") return LogFlood(c);
  if (c.argv.size() == 3 && c.argv[1] == "logbuffer") {
    // The main ring's size in entries (system gets half): a big ring lets a benchmark
    // measure a log pipeline's capacity without the phone's ring overrunning first.
    uint64_t entries = 0;
    if (!absl::SimpleAtoi(c.argv[2], &entries) || entries < 16 || entries > (16u << 20)) {
      c.Err("devsimctl: logbuffer ENTRIES (16..16777216)\n");
      return 2;
    }
    c.phone.logs().SetMaxEntries(entries);
    c.Out(absl::StrCat("logbuffer=", entries, "\n"));
    return 0;
  }
  if (c.argv.size() == 2 && c.argv[1] == "status") {
    const Thermal& t = c.phone.thermal();
    const Battery& b = c.phone.battery();
    c.Out(absl::StrFormat(
        "serial=%s fault=%s temp=%.1f soc_temp=%.1f thermal_status=%s big_freq_pct=%.0f "
        "battery=%d charging=%s screen=%s noise_cv_pct=%s slowdown=%s\n",
        c.phone.profile().serialno, FaultName(c.phone.fault()), b.temp_c(), t.soc_c(),
        ThermalStatusName(t.status()), t.big_freq_factor() * 100, b.level(),
        ChargerName(b.charger()), c.phone.screen_on() ? "on" : "off",
        FormatPct(c.phone.knobs().noise_cv() * 100), c.phone.knobs().SlowdownsText()));
    return 0;
  }
  c.Err(kDevsimctlUsage);
  return 2;
}

// sh -c LINE: a nested shell on the same streams.
int Sh(ShellCall& c) {
  if (c.argv.size() >= 3 && c.argv[1] == "-c") {
    Shell nested(c.phone, c.io);
    return nested.Run(c.argv[2]);
  }
  if (c.argv.size() == 1) return 0;  // reading a script from stdin: nothing to run here
  c.Err(absl::StrCat("/system/bin/sh: can't open '", c.argv[1], "': No such file or directory\n"));
  return 127;
}

int Cd(ShellCall& c) {
  const std::string dir = c.Path(c.argv.size() > 1 ? c.argv[1] : "/");
  absl::StatusOr<VfsStat> st = c.phone.fs().Stat(dir);
  if (!st.ok() || !st->is_dir) {
    c.Err(absl::StrCat("/system/bin/sh: cd: ", c.argv.size() > 1 ? c.argv[1] : "/", ": ",
                       st.ok() ? "Not a directory" : st.status().message(), "\n"));
    return 2;
  }
  c.shell.set_cwd(dir);
  return 0;
}

int Which(ShellCall& c) {
  int status = 0;
  std::string out;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    if (c.argv[i][0] == '-') continue;
    if (ShellCommands().contains(c.argv[i])) {
      absl::StrAppend(&out, "/system/bin/", c.argv[i], "\n");
    } else {
      status = 1;
    }
  }
  c.Out(out);
  return status;
}

}  // namespace

void RegisterBuiltinCommands(ShellCommandTable& t) {
  t["sh"] = Sh;
  t["which"] = Which;
  t["echo"] = Echo;
  t["true"] = [](ShellCall&) { return 0; };
  t[":"] = [](ShellCall&) { return 0; };
  t["false"] = [](ShellCall&) { return 1; };
  t["exit"] = Exit;
  t["export"] = Export;
  t["unset"] = Unset;
  t["exec"] = Exec;
  t["getprop"] = Getprop;
  t["sleep"] = Sleep;
  t["cd"] = Cd;
  t["pwd"] = [](ShellCall& c) { return c.Out(c.shell.cwd() + "\n") ? 0 : 1; };
  t["id"] = [](ShellCall& c) {
    return c.Out(
               "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),"
               "1011(adb),1015(sdcard_rw),1028(sdcard_r),3001(net_bt_admin),3002(net_bt),"
               "3003(inet),3006(net_bw_stats) context=u:r:shell:s0\n")
               ? 0
               : 1;
  };
  t["whoami"] = [](ShellCall& c) { return c.Out("shell\n") ? 0 : 1; };
  t["uname"] = [](ShellCall& c) {
    if (c.argv.size() > 1 && c.argv[1] == "-a") {
      return c.Out(
                 "Linux localhost 5.15.110-android14-11 #1 SMP PREEMPT Mon Feb 5 2024 "
                 "aarch64 Toybox\n")
                 ? 0
                 : 1;
    }
    return c.Out("Linux\n") ? 0 : 1;
  };
  t["devsimctl"] = Devsimctl;
}

}  // namespace benchlab::devsim
