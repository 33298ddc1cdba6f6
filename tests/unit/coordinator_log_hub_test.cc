// LogHub: tail, filters, bounded subscriber queues with missed counts, producer never blocks.
#include <gtest/gtest.h>

#include <atomic>

#include "absl/time/clock.h"
#include "coordinator/log_hub.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

constexpr size_t kAnyBytes = size_t{1} << 30;

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
  ASSERT_TRUE(sub->Drain(64, kAnyBytes, &out));
  EXPECT_EQ(out.lines_size(), 10);
  EXPECT_EQ(out.lines(0).message(), "line 0");
  EXPECT_EQ(out.missed_lines(), 15u);
  EXPECT_FALSE(sub->Drain(64, kAnyBytes, &out));  // count reported once
}

TEST(LogHub, LinesTheAgentDroppedAreToldToSubscribersToo) {
  LogHub hub({.ring_lines = 100, .subscriber_lines = 10, .max_subscribers = 4}, nullptr);
  auto sub = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  v1::LogBatch batch = Lines(0, 3);
  batch.set_missed_lines(7);  // lost between the phone and the coordinator
  hub.Publish("a/d1", batch);
  v1::LogBatch out;
  ASSERT_TRUE(sub->Drain(64, kAnyBytes, &out));
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
  ASSERT_TRUE(stuck->Drain(1000, kAnyBytes, &out));
  EXPECT_EQ(out.lines_size(), 100);
  EXPECT_EQ(out.missed_lines(), 2000u * 50 - 100);
}

TEST(LogHub, EverySubscriberGetsEachLineOnceAndTheTailOutlivesThePublishedBatch) {
  LogHub hub({.ring_lines = 100, .subscriber_lines = 100, .max_subscribers = 4}, nullptr);
  auto a = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  auto b = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  {
    v1::LogBatch batch = Lines(0, 3);
    hub.Publish("a/d1", std::move(batch));
  }
  v1::LogBatch out;
  for (auto* sub : {a.get(), b.get()}) {
    ASSERT_TRUE(sub->Drain(64, kAnyBytes, &out));
    ASSERT_EQ(out.lines_size(), 3);
    EXPECT_EQ(out.lines(2).message(), "line 2");
    EXPECT_FALSE(sub->Drain(64, kAnyBytes, &out));
  }
  auto late = hub.Subscribe("a/d1", 2, nullptr, nullptr);
  ASSERT_TRUE(late->Drain(64, kAnyBytes, &out));
  ASSERT_EQ(out.lines_size(), 2);
  EXPECT_EQ(out.lines(0).message(), "line 1");
}

TEST(LogHub, QueueIsBoundedInBytesAndDrainStopsAtItsByteBudget) {
  // Each line weighs its message (1000 bytes) + tag (6) + 24 = 1030 bytes.
  LogHub hub({.ring_lines = 100, .subscriber_lines = 100, .subscriber_bytes = 5000, .max_subscribers = 4},
             nullptr);
  auto sub = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  v1::LogBatch batch;
  for (int i = 0; i < 10; ++i) {
    auto* l = batch.add_lines();
    l->set_tag("tflite");
    l->set_message(std::string(999, 'x') + std::to_string(i));
  }
  hub.Publish("a/d1", batch);
  v1::LogBatch out;
  ASSERT_TRUE(sub->Drain(64, 2500, &out));
  EXPECT_EQ(out.lines_size(), 2) << "2 lines fit 2500 bytes, 3 do not";
  EXPECT_EQ(out.missed_lines(), 6u) << "4 lines fit the 5000-byte queue";
  ASSERT_TRUE(sub->Drain(64, 10, &out));
  EXPECT_EQ(out.lines_size(), 1) << "one line at least, however small the budget";
  EXPECT_EQ(out.lines(0).message().back(), '2');
  // The queue has room again once drained: the next line is kept, not missed.
  ASSERT_TRUE(sub->Drain(64, kAnyBytes, &out));
  EXPECT_EQ(out.lines_size(), 1);
  hub.Publish("a/d1", Lines(0, 1));
  ASSERT_TRUE(sub->Drain(64, kAnyBytes, &out));
  EXPECT_EQ(out.lines_size(), 1);
  EXPECT_EQ(out.missed_lines(), 0u);
}

TEST(LogHub, AFirstReaderWantingATailOfAnEmptyDeviceAsksForThePhonesNewestLines) {
  std::vector<size_t> phone_tails;
  LogHub hub({.ring_lines = 50, .subscriber_lines = 100, .max_subscribers = 4},
             [&](const std::string&, bool on, size_t phone_tail) {
               if (on) phone_tails.push_back(phone_tail);
             });
  auto from_now = hub.Subscribe("a/d1", 0, nullptr, nullptr);
  EXPECT_FALSE(from_now->awaits_phone_tail());
  from_now.reset();
  auto reader = hub.Subscribe("a/d1", 10, nullptr, nullptr);
  EXPECT_TRUE(reader->awaits_phone_tail());
  hub.Publish("a/d1", Lines(0, 30));  // the phone's tail, oldest first
  EXPECT_EQ(reader->lines_offered(), 30u);
  reader->KeepNewest(10);
  v1::LogBatch out;
  ASSERT_TRUE(reader->Drain(64, kAnyBytes, &out));
  ASSERT_EQ(out.lines_size(), 10);
  EXPECT_EQ(out.lines(0).message(), "line 20");
  EXPECT_EQ(out.missed_lines(), 0u) << "older than the tail asked for, not missed";
  reader.reset();
  auto later = hub.Subscribe("a/d1", 10, nullptr, nullptr);
  EXPECT_FALSE(later->awaits_phone_tail()) << "the ring has lines now";
  EXPECT_EQ(phone_tails, (std::vector<size_t>{0, 50, 0}));
}

TEST(LogHub, TailAndFilterApply) {
  LogHub hub({.ring_lines = 5, .subscriber_lines = 100, .max_subscribers = 4}, nullptr);
  hub.Publish("a/d1", Lines(0, 8));
  hub.Publish("a/d1", Lines(8, 1, "other"));
  auto sub = hub.Subscribe("a/d1", 3, [](const v1::LogLine& l) { return l.tag() == "tflite"; }, nullptr);
  v1::LogBatch out;
  ASSERT_TRUE(sub->Drain(64, kAnyBytes, &out));
  ASSERT_EQ(out.lines_size(), 3);  // ring holds lines 4..8; the last three tflite ones
  EXPECT_EQ(out.lines(0).message(), "line 5");
  EXPECT_EQ(out.lines(2).message(), "line 7");
}

TEST(LogHub, InterestFollowsFirstAndLastSubscriberAndLimitHolds) {
  std::vector<std::pair<std::string, bool>> calls;
  LogHub hub({.ring_lines = 5, .subscriber_lines = 5, .max_subscribers = 2},
             [&](const std::string& d, bool on, size_t) { calls.push_back({d, on}); });
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
