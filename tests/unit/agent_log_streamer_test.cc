// Logcat lines in the API's terms: the year threadtime leaves out, and the date cache.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "agent/log_streamer.h"
#include "common/logcat_line.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

LogcatLine Parse(const std::string& text) {
  LogcatLine l;
  EXPECT_TRUE(ParseLogcatLine(text, &l)) << text;
  return l;
}

TEST(ToLogLine, FieldsAndTimeWithAndWithoutTheDateCache) {
  const absl::Time now = Utc(2026, 11, 25, 12, 0, 0);
  LogDateCache cache;
  const std::string a = "11-25 10:04:31.319  4242  4250 E tflite  : Could not open 'x'.";
  const std::string b = "11-26 00:00:01.002  4242  4250 I tflite  : next day";
  for (LogDateCache* c : {static_cast<LogDateCache*>(nullptr), &cache, &cache}) {
    v1::LogLine l = ToLogLine(Parse(a), now, c);
    EXPECT_EQ(l.time_unix_us(), absl::ToUnixMicros(Utc(2026, 11, 25, 10, 4, 31)) + 319000);
    EXPECT_EQ(l.pid(), 4242);
    EXPECT_EQ(l.tid(), 4250);
    EXPECT_EQ(l.priority(), v1::LOG_PRIORITY_ERROR);
    EXPECT_EQ(l.tag(), "tflite");
    EXPECT_EQ(l.message(), "Could not open 'x'.");
    EXPECT_EQ(ToLogLine(Parse(b), now, c).time_unix_us(),
              absl::ToUnixMicros(Utc(2026, 11, 26, 0, 0, 1)) + 2000);
  }
}

TEST(ToLogLine, LateDecemberReadInJanuaryIsLastYear) {
  const absl::Time now = Utc(2027, 1, 2, 0, 0, 0);
  v1::LogLine l = ToLogLine(Parse("12-31 23:59:59.000  1  1 I tag: x"), now);
  EXPECT_EQ(l.time_unix_us(), absl::ToUnixMicros(Utc(2026, 12, 31, 23, 59, 59)));
}

}  // namespace
}  // namespace benchlab::agent
