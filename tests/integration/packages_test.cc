// The Debian packages as a lab admin gets them: `cpack -G DEB` on this build, then each
// .deb read with dpkg-deb (control fields, files and modes, conffiles, maintainer
// scripts), its binary run from the unpacked tree, and its systemd unit scored by
// `systemd-analyze security --offline=true` against the targets of deploy/README.md.
// One test: cpack runs once (about 20 s on the 2-core machine).
#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/version.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

using testing::RunResult;

struct Package {
  std::string name;          // Debian package name
  std::string program;       // its binary in /usr/bin
  std::string unit;          // its systemd unit, or ""
  std::string config;        // its conffile under /etc/benchlab, or ""
  std::vector<std::string> depends;  // names Depends must hold
  double max_exposure = 0;   // systemd-analyze security target
};

// `dpkg-deb -c`: path -> "mode owner/group" (e.g. "-rwxr-xr-x root/root").
std::map<std::string, std::string> Contents(const std::string& deb) {
  std::map<std::string, std::string> out;
  RunResult r = testing::Run({"dpkg-deb", "-c", deb});
  for (absl::string_view line : absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 6) continue;
    std::string path(f[5]);
    if (path.size() > 1 && path.back() == '/') path.pop_back();
    out[path] = absl::StrCat(f[0], " ", f[1]);
  }
  return out;
}

std::string Field(const std::string& deb, const std::string& field) {
  RunResult r = testing::Run({"dpkg-deb", "-f", deb, field});
  return std::string(absl::StripAsciiWhitespace(r.output));
}

int Mode(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// The "Overall exposure level for X: N.N OK" figure, or -1.
double Exposure(const std::string& output) {
  size_t at = output.find("Overall exposure level for");
  if (at == std::string::npos) return -1;
  at = output.find(": ", at);
  if (at == std::string::npos) return -1;
  std::vector<absl::string_view> words = absl::StrSplit(output.substr(at + 2), ' ');
  double value = -1;
  return !words.empty() && absl::SimpleAtod(words[0], &value) ? value : -1;
}

TEST(PackagesTest, CpackMakesTheThreeDebsWithUnitsConfigsUsersAndModes) {
  testing::TempDir dir;
  RunResult cpack = testing::Run({"cpack", "-G", "DEB", "--config", BENCHLAB_CPACK_CONFIG, "-B", dir.path()}, {},
                        absl::Seconds(170));
  ASSERT_EQ(cpack.exit_code, 0) << cpack.output;

  const std::vector<Package> packages = {
      {.name = "benchlab-coordinator",
       .program = "benchlab-coordinator",
       .unit = "benchlab-coordinator.service",
       .config = "coordinator.toml",
       .depends = {"adduser", "libgrpc++", "libsqlite3"},
       .max_exposure = 2.5},
      {.name = "benchlab-agent",
       .program = "benchlab-agent",
       .unit = "benchlab-agent.service",
       .config = "agent.toml",
       .depends = {"adb", "adduser", "libc6"},
       .max_exposure = 4.0},
      {.name = "benchlab", .program = "benchlab", .depends = {"libc6", "libgrpc++"}},
  };
  RunResult arch = testing::Run({"dpkg", "--print-architecture"});
  for (const Package& p : packages) {
    SCOPED_TRACE(p.name);
    const std::string deb =
        absl::StrCat(dir.path(), "/", p.name, "_", kVersion, "_", absl::StripAsciiWhitespace(arch.output), ".deb");
    ASSERT_EQ(Mode(deb) >= 0, true) << "no " << deb << " in:\n" << testing::Run({"ls", dir.path()}).output << cpack.output;
    EXPECT_EQ(Field(deb, "Package"), p.name);
    EXPECT_EQ(Field(deb, "Version"), kVersion);
    const std::string depends = Field(deb, "Depends");
    for (const std::string& d : p.depends) EXPECT_TRUE(absl::StrContains(depends, d)) << d << " in " << depends;

    // Files, owners and modes.
    std::map<std::string, std::string> files = Contents(deb);
    EXPECT_EQ(files["./usr/bin/" + p.program], "-rwxr-xr-x root/root");
    for (const auto& [path, mode] : files) {
      EXPECT_FALSE(absl::StartsWith(path, "./usr/local")) << path;
      EXPECT_FALSE(absl::StrContains(path, "test") || absl::StrContains(path, "devsim")) << path;
      EXPECT_TRUE(absl::EndsWith(mode, " root/root")) << path << " " << mode;
    }
    if (!p.unit.empty()) {
      EXPECT_EQ(files["./lib/systemd/system/" + p.unit], "-rw-r--r-- root/root");
    }
    if (!p.config.empty()) {
      EXPECT_EQ(files["./etc/benchlab/" + p.config], "-rw-r--r-- root/root");
    }
    if (!p.unit.empty()) {  // the units' Documentation= file
      EXPECT_EQ(files["./usr/share/doc/" + p.name + "/README.md"], "-rw-r--r-- root/root");
    }

    // Control files: conffiles, and maintainer scripts that parse and make the user.
    const std::string control = absl::StrCat(dir.path(), "/control-", p.name);
    ASSERT_EQ(testing::Run({"dpkg-deb", "-e", deb, control}).exit_code, 0);
    if (p.config.empty()) {
      EXPECT_EQ(Mode(control + "/postinst"), -1) << "the CLI needs no user";
    } else {
      EXPECT_EQ(testing::ReadFile(control + "/conffiles"), "/etc/benchlab/" + p.config + "\n");
      for (const char* script : {"postinst", "prerm"}) {
        EXPECT_EQ(Mode(control + "/" + script), 0755) << script;
        RunResult syntax = testing::Run({"sh", "-n", control + "/" + script});
        EXPECT_EQ(syntax.exit_code, 0) << script << ": " << syntax.output;
      }
      const std::string postinst = testing::ReadFile(control + "/postinst");
      EXPECT_TRUE(absl::StrContains(postinst, "adduser --system --group")) << postinst;
      EXPECT_TRUE(absl::StrContains(postinst, "-o benchlab -g benchlab -m 0750 /var/lib/")) << postinst;
      const char* own = p.name == "benchlab-agent" ? "adduser --quiet benchlab plugdev" : "chmod 0600 /etc/benchlab/tokens";
      EXPECT_TRUE(absl::StrContains(postinst, own)) << postinst;
    }

    // The packaged (stripped) binary runs, and its unit's ExecStart names it and its conffile.
    const std::string root = absl::StrCat(dir.path(), "/root-", p.name);
    ASSERT_EQ(testing::Run({"dpkg-deb", "-x", deb, root}).exit_code, 0);
    RunResult version = testing::Run({root + "/usr/bin/" + p.program, "--version"});
    EXPECT_EQ(version.output, absl::StrCat(p.program, " ", kVersion, "\n"));
    if (p.unit.empty()) continue;
    const std::string unit = root + "/lib/systemd/system/" + p.unit;
    EXPECT_TRUE(absl::StrContains(testing::ReadFile(unit),
                                  absl::StrCat("ExecStart=/usr/bin/", p.program, " --config /etc/benchlab/", p.config, "\n")));
    RunResult security = testing::Run({"systemd-analyze", "security", "--offline=true", unit});
    const double exposure = Exposure(security.output);
    EXPECT_GE(exposure, 0) << security.output;
    EXPECT_LE(exposure, p.max_exposure) << security.output;
  }
}

}  // namespace
}  // namespace benchlab
