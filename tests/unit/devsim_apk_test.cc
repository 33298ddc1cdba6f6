// devsim's APKs: the fake APK's manifest is deflated binary XML that aapt reads back, and
// the package manager reads `package` from binary XML (UTF-16 and UTF-8 pools) through
// the zip's central directory, refusing what the platform refuses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "devsim/phone/android_version.h"
#include "devsim/phone/binary_xml.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/zip_reader.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

uint16_t U16(const std::string& b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) | (static_cast<uint8_t>(b[at + 1]) << 8));
}

// Runs `command`, returns its stdout (empty on failure to start).
std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string Install(const std::string& apk, const char* release = nullptr) {
  PhoneProfile profile = MakeProfile(7, 0);
  AndroidRelease r;
  if (release != nullptr && ParseAndroidRelease(release, &r)) {
    profile.android_release = r.release;
    profile.sdk = r.sdk;
  }
  Phone phone(profile, 7, absl::Milliseconds(400));
  phone.SetBackgroundLogs(false);
  StringIo io(apk);
  phone.InstallStreamed({"-r"}, static_cast<int64_t>(apk.size()), io);
  return io.out();
}

TEST(DevsimApkTest, FakeApkManifestIsDeflatedBinaryXml) {
  const std::string apk = MakeFakeApk();
  // The central directory's first entry is the manifest, method 8 (deflate).
  const size_t entry = apk.find("PK\x01\x02");
  ASSERT_NE(entry, std::string::npos);
  EXPECT_EQ(apk.substr(entry + 46, 19), "AndroidManifest.xml");
  EXPECT_EQ(U16(apk, entry + 10), 8);
  auto manifest = ReadZipEntry(apk, "AndroidManifest.xml");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(U16(*manifest, 0), 0x0003);  // RES_XML_TYPE
  EXPECT_EQ(U16(*manifest, 8), 0x0001);  // then the string pool
  EXPECT_EQ(manifest->find("package: "), std::string::npos) << "no text marker any more";
  EXPECT_EQ(ApkPackageName(apk).value_or(""), "org.tensorflow.lite.benchmark");
  EXPECT_EQ(ApkPackageName(MakeFakeApk(30000, "org.example.other")).value_or(""),
            "org.example.other");
}

TEST(DevsimApkTest, AaptReadsTheFakeManifestBack) {
  if (access("/usr/bin/aapt", X_OK) != 0) {
    GTEST_SKIP() << "aapt is not installed (Debian package aapt; deploy/setup.sh installs it)";
  }
  const std::string path = ::testing::TempDir() + "/devsim_apk_test.apk";
  std::ofstream(path, std::ios::binary) << MakeFakeApk();
  const std::string tree = Capture(absl::StrCat("aapt dump xmltree ", path, " AndroidManifest.xml 2>&1"));
  EXPECT_THAT(tree, HasSubstr("E: manifest"));
  EXPECT_THAT(tree, HasSubstr("A: package=\"org.tensorflow.lite.benchmark\""));
  EXPECT_THAT(tree, HasSubstr("A: android:versionCode(0x0101021b)=(type 0x10)0x1"));
  EXPECT_THAT(tree, HasSubstr("A: android:minSdkVersion(0x0101020c)=(type 0x10)0x17"));
  EXPECT_THAT(tree, HasSubstr("A: android:name(0x01010003)=\".BenchmarkModelActivity\""));
  // Versions as given, read by aapt and by devsim's own manifest reader alike.
  const std::string apk = MakeFakeApk(0, kBenchmarkPackage, 21, 4217, "2.16.1 beta");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << apk;
  EXPECT_THAT(Capture(absl::StrCat("aapt dump badging ", path, " 2>&1")),
              HasSubstr("package: name='org.tensorflow.lite.benchmark' versionCode='4217' "
                        "versionName='2.16.1 beta'"));
  auto manifest = ReadBinaryManifest(*ReadZipEntry(apk, "AndroidManifest.xml"));
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->version_code, 4217);
  EXPECT_EQ(manifest->version_name, "2.16.1 beta");
  EXPECT_TRUE(manifest->has_version_name);
  EXPECT_EQ(manifest->min_sdk, 21);
  EXPECT_EQ(manifest->target_sdk, 31);
  std::remove(path.c_str());
}

