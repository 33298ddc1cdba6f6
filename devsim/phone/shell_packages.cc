// Package and activity commands: pm (install, path, list packages, uninstall, clear,
// grant), `cmd package ...` (the same), am (start, force-stop, kill) and `cmd activity`.
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "devsim/phone/benchmark_app.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/package_manager.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/shell.h"
#include "devsim/phone/vfs.h"

namespace benchlab::devsim {
namespace {

// Reads exactly `size` bytes of stdin (streamed install); fewer if stdin ends first.
std::string ReadExactly(CommandIo& io, int64_t size) {
  std::string data;
  while (static_cast<int64_t>(data.size()) < size) {
    std::string chunk =
        io.ReadStdin(static_cast<size_t>(std::min<int64_t>(size - data.size(), 1 << 20)));
    if (chunk.empty()) break;
    data += chunk;
  }
  return data;
}

int PmInstall(ShellCall& c, size_t first) {
  std::vector<std::string> flags;
  std::string path;
  int64_t size = -1;
  for (size_t i = first; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    if (a == "-S" && i + 1 < c.argv.size()) {
      if (!absl::SimpleAtoi(c.argv[++i], &size) || size < 0) {
        c.Err(absl::StrCat("Error: invalid size: ", c.argv[i], "\n"));
        return 1;
      }
    } else if ((a == "-i" || a == "--user" || a == "--install-reason" || a == "-p" ||
                a == "--originating-uri" || a == "--referrer" || a == "--abi" ||
                a == "--install-location" || a == "--force-uuid") &&
               i + 1 < c.argv.size()) {
      flags.push_back(a);
      flags.push_back(c.argv[++i]);
    } else if (a == "-g" && c.phone.profile().sdk <= 22) {
      // Runtime permissions (and -g) came with 6.0; 5.x's Pm.runInstall refuses it.
      c.Err("Error: Unknown option: -g\n");
      return 1;
    } else if (!a.empty() && a[0] == '-') {
      flags.push_back(a);
    } else {
      path = a;
    }
  }
  if (c.phone.profile().sdk <= 22 && !path.empty()) c.Err(absl::StrCat("\tpkg: ", path, "\n"));
  std::string apk;
  if (size >= 0) {
    apk = ReadExactly(c.io, size);
    if (static_cast<int64_t>(apk.size()) != size) {
      c.Out(absl::StrCat("Failure [INSTALL_FAILED_INVALID_APK: expected ", size, " bytes, got ",
                         apk.size(), "]\n"));
      return 1;
    }
  } else if (!path.empty()) {
    auto data = c.phone.fs().Read(c.Path(path));
    if (!data.ok()) {
      c.Err(absl::StrCat("Error: Unable to open file: ", path,
                         "\nConsider using a file under /data/local/tmp/\n"));
      return 1;
    }
    apk = **data;
  } else {
    c.Err("Error: must either specify a package size or an APK file\n");
    return 1;
  }
  std::string result = c.phone.InstallApk(flags, std::move(apk));
  c.Out(result + "\n");
  return result == "Success" ? 0 : 1;
}

int PackageCommand(ShellCall& c, size_t sub) {
  if (sub >= c.argv.size()) {
    c.Err("usage: pm path|list|install|uninstall|clear|grant ...\n");
    return 1;
  }
  const std::string& verb = c.argv[sub];
  PackageManager& pm = c.phone.packages();
  if (verb == "install" || verb == "install-streamed") return PmInstall(c, sub + 1);
  if (verb == "path") {
    std::string name;
    for (size_t i = sub + 1; i < c.argv.size(); ++i) {
      if (c.argv[i] == "--user") {
        ++i;
      } else {
        name = c.argv[i];
      }
    }
    std::optional<InstalledPackage> p = pm.Find(name);
    if (!p) return 1;
    const std::string path =
        p->apk_path.empty() ? absl::StrCat("/system/app/", name, "/", name, ".apk") : p->apk_path;
    return c.Out(absl::StrCat("package:", path, "\n")) ? 0 : 1;
  }
  if (verb == "list" && sub + 1 < c.argv.size() && c.argv[sub + 1] == "packages") {
    bool show_path = false, third_party = false;
    std::string filter;
    for (size_t i = sub + 2; i < c.argv.size(); ++i) {
      const std::string& a = c.argv[i];
      if (a == "-f")
        show_path = true;
      else if (a == "-3")
        third_party = true;
      else if (a == "--user")
        ++i;
      else if (!a.empty() && a[0] != '-')
        filter = a;
    }
    std::string out;
    for (const InstalledPackage& p : pm.List()) {
      if (third_party && p.apk_path.empty()) continue;
      if (!filter.empty() && !absl::StrContains(p.name, filter)) continue;
      const std::string path = p.apk_path.empty()
                                   ? absl::StrCat("/system/app/", p.name, "/", p.name, ".apk")
                                   : p.apk_path;
      absl::StrAppend(&out, "package:", show_path ? path + "=" : "", p.name, "\n");
    }
    return c.Out(out) ? 0 : 1;
  }
  if (verb == "uninstall") {
    const std::string name = c.argv.back();
    if (name == kBenchmarkPackage) c.phone.app().ForceStop(kPidSystemServer);
    if (!pm.Uninstall(name)) {
      c.Out("Failure [DELETE_FAILED_INTERNAL_ERROR]\n");
      return 1;
    }
    return c.Out("Success\n") ? 0 : 1;
  }
  if (verb == "clear") {
    if (!pm.Find(c.argv.back())) {
      c.Out("Failed\n");
      return 1;
    }
    return c.Out("Success\n") ? 0 : 1;
  }
  if (verb == "grant" || verb == "revoke" || verb == "disable-user" || verb == "enable") {
    return 0;
  }
  c.Err(absl::StrCat("Unknown command: ", verb, "\n"));
  return 1;
}

// "pkg/.Cls" or "pkg/pkg.Cls" -> {pkg, full class name}.
bool ParseComponent(const std::string& s, std::string* pkg, std::string* cls) {
  size_t slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size()) return false;
  *pkg = s.substr(0, slash);
  *cls = s.substr(slash + 1);
  if ((*cls)[0] == '.') *cls = *pkg + *cls;
  return true;
}

std::string ShortComponent(const std::string& pkg, const std::string& cls) {
  if (absl::StartsWith(cls, pkg + ".")) return absl::StrCat(pkg, "/", cls.substr(pkg.size()));
  return absl::StrCat(pkg, "/", cls);
}

int AmStart(ShellCall& c, size_t first) {
  bool stop_first = false, wait = false, has_extras = false;
  std::optional<std::string> args;
  std::string component, action;
  for (size_t i = first; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    auto need = [&](size_t n) { return i + n < c.argv.size(); };
    if (a == "-S") {
      stop_first = true;
    } else if (a == "-W") {
      wait = true;
    } else if (a == "-D" || a == "-N" || a == "--activity-clear-task" ||
               a == "--activity-new-task" || a == "--activity-single-top") {
      continue;
    } else if ((a == "-n") && need(1)) {
      component = c.argv[++i];
    } else if (a == "-a" && need(1)) {
      action = c.argv[++i];
    } else if ((a == "-d" || a == "-t" || a == "-c" || a == "-f" || a == "--user" || a == "-R" ||
                a == "-P" || a == "--start-profiler" || a == "--display") &&
               need(1)) {
      ++i;
    } else if (a == "--es" && need(2)) {
      has_extras = true;
      const std::string& key = c.argv[i + 1];
      if (key == "args" || key == "--args") args = c.argv[i + 2];
      i += 2;
    } else if ((a == "--ez" || a == "--ei" || a == "--el" || a == "--ef" || a == "--eu" ||
                a == "--ecn" || a == "--esa" || a == "--eia" || a == "--ela" || a == "--efa" ||
                a == "--ed") &&
               need(2)) {
      has_extras = true;
      i += 2;
    } else if (a == "--esn" && need(1)) {
      has_extras = true;
      ++i;
    } else if (!a.empty() && a[0] == '-') {
      c.Err(absl::StrCat("Error: Unknown option: ", a, "\n"));
      return 255;
    } else {
      component = a;
    }
  }
  std::string pkg, cls;
  if (!ParseComponent(component, &pkg, &cls)) {
    c.Err("Error: Intent does not match any activities\n");
    return 255;
  }
  const bool found =
      pkg == kBenchmarkPackage && cls == kBenchmarkActivity && c.phone.packages().Find(pkg);
  if (stop_first && found) {
    // am resolves the package and force-stops it first (real am then sleeps 250 ms; the
    // simulator does not, so runs start at once).
    c.Out(absl::StrCat("Stopping: ", pkg, "\n"));
  }
  c.Out(absl::StrCat("Starting: Intent { ", action.empty() ? "" : "act=" + action + " ",
                     "cmp=", ShortComponent(pkg, cls), has_extras ? " (has extras)" : "", " }\n"));
  if (!found) {
    // To stderr unless -W, and exit status 1, as ActivityManagerShellCommand does.
    const std::string msg =
        absl::StrCat("Error type 3\nError: Activity class {", pkg, "/", cls, "} does not exist.\n");
    wait ? c.Out(msg) : c.Err(msg);
    return 1;
  }
  // `am` itself is a short-lived process; its pid is the "from pid" of the force-stop line.
  const int32_t am_pid = c.phone.procs().Spawn("app_process");
  c.phone.app().Launch(args, has_extras, stop_first, am_pid);
  c.phone.procs().Kill(am_pid);
  if (wait) {
    c.Out(absl::StrCat("Status: ok\nLaunchState: COLD\nActivity: ", ShortComponent(pkg, cls),
                       "\nTotalTime: 412\nWaitTime: 418\nComplete\n"));
  }
  return 0;
}

int ActivityCommand(ShellCall& c, size_t sub) {
  if (sub >= c.argv.size()) {
    c.Err("usage: am start|force-stop|kill ...\n");
    return 1;
  }
  const std::string& verb = c.argv[sub];
  if (verb == "start" || verb == "start-activity") return AmStart(c, sub + 1);
  if (verb == "force-stop" || verb == "kill" || verb == "stop-app") {
    if (sub + 1 >= c.argv.size()) {
      c.Err("Error: no package specified\n");
      return 255;
    }
    if (c.argv.back() == kBenchmarkPackage) {
      const int32_t am_pid = c.phone.procs().Spawn("app_process");
      if (verb == "kill") {
        if (c.phone.app().pid() != 0) c.phone.app().ForceStop(am_pid);
      } else {
        c.phone.app().ForceStop(am_pid);
      }
      c.phone.procs().Kill(am_pid);
    }
    return 0;
  }
  c.Err(absl::StrCat("Error: Unknown command: ", verb, "\n"));
  return 255;
}

// run-as PKG CMD...: runs CMD as the app, in its data directory (AOSP
// system/core/run-as/run-as.cpp: it chdirs to the package's data dir before exec). Only an
// installed, debuggable package; the refusals are run-as.cpp's error() lines, exit 1.
int RunAs(ShellCall& c) {
  if (c.argv.size() < 2) {
    c.Err("usage: run-as <package-name> [--user <uid>] <command> [<args>]\n");
    return 1;
  }
  const std::optional<InstalledPackage> pkg = c.phone.packages().Find(c.argv[1]);
  if (!pkg || pkg->apk_path.empty()) {
    c.Err(absl::StrCat("run-as: unknown package: ", c.argv[1], "\n"));
    return 1;
  }
  if (!pkg->debuggable) {
    c.Err(absl::StrCat("run-as: package not debuggable: ", c.argv[1], "\n"));
    return 1;
  }
  if (c.argv.size() == 2) return 0;
  std::vector<std::string> rest(c.argv.begin() + 2, c.argv.end());
  const std::string cwd = c.shell.cwd();
  c.shell.set_cwd(pkg->data_dir);
  const int status = c.shell.RunArgv(std::move(rest), c.io);
  c.shell.set_cwd(cwd);
  return status;
}

int Cmd(ShellCall& c) {
  if (c.argv.size() < 2) {
    c.Err("cmd: No service specified; use -l to list all running services.\n");
    return 20;
  }
  const std::string& service = c.argv[1];
  if (service == "-l") {
    return c.Out("Currently running services:\n  activity\n  battery\n  package\n") ? 0 : 1;
  }
  if (service == "package") return PackageCommand(c, 2);
  if (service == "activity") return ActivityCommand(c, 2);
  c.Err(absl::StrCat("cmd: Can't find service: ", service, "\n"));
  return 20;
}

}  // namespace

