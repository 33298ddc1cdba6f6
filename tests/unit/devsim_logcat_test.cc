// The simulated phone's logcat command: layouts, filters, tails, follow mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/android_version.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// 2024-11-25 10:03:51.112 UTC
const absl::Time kT0 = absl::FromUnixMillis(1732529031112);

class LogcatTest : public ::testing::Test {
 protected:
  LogcatTest() : phone_(MakeProfile(5, 0), 5, absl::Milliseconds(400)) {
    phone_.SetBackgroundLogs(false);
    phone_.logs().Clear(kAllLogMask);
    LogBuffer& l = phone_.logs();
    l.Write(LogId::kSystem, 1402, 1471, 'I', "ActivityManager", "Start proc 6843:x/u0a1", kT0);
    l.Write(LogId::kMain, 6843, 6843, 'I', "tflite", "Num threads: [4]",
            kT0 + absl::Milliseconds(5));
    l.Write(LogId::kMain, 3127, 3341, 'I', "tflite", "Initialized TensorFlow Lite runtime.",
            kT0 + absl::Milliseconds(6));
    l.Write(LogId::kMain, 6843, 6843, 'W', "tflite", "two\nlines", kT0 + absl::Milliseconds(7));
    l.Write(LogId::kCrash, 6843, 6843, 'E', "AndroidRuntime", "FATAL EXCEPTION: main\n\tat x",
            kT0 + absl::Seconds(2));
  }
  std::vector<std::string> Lines(absl::string_view cmd) {
    ShResult r = RunSh(phone_, cmd);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<std::string> v = absl::StrSplit(r.out, '\n');
    if (!v.empty() && v.back().empty()) v.pop_back();
    return v;
  }
  Phone phone_;
};

TEST_F(LogcatTest, ThreadtimeLayoutBufferHeadersAndMultiLine) {
  EXPECT_THAT(
      Lines("logcat -d"),
      ElementsAre("--------- beginning of system",
                  "11-25 10:03:51.112  1402  1471 I ActivityManager: Start proc 6843:x/u0a1",
                  "--------- beginning of main",
                  "11-25 10:03:51.117  6843  6843 I tflite  : Num threads: [4]",
                  "11-25 10:03:51.118  3127  3341 I tflite  : Initialized TensorFlow Lite runtime.",
                  "11-25 10:03:51.119  6843  6843 W tflite  : two",
                  "11-25 10:03:51.119  6843  6843 W tflite  : lines",
                  "--------- beginning of crash",
                  "11-25 10:03:53.112  6843  6843 E AndroidRuntime: FATAL EXCEPTION: main",
                  "11-25 10:03:53.112  6843  6843 E AndroidRuntime: \tat x"));
}

TEST_F(LogcatTest, OtherLayouts) {
  EXPECT_EQ(Lines("logcat -d -b main -v time")[1],
            "11-25 10:03:51.117 I/tflite  ( 6843): Num threads: [4]");
  EXPECT_EQ(Lines("logcat -d -b main -v brief")[1], "I/tflite  ( 6843): Num threads: [4]");
  EXPECT_EQ(Lines("logcat -d -b main -v epoch")[1],
            "1732529031.117  6843  6843 I tflite  : Num threads: [4]");
}

TEST_F(LogcatTest, FiltersByTagPriorityPidAndRegex) {
  EXPECT_THAT(
      Lines("logcat -d -s tflite:W"),
      ElementsAre("--------- beginning of main", "11-25 10:03:51.119  6843  6843 W tflite  : two",
                  "11-25 10:03:51.119  6843  6843 W tflite  : lines"));
  EXPECT_EQ(Lines("logcat -d 'tflite:I *:S'").size(), 5u);  // header + 4 lines
  EXPECT_EQ(Lines("logcat -d tflite:I '*:S'").size(), 5u);
  EXPECT_EQ(Lines("logcat -d -b main --pid=3127").size(), 2u);
  EXPECT_EQ(Lines("logcat -d -b main --pid 6843").size(), 4u);
  EXPECT_EQ(Lines("logcat -d -e 'Num thr'").size(), 2u);
}

