// Shell commands of the simulated phone: files, system info, packages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/android_version.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class ShellTest : public ::testing::Test {
 protected:
  ShellTest() : phone_(MakeProfile(3, 1), 3, absl::Milliseconds(400)) {
    phone_.SetBackgroundLogs(false);
  }
  ShResult Sh(absl::string_view line, std::string in = "") {
    return RunSh(phone_, line, std::move(in));
  }
  Phone phone_;
};

TEST_F(ShellTest, FileCommands) {
  ASSERT_EQ(Sh("echo hello > /data/local/tmp/h.txt").status, 0);
  EXPECT_EQ(Sh("cat /data/local/tmp/h.txt").out, "hello\n");
  EXPECT_EQ(Sh("sha256sum /data/local/tmp/h.txt").out,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  "
            "/data/local/tmp/h.txt\n");
  EXPECT_EQ(Sh("stat -c %s /data/local/tmp/h.txt").out, "6\n");
  EXPECT_EQ(Sh("ls /data/local/tmp").out, "h.txt\n");
  EXPECT_THAT(Sh("ls -l /data/local/tmp").out, HasSubstr("-rw-r--r-- 1 shell shell"));

  ShResult missing = Sh("ls /data/local/tmp/nope");
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "ls: /data/local/tmp/nope: No such file or directory\n");
  EXPECT_EQ(Sh("cat /nope").status, 1);
  EXPECT_EQ(Sh("rm /data/local/tmp/nope").status, 1);
  EXPECT_EQ(Sh("rm -f /data/local/tmp/nope").status, 0);

  EXPECT_EQ(Sh("mkdir -p /data/local/tmp/benchlab/models").status, 0);
  EXPECT_EQ(Sh("mkdir /data/local/tmp/benchlab").status, 1);
  EXPECT_EQ(Sh("rm /data/local/tmp/benchlab").status, 1);  // a directory
  EXPECT_EQ(Sh("rm -rf /data/local/tmp/benchlab && echo gone").out, "gone\n");
  EXPECT_FALSE(phone_.fs().Exists("/data/local/tmp/benchlab"));
  EXPECT_THAT(Sh("stat /data/local/tmp").out, HasSubstr("directory"));
}

TEST_F(ShellTest, GlobsAndPipes) {
  ASSERT_EQ(Sh("mkdir -p /data/local/tmp/b && touch /data/local/tmp/b/x.tflite "
               "/data/local/tmp/b/y.tflite /data/local/tmp/b/z.txt")
                .status,
            0);
  EXPECT_EQ(Sh("ls /data/local/tmp/b/*.tflite").out,
            "/data/local/tmp/b/x.tflite\n/data/local/tmp/b/y.tflite\n");
  EXPECT_EQ(Sh("echo '/data/local/tmp/b/*'").out, "/data/local/tmp/b/*\n");  // quoted
  EXPECT_EQ(Sh("rm -rf /data/local/tmp/b/* && ls /data/local/tmp/b").out, "");
  EXPECT_EQ(Sh("dumpsys battery | grep temperature | wc -l").out, "1\n");
  EXPECT_EQ(Sh("pm list packages | grep -c android").out, "10\n");
  EXPECT_EQ(Sh("getprop | grep -q ro.serialno && echo found").out, "found\n");
  EXPECT_EQ(Sh("getprop | grep nothing-here").status, 1);
  EXPECT_EQ(Sh("getprop | head -n 2 | tail -1").out, "[persist.sys.timezone]: [Etc/UTC]\n");
}

TEST_F(ShellTest, WorkingDirectory) {
  EXPECT_EQ(Sh("pwd").out, "/\n");
  EXPECT_EQ(Sh("cd /data/local/tmp && echo x > rel.txt && pwd && ls && cat ./rel.txt").out,
            "/data/local/tmp\nrel.txt\nx\n");
  EXPECT_TRUE(phone_.fs().Exists("/data/local/tmp/rel.txt"));
  EXPECT_EQ(Sh("cd /data/local/tmp; ls *.txt; rm rel.txt; ls").out, "rel.txt\n");
  EXPECT_EQ(Sh("cd /nope").status, 2);
  EXPECT_EQ(Sh("pwd").out, "/\n");  // each command line starts at /
}

TEST_F(ShellTest, InteractiveShellKeepsStateUntilExit) {
  StringIo io("cd /data/local/tmp\nexport A=1\necho $A; pwd\nexit 4\necho never\n");
  EXPECT_EQ(phone_.RunInteractive(io), 4);
  const std::string p = phone_.profile().device;
  EXPECT_EQ(io.out(),
            absl::StrCat(p, ":/ $ ", p, ":/data/local/tmp $ ", p,
                         ":/data/local/tmp $ 1\n/data/local/tmp\n", p, ":/data/local/tmp $ "));
}