// dumpsys package PKG: the few fields scripts grep for.
// `dumpsys package NAME`: the package's block as PackageManagerService's dumpPackageLPr
// prints it (frameworks/base services/core/java/com/android/server/pm/Settings.java,
// later ComputerEngine/PackageSetting dumps): "versionCode=N targetSdk=T" before 7.0,
// "versionCode=N minSdk=M targetSdk=T" from 7.0, then "minExtensionVersions=[]" from 12,
// then "versionName=X".
int DumpsysPackage(ShellCall& c, const std::string& name) {
  std::optional<InstalledPackage> p = c.phone.packages().Find(name);
  if (!p) return c.Out(absl::StrCat("Unable to find package: ", name, "\n")) ? 0 : 1;
  const int sdk = c.phone.profile().sdk;
  const std::string code_path = p->apk_path.empty() ? absl::StrCat("/system/app/", name)
                                                    : Vfs::Normalize(p->apk_path + "/..");
  std::string versions = absl::StrCat("    versionCode=", p->version_code);
  if (sdk >= 24) absl::StrAppend(&versions, " minSdk=", p->min_sdk);
  absl::StrAppend(&versions, " targetSdk=", p->target_sdk, "\n");
  if (sdk >= 31) versions += "    minExtensionVersions=[]\n";
  return c.Out(absl::StrCat("Packages:\n  Package [", name, "] (8c1f2a0):\n    userId=", p->uid,
                            "\n    pkg=Package{3f5e1c2 ", name, "}\n    codePath=", code_path,
                            "\n", versions, "    versionName=", p->version_name,
                            "\n    flags=[ DEBUGGABLE HAS_CODE ALLOW_CLEAR_USER_DATA ]\n"))
             ? 0
             : 1;
}

void RegisterPackageCommands(ShellCommandTable& t) {
  t["pm"] = [](ShellCall& c) { return PackageCommand(c, 1); };
  t["am"] = [](ShellCall& c) { return ActivityCommand(c, 1); };
  t["cmd"] = Cmd;
  t["run-as"] = RunAs;
}

}  // namespace benchlab::devsim