TEST(DevsimApkTest, PackageFromUtf8AndUtf16Pools) {
  BinaryXmlElement manifest{
      "manifest",
      {BinaryXmlAttribute{true, "versionCode", 0x0101021b, BinaryXmlAttribute::Type::kIntDec, "", 7},
       BinaryXmlAttribute{false, "package", 0, BinaryXmlAttribute::Type::kString, "com.example.app", 0}},
      {}};
  for (bool utf8 : {false, true}) {
    auto pkg = BinaryManifestPackage(WriteBinaryXml(manifest, utf8));
    ASSERT_TRUE(pkg.ok()) << pkg.status();
    EXPECT_EQ(*pkg, "com.example.app");
    // No versionName, no <uses-sdk>: `dumpsys package` says versionName=null, minSdk 1.
    auto full = ReadBinaryManifest(WriteBinaryXml(manifest, utf8));
    ASSERT_TRUE(full.ok()) << full.status();
    EXPECT_EQ(full->version_code, 7);
    EXPECT_FALSE(full->has_version_name);
    EXPECT_EQ(full->min_sdk, 1);
    EXPECT_EQ(full->target_sdk, 0);
  }
  manifest.name = "application";
  EXPECT_THAT(BinaryManifestPackage(WriteBinaryXml(manifest, false)).status().message(),
              HasSubstr("not <manifest>"));
}

TEST(DevsimApkTest, PackageManagerRefusesWhatThePlatformRefuses) {
  EXPECT_EQ(Install(MakeFakeApk()), "Success\n");
  // The old fake format: a text manifest with a marker is no binary XML.
  EXPECT_THAT(BinaryManifestPackage("<manifest package: org.x.y>").status().message(),
              HasSubstr("no RES_XML_TYPE header"));
  EXPECT_THAT(Install(MakeFakeApk(0, "nodots")),
              StartsWith("Failure [INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME: "));
  // A damaged manifest entry: the deflated data or its CRC no longer checks out.
  std::string damaged = MakeFakeApk();
  const size_t local = damaged.find("AndroidManifest.xml") + 19;
  damaged[local + 3] = static_cast<char>(damaged[local + 3] ^ 0x55);
  EXPECT_THAT(Install(damaged), StartsWith("Failure [INSTALL_PARSE_FAILED_NOT_APK: "));
  // A zip without a manifest.
  std::string no_manifest = MakeFakeApk();
  const size_t cd_name = no_manifest.rfind("AndroidManifest.xml");
  no_manifest.replace(cd_name, 19, "AndroidManifest.txt");
  EXPECT_THAT(Install(no_manifest), StartsWith("Failure [INSTALL_PARSE_FAILED_BAD_MANIFEST: "));
}

// <uses-sdk android:minSdkVersion> is read from the binary manifest; a phone of a lower
// SDK refuses the APK with the words its release's pm prints.
TEST(DevsimApkTest, MinSdkAboveThePhonesIsRefusedAsOlderSdk) {
  for (int min_sdk : {21, 23, 26}) {
    auto manifest = ReadZipEntry(MakeFakeApk(0, kBenchmarkPackage, min_sdk), "AndroidManifest.xml");
    ASSERT_TRUE(manifest.ok()) << manifest.status();
    auto read = ReadBinaryManifest(*manifest);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->min_sdk, min_sdk);
    EXPECT_EQ(read->package, kBenchmarkPackage);
  }
  EXPECT_EQ(Install(MakeFakeApk(), "5.1"), "Failure [INSTALL_FAILED_OLDER_SDK]\n");
  EXPECT_EQ(Install(MakeFakeApk(0, kBenchmarkPackage, 21), "5.1"), "Success\n");
  EXPECT_EQ(Install(MakeFakeApk(), "6.0"), "Success\n");
  EXPECT_THAT(Install(MakeFakeApk(0, kBenchmarkPackage, 26), "7.1"),
              ::testing::AllOf(StartsWith("Failure [INSTALL_FAILED_OLDER_SDK: "),
                               HasSubstr("Requires newer sdk version #26 (current version is #25)]")));
}

}  // namespace
}  // namespace benchlab::devsim