TEST_F(ShellTest, DateFormats) {
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  int64_t secs = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripTrailingAsciiWhitespace(Sh("date +%s").out), &secs));
  EXPECT_GE(secs, before);
  EXPECT_LE(secs, before + 2);
  EXPECT_THAT(Sh("date +%s.%3N").out, MatchesRegex("[0-9]+\\.[0-9][0-9][0-9]\n"));
  EXPECT_THAT(Sh("date +%N").out, MatchesRegex("[0-9]{9}\n"));
  EXPECT_THAT(Sh("date '+%Y-%m-%d %H:%M:%S'").out,
              MatchesRegex("20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\n"));
  EXPECT_THAT(Sh("date").out,
              MatchesRegex("[A-Z][a-z][a-z] [A-Z][a-z][a-z] .* UTC 20[0-9][0-9]\n"));
}

// `date` of older releases: bionic's strftime drops the '%' of a conversion it does not
// know (toolbox on 5.1, toybox before 0.7.4 on 6.0-8.0); toybox 0.7.4 (8.1) has %N.
PhoneProfile ProfileOf(absl::string_view release) {
  PhoneProfile p = MakeProfile(3, 1);
  AndroidRelease r;
  EXPECT_TRUE(ParseAndroidRelease(release, &r)) << release;
  p.android_release = r.release;
  p.sdk = r.sdk;
  return p;
}

TEST(OldAndroidDateTest, PercentNIsToyboxFrom074Only) {
  for (absl::string_view release : {"5.1", "6.0", "8.0"}) {
    Phone phone(ProfileOf(release), 3, absl::Milliseconds(400));
    phone.SetBackgroundLogs(false);
    EXPECT_THAT(RunSh(phone, "date +%s.%3N").out, MatchesRegex("[0-9]+\\.3N\n")) << release;
    EXPECT_THAT(RunSh(phone, "date +%s").out, MatchesRegex("[0-9]+\n")) << release;
    EXPECT_EQ(RunSh(phone, "date +%N%%").out, "N%\n") << release;
    EXPECT_THAT(RunSh(phone, "date '+%m-%d %H:%M:%S'").out,
                MatchesRegex("[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\n"));
  }
  Phone toolbox(ProfileOf("5.1"), 3, absl::Milliseconds(400));
  EXPECT_THAT(RunSh(toolbox, "date -u").out, MatchesRegex(".* GMT 20[0-9][0-9]\n"));
  ShResult bad = RunSh(toolbox, "date -x");
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.err, HasSubstr("invalid option -x"));
  for (absl::string_view release : {"8.1", "14"}) {
    Phone phone(ProfileOf(release), 3, absl::Milliseconds(400));
    EXPECT_THAT(RunSh(phone, "date +%s.%3N").out, MatchesRegex("[0-9]+\\.[0-9]{3}\n"));
    EXPECT_THAT(RunSh(phone, "date +%%N.%1N").out, MatchesRegex("%N\\.[0-9]\n"));
  }
}

TEST_F(ShellTest, DfShowsDataPartition) {
  std::string out = Sh("df /data/local/tmp").out;
  EXPECT_THAT(out, StartsWith("Filesystem "));
  EXPECT_THAT(out,
              MatchesRegex("(.|\n)*/dev/block/dm-48 +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+% /data\n"));
}

TEST_F(ShellTest, DumpsysBatteryAndDevsimctlTemp) {
  std::string out = Sh("dumpsys battery").out;
  EXPECT_THAT(out, StartsWith("Current Battery Service state:\n"));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("\n  level: ", phone_.profile().battery_level, "\n")));
  EXPECT_THAT(out, HasSubstr("\n  temperature: "));
  ASSERT_EQ(Sh("devsimctl temp 41.5").status, 0);
  EXPECT_THAT(Sh("dumpsys battery").out, HasSubstr("\n  temperature: 415\n"));
}

TEST_F(ShellTest, PmInstallFromFileThenPathAndHash) {
  const std::string apk = MakeFakeApk();
  ASSERT_EQ(apk.compare(0, 4, "PK\x03\x04"), 0);
  ASSERT_TRUE(phone_.fs().Write("/data/local/tmp/app.apk", apk).ok());
  ShResult install = Sh("pm 'install' '-r' '-d' '-g' '/data/local/tmp/app.apk'");
  EXPECT_EQ(install.status, 0);
  EXPECT_EQ(install.out, "Success\n");

  ShResult path = Sh("pm path org.tensorflow.lite.benchmark");
  EXPECT_EQ(path.status, 0);
  EXPECT_THAT(path.out, MatchesRegex("package:/data/app/~~[A-Za-z0-9_-]{22}==/"
                                     "org\\.tensorflow\\.lite\\.benchmark-[A-Za-z0-9_-]{22}==/"
                                     "base\\.apk\n"));
  const std::string apk_path = path.out.substr(8, path.out.size() - 9);
  EXPECT_EQ(Sh(absl::StrCat("sha256sum ", apk_path)).out.substr(0, 64),
            Sh("sha256sum /data/local/tmp/app.apk").out.substr(0, 64));
  EXPECT_THAT(Sh("pm list packages").out, HasSubstr("package:org.tensorflow.lite.benchmark\n"));
  EXPECT_EQ(Sh("pm list packages -3").out, "package:org.tensorflow.lite.benchmark\n");
  EXPECT_EQ(Sh("pm path com.example.none").status, 1);

  // Reinstalling moves the code to a new directory and removes the old one.
  ASSERT_EQ(Sh("pm install -r /data/local/tmp/app.apk").status, 0);
  EXPECT_NE(Sh("pm path org.tensorflow.lite.benchmark").out, path.out);
  EXPECT_FALSE(phone_.fs().Exists(apk_path));
}

