// ParseLogcatLine against every layout of tflite-benchmark.md §3.10 and adb-protocol.md
// §2.5, plus lines that only look like a layout, and hostile input.
#include "common/logcat_line.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace benchlab {
namespace {

LogcatLine Split(absl::string_view line) {
  LogcatLine l;
  ParseLogcatLine(line, &l);
  return l;
}

TEST(LogcatLineTest, ThreadtimeFromFixture) {
  LogcatLine l;
  ASSERT_TRUE(ParseLogcatLine(
      "11-25 10:03:52.851  6843  6843 I tflite  : count=76 first=13173 curr=12803", &l));
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.timestamp, "11-25 10:03:52.851");
  EXPECT_TRUE(l.has_time);
  EXPECT_EQ(l.year, 0);
  EXPECT_EQ(l.month, 11);
  EXPECT_EQ(l.day, 25);
  EXPECT_EQ(l.hour, 10);
  EXPECT_EQ(l.minute, 3);
  EXPECT_EQ(l.second, 52);
  EXPECT_EQ(l.millis, 851);
  EXPECT_EQ(l.pid, 6843);
  EXPECT_EQ(l.tid, 6843);
  EXPECT_EQ(l.priority, 'I');
  EXPECT_EQ(l.tag, "tflite");
  EXPECT_EQ(l.message, "count=76 first=13173 curr=12803");
}

TEST(LogcatLineTest, ThreadtimeLongTagAndDifferentTid) {
  LogcatLine l = Split(
      "11-25 09:12:30.434  1402  1471 I ActivityManager: Start proc 9131:org.tensorflow.lite.benchmark/u0a241");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.pid, 1402);
  EXPECT_EQ(l.tid, 1471);
  EXPECT_EQ(l.tag, "ActivityManager");
  EXPECT_EQ(l.message, "Start proc 9131:org.tensorflow.lite.benchmark/u0a241");

  l = Split("11-25 10:03:51.112  6843  6843 I tflite_BenchmarkModelActivity: Running x: y");
  EXPECT_EQ(l.tag, "tflite_BenchmarkModelActivity");
  EXPECT_EQ(l.message, "Running x: y");
}

TEST(LogcatLineTest, ThreadtimeBlankMessageAndStrippedBlank) {
  LogcatLine l = Split("11-25 11:15:44.550  8120  8120 I tflite  : ");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.tag, "tflite");
  EXPECT_EQ(l.message, "");
  l = Split("11-25 11:15:44.550  8120  8120 I tflite  :");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.tag, "tflite");
  EXPECT_EQ(l.message, "");
}

TEST(LogcatLineTest, ThreadtimeTagWithSpacesAndColons) {
  LogcatLine l = Split("11-25 10:00:00.000   808   808 W My Tag:v2: hello: world");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.tag, "My Tag:v2");
  EXPECT_EQ(l.message, "hello: world");
}

TEST(LogcatLineTest, ThreadtimeTabInMessageIsKept) {
  LogcatLine l = Split("11-25 12:00:04.407 12001 12001 E AndroidRuntime: \tat a.b(C.java:1)");
  EXPECT_EQ(l.tag, "AndroidRuntime");
  EXPECT_EQ(l.priority, 'E');
  EXPECT_EQ(l.message, "\tat a.b(C.java:1)");
}

TEST(LogcatLineTest, CarriageReturnsAndNewlinesAreStripped) {
  LogcatLine l = Split("11-25 10:03:52.851  6843  6843 I tflite  : count=76\r\n");
  EXPECT_EQ(l.message, "count=76");
  l = Split("INFO: STARTING!\r");
  EXPECT_EQ(l.message, "STARTING!");
  l = Split("plain\r\n");
  EXPECT_EQ(l.message, "plain");
}

TEST(LogcatLineTest, ThreadtimeModifiers) {
  LogcatLine l = Split("2024-11-25 10:04:31.319  2638  2638 I tflite  : msg");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.year, 2024);
  EXPECT_EQ(l.month, 11);
  EXPECT_EQ(l.pid, 2638);

  l = Split("11-25 10:04:31.319123  2638  2639 I tflite  : usec");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.millis, 319);
  EXPECT_EQ(l.tid, 2639);
  EXPECT_EQ(l.message, "usec");

  l = Split("11-25 10:04:31.319  u0_a241  2638  2639 I tflite  : uid name");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.pid, 2638);
  EXPECT_EQ(l.tid, 2639);
  EXPECT_EQ(l.message, "uid name");

  l = Split("11-25 10:04:31.319  10241  2638  2639 I tflite  : uid number");
  EXPECT_EQ(l.layout, LogcatLayout::kThreadtime);
  EXPECT_EQ(l.pid, 2638);
  EXPECT_EQ(l.tid, 2639);
  EXPECT_EQ(l.message, "uid number");
}

