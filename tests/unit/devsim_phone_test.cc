// Tests of the simulated phone's basics: profile, faults, file system, log buffer, and the
// shell's quoting, operators and builtins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::HasSubstr;

struct Result {
  int status;
  std::string out;
  std::string err;
};

Result Sh(Phone& phone, absl::string_view line, std::string stdin_data = "") {
  StringIo io(std::move(stdin_data));
  int status = phone.RunShell(line, io);
  return {status, io.out(), io.err()};
}

class PhoneTest : public ::testing::Test {
 protected:
  PhoneTest() : phone_(MakeProfile(7, 0), 7, absl::Seconds(1)) {}
  Phone phone_;
};

TEST(ProfileTest, DeterministicPerSeedAndDifferentPerIndex) {
  PhoneProfile a = MakeProfile(42, 0), b = MakeProfile(42, 0), c = MakeProfile(42, 1);
  EXPECT_EQ(a.serialno, b.serialno);
  EXPECT_EQ(a.model, b.model);
  EXPECT_NE(a.serialno, c.serialno);
  EXPECT_NE(a.model, c.model);
  EXPECT_GT(a.cpu_speed, 0.1);
}

TEST(FaultTest, NamesRoundTrip) {
  for (Fault f :
       {Fault::kNone, Fault::kGraphMissing, Fault::kInvalidFlag, Fault::kCrash, Fault::kHang,
        Fault::kBadModel, Fault::kDisconnect, Fault::kUnauthorized, Fault::kSlowLink}) {
    Fault parsed = Fault::kNone;
    ASSERT_TRUE(ParseFault(FaultName(f), &parsed)) << FaultName(f);
    EXPECT_EQ(parsed, f);
  }
  Fault f;
  EXPECT_TRUE(ParseFault("graph_missing", &f));
  EXPECT_EQ(f, Fault::kGraphMissing);
  EXPECT_FALSE(ParseFault("meteor", &f));
}

TEST(VfsTest, WriteStatListReadRemove) {
  Vfs fs;
  auto tmp = fs.Stat("/data/local/tmp/");
  ASSERT_TRUE(tmp.ok());
  EXPECT_TRUE(tmp->is_dir);
  EXPECT_EQ(tmp->mode, 040771u);

  ASSERT_TRUE(fs.Write("/data/local/tmp/a.txt", "hello", 0644, absl::FromUnixSeconds(1000)).ok());
  auto st = fs.Stat("/data/local/tmp//a.txt");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->mode, 0100644u);
  EXPECT_EQ(st->size_bytes, 5);
  EXPECT_EQ(st->mtime, absl::FromUnixSeconds(1000));
  EXPECT_EQ(**fs.Read("/data/local/tmp/a.txt"), "hello");

  auto list = fs.List("/data/local/tmp");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "a.txt");

  EXPECT_EQ(VfsErrno(fs.Write("/nope/x", "")), ENOENT);
  EXPECT_TRUE(fs.Write("/nope/x", "", 0644, absl::Now(), /*make_parents=*/true).ok());
  EXPECT_EQ(VfsErrno(fs.Write("/data/local/tmp/a.txt/b", "")), ENOTDIR);
  EXPECT_EQ(VfsErrno(fs.Stat("/data/local/tmp/missing").status()), ENOENT);

  ASSERT_TRUE(fs.MkdirP("/data/local/tmp/x/y/z").ok());
  ASSERT_TRUE(fs.Write("/data/local/tmp/x/y/z/f", "1").ok());
  EXPECT_EQ(VfsErrno(fs.Remove("/data/local/tmp/x", false)), EISDIR);
  EXPECT_TRUE(fs.Remove("/data/local/tmp/x", true).ok());
  EXPECT_FALSE(fs.Exists("/data/local/tmp/x/y/z/f"));
  EXPECT_TRUE(fs.Remove("/data/local/tmp/a.txt", false).ok());
  EXPECT_TRUE(fs.List("/data/local/tmp")->empty());
}

TEST(VfsTest, LargeIdenticalContentsAreSharedAcrossPhones) {
  Vfs a, b;
  const std::string model(200000, 'm');
  ASSERT_TRUE(a.Write("/data/local/tmp/m.tflite", model).ok());
  ASSERT_TRUE(b.Write("/data/local/tmp/m.tflite", model).ok());
  ASSERT_TRUE(b.Write("/data/local/tmp/other.tflite", std::string(200000, 'o')).ok());
  EXPECT_EQ(a.Read("/data/local/tmp/m.tflite")->get(), b.Read("/data/local/tmp/m.tflite")->get());
  EXPECT_NE(a.Read("/data/local/tmp/m.tflite")->get(),
            b.Read("/data/local/tmp/other.tflite")->get());
  EXPECT_EQ(**b.Read("/data/local/tmp/m.tflite"), model);
}