TEST_F(ShellTest, InstallFailuresAndStreamedInstall) {
  ASSERT_TRUE(phone_.fs().Write("/data/local/tmp/bad.apk", "not a zip").ok());
  ShResult bad = Sh("pm install /data/local/tmp/bad.apk");
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.out, StartsWith("Failure [INSTALL_PARSE_FAILED_NOT_APK: "));
  EXPECT_EQ(Sh("pm install /data/local/tmp/missing.apk").status, 1);

  const std::string apk = MakeFakeApk(20000);
  EXPECT_NEAR(static_cast<double>(apk.size()), 20000, 200);
  StringIo io(apk);
  EXPECT_EQ(phone_.InstallStreamed({"-r", "-d", "-g"}, static_cast<int64_t>(apk.size()), io), 0);
  EXPECT_EQ(io.out(), "Success\n");

  StringIo bad_io("hello world");
  EXPECT_EQ(phone_.InstallStreamed({}, 11, bad_io), 1);
  EXPECT_THAT(bad_io.out(), StartsWith("Failure [INSTALL_PARSE_FAILED_NOT_APK"));

  StringIo abb_io(apk);
  EXPECT_EQ(
      phone_.RunArgv({"cmd", "package", "install", "-r", "-S", std::to_string(apk.size())}, abb_io),
      0);
  EXPECT_EQ(abb_io.out(), "Success\n");
  StringIo path_io;
  EXPECT_EQ(phone_.RunArgv({"cmd", "package", "path", "org.tensorflow.lite.benchmark"}, path_io),
            0);
  EXPECT_THAT(path_io.out(), StartsWith("package:/data/app/~~"));

  ShResult streamed = Sh(absl::StrCat("cmd package 'install' '-r' -S ", apk.size()), apk);
  EXPECT_EQ(streamed.status, 0);
  EXPECT_EQ(streamed.out, "Success\n");
}

TEST_F(ShellTest, NestedShellRunAsWhichAndDumpsysPackage) {
  EXPECT_EQ(Sh("sh -c 'echo a; echo b'").out, "a\nb\n");
  EXPECT_EQ(Sh("which logcat").out, "/system/bin/logcat\n");
  EXPECT_EQ(Sh("which nosuch").status, 1);
  EXPECT_EQ(Sh("run-as org.tensorflow.lite.benchmark id").status, 1);  // not installed
  const std::string apk = MakeFakeApk();
  StringIo io(apk);
  ASSERT_EQ(phone_.InstallStreamed({}, static_cast<int64_t>(apk.size()), io), 0);
  EXPECT_EQ(Sh("run-as org.tensorflow.lite.benchmark echo hi").out, "hi\n");
  EXPECT_THAT(Sh("dumpsys package org.tensorflow.lite.benchmark | grep versionName").out,
              HasSubstr("versionName=devsim"));
}

TEST_F(ShellTest, AmStartWhenNotInstalled) {
  ShResult r =
      Sh("am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity "
         "--es args '--graph=/data/local/tmp/m.tflite'");
  EXPECT_EQ(r.out,
            "Starting: Intent { cmp=org.tensorflow.lite.benchmark/.BenchmarkModelActivity "
            "(has extras) }\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("Error: Activity class {org.tensorflow.lite.benchmark/"
                               "org.tensorflow.lite.benchmark.BenchmarkModelActivity} does "
                               "not exist.\n"));
  EXPECT_EQ(Sh("pidof org.tensorflow.lite.benchmark").status, 1);
}

TEST(FakeArtifactsTest, ModelAndApkBytes) {
  std::string m = MakeFakeModel(1000, 1);
  EXPECT_EQ(m.size(), 1000u);
  EXPECT_EQ(m.substr(4, 4), "TFL3");
  EXPECT_EQ(m, MakeFakeModel(1000, 1));
  EXPECT_NE(m, MakeFakeModel(1000, 2));
  EXPECT_EQ(ApkPackageName(MakeFakeApk()).value_or(""), "org.tensorflow.lite.benchmark");
  EXPECT_EQ(MakeFakeApk(), MakeFakeApk());
}

}  // namespace
}  // namespace benchlab::devsim