TEST(LogcatLineTest, TimeLayout) {
  LogcatLine l;
  ASSERT_TRUE(ParseLogcatLine("11-25 10:04:31.319 I/tflite  ( 2638): count=50 first=1", &l));
  EXPECT_EQ(l.layout, LogcatLayout::kTime);
  EXPECT_EQ(l.month, 11);
  EXPECT_EQ(l.millis, 319);
  EXPECT_EQ(l.pid, 2638);
  EXPECT_EQ(l.tid, -1);
  EXPECT_EQ(l.priority, 'I');
  EXPECT_EQ(l.tag, "tflite");
  EXPECT_EQ(l.message, "count=50 first=1");
}

TEST(LogcatLineTest, BriefLayout) {
  LogcatLine l;
  ASSERT_TRUE(ParseLogcatLine("I/tflite  ( 2638): count=50 …", &l));
  EXPECT_EQ(l.layout, LogcatLayout::kBrief);
  EXPECT_FALSE(l.has_time);
  EXPECT_EQ(l.pid, 2638);
  EXPECT_EQ(l.tag, "tflite");
  EXPECT_EQ(l.message, "count=50 …");

  // Parentheses in the tag and in the message: the pid is the "( digits): " group.
  l = Split("E/foo(bar) (12345): Node number 3 (CONV_2D): failed (x): y");
  EXPECT_EQ(l.layout, LogcatLayout::kBrief);
  EXPECT_EQ(l.tag, "foo(bar)");
  EXPECT_EQ(l.pid, 12345);
  EXPECT_EQ(l.message, "Node number 3 (CONV_2D): failed (x): y");

  l = Split("W/tflite  ( 2638):");
  EXPECT_EQ(l.layout, LogcatLayout::kBrief);
  EXPECT_EQ(l.message, "");
}

TEST(LogcatLineTest, AndroidStudioLayoutFromFixture) {
  LogcatLine l;
  ASSERT_TRUE(ParseLogcatLine(
      "10:21:45.638  5127-5127  tflite          org.tensorflow.lite.benchmark  I  "
      "count=69 first=14460 curr=14507",
      &l));
  EXPECT_EQ(l.layout, LogcatLayout::kStudio);
  EXPECT_EQ(l.timestamp, "10:21:45.638");
  EXPECT_EQ(l.month, 0);
  EXPECT_EQ(l.hour, 10);
  EXPECT_EQ(l.millis, 638);
  EXPECT_EQ(l.pid, 5127);
  EXPECT_EQ(l.tid, 5127);
  EXPECT_EQ(l.tag, "tflite");
  EXPECT_EQ(l.package, "org.tensorflow.lite.benchmark");
  EXPECT_EQ(l.priority, 'I');
  EXPECT_EQ(l.message, "count=69 first=14460 curr=14507");
}

TEST(LogcatLineTest, AndroidStudioVariants) {
  LogcatLine l = Split(
      "2024-11-25 10:04:31.319  2638-2640  My Tag  org.example.app  E  message  with  gaps");
  EXPECT_EQ(l.layout, LogcatLayout::kStudio);
  EXPECT_EQ(l.year, 2024);
  EXPECT_EQ(l.tid, 2640);
  EXPECT_EQ(l.tag, "My Tag");
  EXPECT_EQ(l.package, "org.example.app");
  EXPECT_EQ(l.priority, 'E');
  EXPECT_EQ(l.message, "message  with  gaps");

  l = Split("10:21:44.550  8120-8120  tflite          org.tensorflow.lite.benchmark  I  ");
  EXPECT_EQ(l.layout, LogcatLayout::kStudio);
  EXPECT_EQ(l.message, "");
  l = Split("10:21:44.550  8120-8120  tflite          org.tensorflow.lite.benchmark  I");
  EXPECT_EQ(l.layout, LogcatLayout::kStudio);
  EXPECT_EQ(l.priority, 'I');
  EXPECT_EQ(l.message, "");
}

TEST(LogcatLineTest, AndroidStudioLegacyLayout) {
  LogcatLine l;
  ASSERT_TRUE(ParseLogcatLine(
      "2019-06-02 13:59:36.143 6836-6836/com.example.testmodel E/tflite: Average inference "
      "timings in us: Warmup: 1",
      &l));
  EXPECT_EQ(l.layout, LogcatLayout::kStudioLegacy);
  EXPECT_EQ(l.year, 2019);
  EXPECT_EQ(l.month, 6);
  EXPECT_EQ(l.day, 2);
  EXPECT_EQ(l.second, 36);
  EXPECT_EQ(l.millis, 143);
  EXPECT_EQ(l.pid, 6836);
  EXPECT_EQ(l.tid, 6836);
  EXPECT_EQ(l.package, "com.example.testmodel");
  EXPECT_EQ(l.priority, 'E');
  EXPECT_EQ(l.tag, "tflite");
  EXPECT_EQ(l.message, "Average inference timings in us: Warmup: 1");
}