TEST_F(LogcatTest, TailByCountAndTime) {
  EXPECT_EQ(Lines("logcat -t 1").back(), "11-25 10:03:53.112  6843  6843 E AndroidRuntime: \tat x");
  EXPECT_EQ(Lines("logcat -d -b main -T 2").size(), 4u);  // header + 2-line message + 1
  EXPECT_EQ(Lines("logcat -d -T '2024-11-25 10:03:51.118'").size(), 7u);
  EXPECT_EQ(Lines("logcat -d -T '1732529031.118'").size(), 7u);
  EXPECT_EQ(Lines("logcat -d -T '2024-11-25 10:03:53.000'").size(), 3u);
}

TEST_F(LogcatTest, TailByTimeWithoutYearMeansThisYear) {
  const absl::Time now = absl::FromUnixMillis(absl::ToUnixMillis(absl::Now()));
  phone_.logs().Write(LogId::kMain, 9, 9, 'I', "late", "now", now);
  const std::string since = absl::FormatTime("%m-%d %H:%M:%E3S", now, absl::UTCTimeZone());
  EXPECT_EQ(Lines(absl::StrCat("logcat -d -T '", since, "'")),
            std::vector<std::string>({"--------- beginning of main",
                                      absl::StrCat(since, "     9     9 I late    : now")}));
}

TEST_F(LogcatTest, WhatAdbLogcatSends) {
  std::vector<std::string> lines = Lines(
      "export ANDROID_LOG_TAGS=\"''\"; exec logcat '-v' 'threadtime' '-b' 'main' '-b' 'crash' "
      "'-d'");
  EXPECT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[0], "--------- beginning of main");
}

TEST_F(LogcatTest, ClearEmptiesBuffers) {
  EXPECT_EQ(RunSh(phone_, "logcat -c -b main").status, 0);
  EXPECT_EQ(Lines("logcat -d -b main").size(), 0u);
  EXPECT_EQ(Lines("logcat -d -b all").size(), 5u);
  EXPECT_EQ(RunSh(phone_, "logcat -v nonsense").status, 1);
}

TEST_F(LogcatTest, FollowStreamsNewEntriesUntilCancelled) {
  StringIo io;
  int status = -1;
  // -T 2: both lines show up whether logcat starts before or after they are written.
  std::thread t([&] { status = phone_.RunShell("logcat -s follow -T 2", io); });
  absl::SleepFor(absl::Milliseconds(50));
  phone_.logs().Write(LogId::kMain, 1, 1, 'I', "follow", "first");
  phone_.logs().Write(LogId::kMain, 1, 1, 'I', "follow", "second");
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (!absl::StrContains(io.out(), "second") && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Time cancel_at = absl::Now();
  io.Cancel();
  t.join();
  EXPECT_LT(absl::Now() - cancel_at, absl::Seconds(2));  // noticed without new entries
  EXPECT_THAT(io.out(), HasSubstr("I follow  : first\n"));
  EXPECT_THAT(io.out(), HasSubstr("I follow  : second\n"));
  EXPECT_THAT(io.out(), Not(HasSubstr("tflite")));
  EXPECT_EQ(status, 0);
}

TEST_F(LogcatTest, LogfloodAppendsNumberedLinesInOrderAtTheAskedPace) {
  const absl::Time start = absl::Now();
  ShResult r = RunSh(phone_, "devsimctl logflood 300 10000");  // 300 lines at 10k/s: ~30 ms
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("flood lines=300 "));
  EXPECT_GE(took, absl::Milliseconds(25));
  std::vector<std::string> lines = Lines("logcat -d -v brief -s benchlab-flood");
  ASSERT_EQ(lines.size(), 301u);  // "--------- beginning of main" first
  for (int i = 1; i <= 300; ++i) {
    EXPECT_EQ(lines[i], absl::StrCat("I/benchlab-flood( 4242): flood seq=", i, " of 300"));
  }
  EXPECT_EQ(RunSh(phone_, "devsimctl logflood 1000").status, 0) << "unpaced";
  EXPECT_EQ(RunSh(phone_, "devsimctl logflood many").status, 2);
  EXPECT_EQ(RunSh(phone_, "devsimctl logflood 5 -1").status, 2);
}

