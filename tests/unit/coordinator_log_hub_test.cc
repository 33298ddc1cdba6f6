// LogHub: tail, filters, bounded subscriber queues with missed counts, producer never blocks.
#include <gtest/gtest.h>

#include <atomic>

#include "absl/time/clock.h"
#include "coordinator/log_hub.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

v1::LogBatch Lines(int from, int n, const std::string& tag = "tflite") {
  v1::LogBatch b;
  for (int i = from; i < from + n; ++i) {
    auto* l = b.add_lines();
    l->set_tag(tag);
    l->set_message("line " + std::to_string(i));
  }
  return b;
}

TEST(LogHub, SlowSubscriberIsToldHowManyLinesItMissed) {
  LogHub hub({.ring_lines = 100, .subscriber_lines = 10, .max_subscribers = 4}, nullptr);
  auto sub = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  hub.Publish("a/d1", Lines(0, 25));
  v1::LogBatch out;
  ASSERT_TRUE(sub->Drain(64, &out));
  EXPECT_EQ(out.lines_size(), 10);
  EXPECT_EQ(out.lines(0).message(), "line 0");
  EXPECT_EQ(out.missed_lines(), 15u);
  EXPECT_FALSE(sub->Drain(64, &out));  // count reported once
}

TEST(LogHub, LinesTheAgentDroppedAreToldToSubscribersToo) {
  LogHub hub({.ring_lines = 100, .subscriber_lines = 10, .max_subscribers = 4}, nullptr);
  auto sub = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  v1::LogBatch batch = Lines(0, 3);
  batch.set_missed_lines(7);  // lost between the phone and the coordinator
  hub.Publish("a/d1", batch);
  v1::LogBatch out;
  ASSERT_TRUE(sub->Drain(64, &out));
  EXPECT_EQ(out.lines_size(), 3);
  EXPECT_EQ(out.missed_lines(), 7u);
}

TEST(LogHub, ProducerNeverBlocksOnAReaderThatNeverDrains) {
  LogHub hub({.ring_lines = 1000, .subscriber_lines = 100, .max_subscribers = 4}, nullptr);
  auto stuck = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  absl::Time start = absl::Now();
  for (int i = 0; i < 2000; ++i) hub.Publish("a/d1", Lines(i * 50, 50));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  v1::LogBatch out;
  ASSERT_TRUE(stuck->Drain(1000, &out));
  EXPECT_EQ(out.lines_size(), 100);
  EXPECT_EQ(out.missed_lines(), 2000u * 50 - 100);
}

TEST(LogHub, TailAndFilterApply) {
  LogHub hub({.ring_lines = 5, .subscriber_lines = 100, .max_subscribers = 4}, nullptr);
  hub.Publish("a/d1", Lines(0, 8));
  hub.Publish("a/d1", Lines(8, 1, "other"));
  auto sub = hub.Subscribe("a/d1", 3, [](const v1::LogLine& l) { return l.tag() == "tflite"; }, nullptr);
  v1::LogBatch out;
  ASSERT_TRUE(sub->Drain(64, &out));
  ASSERT_EQ(out.lines_size(), 3);  // ring holds lines 4..8; the last three tflite ones
  EXPECT_EQ(out.lines(0).message(), "line 5");
  EXPECT_EQ(out.lines(2).message(), "line 7");
}

TEST(LogHub, InterestFollowsFirstAndLastSubscriberAndLimitHolds) {
  std::vector<std::pair<std::string, bool>> calls;
  LogHub hub({.ring_lines = 5, .subscriber_lines = 5, .max_subscribers = 2},
             [&](const std::string& d, bool on) { calls.push_back({d, on}); });
  std::atomic<int> notified{0};
  auto a = hub.Subscribe("a/d1", 0, nullptr, [&] { ++notified; });
  auto b = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  EXPECT_EQ(hub.Subscribe("a/d2", 0, nullptr, nullptr), nullptr);
  hub.Publish("a/d1", Lines(0, 2));
  EXPECT_GE(notified.load(), 1);
  a.reset();
  b.reset();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], std::make_pair(std::string("a/d1"), true));
  EXPECT_EQ(calls[1], std::make_pair(std::string("a/d1"), false));
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

}  // namespace
}  // namespace benchlab::coordinator