TEST(LogcatLineTest, NativeStdoutPrefixes) {
  struct Case {
    const char* line;
    char priority;
    const char* message;
  } cases[] = {
      {"INFO: STARTING!", 'I', "STARTING!"},
      {"WARN: Unconsumed cmdline flags: x", 'W', "Unconsumed cmdline flags: x"},
      {"WARNING: runtime warning", 'W', "runtime warning"},
      {"ERROR: Could not open '/x.tflite'.", 'E', "Could not open '/x.tflite'."},
      {"FATAL: boom", 'F', "boom"},
      {"VERBOSE: Replacing 1 node(s)", 'V', "Replacing 1 node(s)"},
      {"INFO:", 'I', ""},
  };
  for (const Case& c : cases) {
    LogcatLine l;
    EXPECT_FALSE(ParseLogcatLine(c.line, &l)) << c.line;
    EXPECT_EQ(l.layout, LogcatLayout::kNative) << c.line;
    EXPECT_EQ(l.priority, c.priority) << c.line;
    EXPECT_EQ(l.message, c.message) << c.line;
    EXPECT_EQ(l.pid, -1);
    EXPECT_EQ(l.tag, "");
  }
}

TEST(LogcatLineTest, BareMessagesThatLookLikePrefixes) {
  const char* bare[] = {
      "count=50 first=1 curr=2 min=1 max=2 avg=1.5 std=0",
      "9 nodes observed",
      "\t                                 CONV_2D\t    0.426",
      "12:00 is not a timestamp",
      "11-25 is a date and nothing else",
      "11-25 10:04:31.319 but no pid",
      "I/O error on read",
      "Initialized session in 38.417ms.",
      "INFORMATION: not a native prefix",
      "-- not a buffer switch",
      "E",
  };
  for (const char* line : bare) {
    LogcatLine l;
    EXPECT_FALSE(ParseLogcatLine(line, &l)) << line;
    EXPECT_EQ(l.layout, LogcatLayout::kBare) << line;
    EXPECT_EQ(l.message, line) << line;
    EXPECT_EQ(l.pid, -1) << line;
    EXPECT_EQ(l.priority, 0) << line;
  }
  LogcatLine l;
  EXPECT_FALSE(ParseLogcatLine("", &l));
  EXPECT_EQ(l.message, "");
}

TEST(LogcatLineTest, BufferSwitch) {
  LogcatLine l;
  EXPECT_FALSE(ParseLogcatLine("--------- beginning of crash", &l));
  EXPECT_EQ(l.layout, LogcatLayout::kBufferSwitch);
  EXPECT_EQ(l.message, "crash");
  EXPECT_FALSE(ParseLogcatLine("--------- switch to main\r\n", &l));
  EXPECT_EQ(l.layout, LogcatLayout::kBufferSwitch);
  EXPECT_EQ(l.message, "switch to main");
}

TEST(LogcatLineTest, LayoutNames) {
  EXPECT_EQ(LogcatLayoutName(LogcatLayout::kThreadtime), "threadtime");
  EXPECT_EQ(LogcatLayoutName(LogcatLayout::kStudio), "studio");
}

// Views must stay inside the input, whatever the bytes: truncations of real lines,
// NULs, random bytes, and a huge line.
TEST(LogcatLineTest, HostileInputStaysInBounds) {
  const std::string seeds[] = {
      "11-25 10:03:52.851  6843  6843 I tflite  : count=76 first=13173",
      "11-25 10:04:31.319 I/tflite  ( 2638): count=50",
      "I/tflite  ( 2638): count=50",
      "10:21:45.638  5127-5127  tflite          org.tensorflow.lite.benchmark  I  count=69",
      "2019-06-02 13:59:36.143 6836-6836/com.example.testmodel E/tflite: x",
      "INFO: STARTING!",
      "--------- beginning of main",
  };
  auto check = [](const std::string& line) {
    LogcatLine l;
    ParseLogcatLine(line, &l);
    for (absl::string_view v : {l.timestamp, l.tag, l.package, l.message}) {
      if (v.empty()) continue;
      ASSERT_GE(v.data(), line.data()) << line;
      ASSERT_LE(v.data() + v.size(), line.data() + line.size()) << line;
    }
  };
  for (const std::string& s : seeds) {
    for (size_t n = 0; n <= s.size(); ++n) check(s.substr(0, n));  // every truncation
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % std::size(seeds)];
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (s.size() + 1);
      const char alphabet[] = {'\0', ' ', ':', '-', '/', '(', ')', '1', 'I', '\t', '\r', '.'};
      char c = (rng() % 3 == 0) ? static_cast<char>(rng()) : alphabet[rng() % sizeof(alphabet)];
      if (rng() % 2 == 0 && pos < s.size()) {
        s[pos] = c;
      } else {
        s.insert(pos, 1, c);
      }
    }
    check(s);
  }
  std::string huge = "11-25 10:03:52.851  6843  6843 I tflite  : " + std::string(8 << 20, 'x');
  LogcatLine l;
  ASSERT_TRUE(ParseLogcatLine(huge, &l));
  EXPECT_EQ(l.message.size(), size_t{8 << 20});
  std::string nul("11-25 10:03:52.851  6843  6843 I tflite  : a\0b", 46);
  ASSERT_TRUE(ParseLogcatLine(nul, &l));
  EXPECT_EQ(l.message, absl::string_view("a\0b", 3));
}

}  // namespace
}  // namespace benchlab