TEST(LogBufferTest, MergesBuffersInWriteOrderAndIsBounded) {
  LogBuffer logs(16);
  logs.Write(LogId::kMain, 1, 1, 'I', "a", "one");
  logs.Write(LogId::kSystem, 2, 2, 'W', "b", "two");
  logs.Write(LogId::kCrash, 3, 3, 'E', "c", "three");
  std::vector<LogEntry> all = logs.Read(kDefaultLogMask, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].message, "two");
  EXPECT_EQ(logs.Read(LogMask(LogId::kMain), 0).size(), 1u);
  EXPECT_EQ(logs.Read(kDefaultLogMask, all[1].seq).size(), 1u);
  for (int i = 0; i < 100; ++i) logs.Write(LogId::kMain, 1, 1, 'I', "a", "x");
  EXPECT_EQ(logs.Read(LogMask(LogId::kMain), 0).size(), 16u);
  for (int i = 0; i < 100; ++i) logs.Write(LogId::kSystem, 1, 1, 'I', "a", "x");
  EXPECT_EQ(logs.Read(LogMask(LogId::kSystem), 0).size(), 8u);  // half of main
  EXPECT_FALSE(logs.WaitNewer(kDefaultLogMask, logs.last_seq(), absl::Milliseconds(10)));
  logs.Clear(kAllLogMask);
  EXPECT_TRUE(logs.Read(kAllLogMask, 0).empty());

  logs.Write(LogId::kMain, 1, 1, 'I', "tflite", std::string(10000, 'x'));
  EXPECT_EQ(logs.Read(kAllLogMask, 0).back().message.size(), 4068u - 9);  // tag + 3 bytes
}

TEST_F(PhoneTest, EchoQuotingAndEscapes) {
  EXPECT_EQ(Sh(phone_, "echo hello   world").out, "hello world\n");
  EXPECT_EQ(Sh(phone_, "echo 'a  b' \"c  d\" e\\ f").out, "a  b c  d e f\n");
  EXPECT_EQ(Sh(phone_, "echo 'it'\\''s'").out, "it's\n");
  EXPECT_EQ(Sh(phone_, "echo \"say \\\"hi\\\" \\$HOME\"").out, "say \"hi\" $HOME\n");
  EXPECT_EQ(Sh(phone_, "echo -n x").out, "x");
  EXPECT_EQ(Sh(phone_, "export K=V; echo $K ${K}x \"$K\" '$K'").out, "V Vx V $K\n");
}

TEST_F(PhoneTest, OperatorsAndExitCodes) {
  EXPECT_EQ(Sh(phone_, "true && echo yes").out, "yes\n");
  EXPECT_EQ(Sh(phone_, "false && echo yes").out, "");
  EXPECT_EQ(Sh(phone_, "false || echo no").out, "no\n");
  EXPECT_EQ(Sh(phone_, "false; echo $?").out, "1\n");
  EXPECT_EQ(Sh(phone_, "false").status, 1);
  EXPECT_EQ(Sh(phone_, "exit 3; echo never").status, 3);
  EXPECT_EQ(Sh(phone_, "exit 3; echo never").out, "");
  Result r = Sh(phone_, "frobnicate --now");
  EXPECT_EQ(r.status, 127);
  EXPECT_EQ(r.err, "/system/bin/sh: frobnicate: inaccessible or not found\n");
  EXPECT_EQ(Sh(phone_, "echo 'unterminated").status, 1);
  EXPECT_EQ(Sh(phone_, "&& echo x").status, 1);
}

TEST_F(PhoneTest, Redirections) {
  EXPECT_EQ(Sh(phone_, "frob 2>/dev/null").err, "");
  EXPECT_EQ(Sh(phone_, "echo hi >/dev/null").out, "");
  EXPECT_EQ(Sh(phone_, "echo hi </dev/null").out, "hi\n");
  EXPECT_EQ(Sh(phone_, "frob 2>&1").out, "/system/bin/sh: frob: inaccessible or not found\n");
  EXPECT_EQ(Sh(phone_, "echo saved > /data/local/tmp/f; echo more >>/data/local/tmp/f").status, 0);
  EXPECT_EQ(**phone_.fs().Read("/data/local/tmp/f"), "saved\nmore\n");
}

TEST_F(PhoneTest, GetpropOneKeyAndAll) {
  const PhoneProfile& p = phone_.profile();
  EXPECT_EQ(Sh(phone_, "getprop ro.product.model").out, p.model + "\n");
  EXPECT_EQ(Sh(phone_, "getprop ro.nothing").out, "\n");
  std::string all = Sh(phone_, "getprop").out;
  EXPECT_THAT(all, HasSubstr("[ro.serialno]: [" + p.serialno + "]\n"));
  EXPECT_THAT(all, HasSubstr("[ro.build.version.sdk]: [" + std::to_string(p.sdk) + "]\n"));
}

TEST_F(PhoneTest, DevsimctlSetsFaultsAndNotifiesLinkListener) {
  std::vector<Fault> seen;
  phone_.SetLinkFaultListener([&](Fault f) { seen.push_back(f); });
  EXPECT_EQ(Sh(phone_, "devsimctl fault crash").status, 0);
  EXPECT_EQ(phone_.fault(), Fault::kCrash);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(Sh(phone_, "devsimctl fault disconnect").status, 0);
  EXPECT_EQ(seen, std::vector<Fault>{Fault::kDisconnect});
  EXPECT_EQ(Sh(phone_, "devsimctl fault none").status, 0);
  EXPECT_EQ(phone_.fault(), Fault::kNone);
  EXPECT_NE(Sh(phone_, "devsimctl fault meteor").status, 0);
}

}  // namespace
}  // namespace benchlab::devsim