TEST_F(LogcatTest, LogbufferResizesTheMainRing) {
  ASSERT_EQ(RunSh(phone_, "devsimctl logbuffer 100").status, 0);
  ASSERT_EQ(RunSh(phone_, "devsimctl logflood 150").status, 0);
  std::vector<std::string> lines = Lines("logcat -d -v brief -s benchlab-flood");
  ASSERT_EQ(lines.size(), 101u);  // the oldest 50 dropped
  EXPECT_EQ(lines[1], "I/benchlab-flood( 4242): flood seq=51 of 150");
  ASSERT_EQ(RunSh(phone_, "devsimctl logbuffer 10000").status, 0);
  ASSERT_EQ(RunSh(phone_, "logcat -c").status, 0);
  ASSERT_EQ(RunSh(phone_, "devsimctl logflood 5000").status, 0);
  EXPECT_EQ(Lines("logcat -d -v brief -s benchlab-flood").size(), 5001u);
  EXPECT_EQ(RunSh(phone_, "devsimctl logbuffer 3").status, 2);
}


// -T '<time>' per release: 5.1 and 6.0 read only 'MM-DD hh:mm:ss.mmm' and exit 1 on the
// other forms with their own messages; 7.0+ read all three.
TEST(OldAndroidLogcatTest, TimeFormsPerRelease) {
  const absl::Time t0 = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) - 60);
  auto phone_of = [&](absl::string_view release) {
    PhoneProfile p = MakeProfile(5, 0);
    AndroidRelease r;
    EXPECT_TRUE(ParseAndroidRelease(release, &r));
    p.sdk = r.sdk;
    p.android_release = r.release;
    auto phone = std::make_unique<Phone>(p, 5, absl::Milliseconds(400));
    phone->SetBackgroundLogs(false);
    phone->logs().Clear(kAllLogMask);
    phone->logs().Write(LogId::kMain, 6843, 6843, 'I', "tflite", "early", t0);
    phone->logs().Write(LogId::kMain, 6843, 6843, 'I', "tflite", "late", t0 + absl::Seconds(1));
    return phone;
  };
  // 'MM-DD ...' means this year, so the lines are from a minute ago.
  auto at = [&](const char* fmt, absl::Duration after_t0) {
    return absl::FormatTime(fmt, t0 + after_t0, absl::UTCTimeZone());
  };
  const std::string epoch = absl::StrCat(absl::ToUnixSeconds(t0), ".500");
  const std::string with_year = at("'%Y-%m-%d %H:%M:%S.500'", absl::ZeroDuration());
  const std::string month_day = at("'%m-%d %H:%M:%S.500'", absl::ZeroDuration());
  auto old = phone_of("5.1");
  ShResult refused = RunSh(*old, "logcat -d -T " + epoch);
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.err,
            "ERROR: -T \"" + epoch + "\" not in \"%m-%d %H:%M:%S.%3q\" time format\n");
  ShResult year = RunSh(*old, "logcat -d -T " + with_year);
  EXPECT_EQ(year.status, 1);
  ShResult md = RunSh(*old, "logcat -d -T " + month_day);
  EXPECT_EQ(md.status, 0) << md.err;
  EXPECT_THAT(md.out, HasSubstr("late"));
  EXPECT_THAT(md.out, Not(HasSubstr("early")));
  // Only 3 fraction digits count; the rest is "truncated" with a warning.
  ShResult more = RunSh(*old, "logcat -d -T " + at("'%m-%d %H:%M:%S.1129'", absl::ZeroDuration()));
  EXPECT_EQ(more.status, 0);
  EXPECT_THAT(more.err, HasSubstr("time truncated"));
  EXPECT_THAT(more.out, HasSubstr("late"));

  auto m = phone_of("6.0");
  EXPECT_EQ(RunSh(*m, "logcat -d -T " + epoch).err,
            "-T \"" + epoch + "\" not in \"%m-%d %H:%M:%S.%3q\" time format\n");

  auto o = phone_of("8.0");
  for (const std::string& arg : {epoch, with_year, month_day}) {
    ShResult r = RunSh(*o, absl::StrCat("logcat -d -T ", arg));
    EXPECT_EQ(r.status, 0) << arg << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("late")) << arg;
    EXPECT_THAT(r.out, Not(HasSubstr("early"))) << arg;
  }
  ShResult junk = RunSh(*o, "logcat -d -T 'soon.5'");
  EXPECT_EQ(junk.status, 1);
  EXPECT_EQ(junk.err, "-T \"soon.5\" not in time format\n");
}

}  // namespace
}  // namespace benchlab::devsim
