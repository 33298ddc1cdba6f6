// Outbox: replay after reopen, acks, the raw-log size cap, a torn tail, a corrupt middle,
// compaction and a full disk (through the writer seam).
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "agent/link/outbox.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::agent::link {
namespace {

namespace v1 = benchlab::v1;
using ::benchlab::testing::ReadFile;
using ::benchlab::testing::TempDir;
using ::benchlab::testing::WriteFile;

v1::RunEvent State(const std::string& id, v1::RunState s, const std::string& run = "j1.0.0") {
  v1::RunEvent e;
  e.set_event_id(id);
  e.set_run_id(run);
  e.set_attempt(1);
  e.set_state(s);
  return e;
}
v1::RunEvent RawLog(const std::string& id, int lines, const std::string& run = "j1.0.0") {
  v1::RunEvent e;
  e.set_event_id(id);
  e.set_run_id(run);
  e.set_attempt(1);
  for (int i = 0; i < lines; ++i) e.mutable_raw_log()->add_lines(absl::StrCat("line ", i, " of ", id));
  return e;
}
v1::RunEvent Result(const std::string& id, const std::string& run = "j1.0.0") {
  v1::RunEvent e;
  e.set_event_id(id);
  e.set_run_id(run);
  e.set_attempt(1);
  e.mutable_result()->set_state(v1::RUN_STATE_DONE);
  e.mutable_result()->mutable_metrics()->set_avg_us(1234);
  return e;
}
std::vector<std::string> Ids(const std::vector<v1::RunEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.event_id());
  return ids;
}

std::unique_ptr<Outbox> OpenOrDie(const std::string& dir, OutboxOptions o = {}) {
  auto box = Outbox::Open(dir, o);
  EXPECT_TRUE(box.ok()) << box.status();
  return box.ok() ? std::move(*box) : nullptr;
}

TEST(OutboxTest, EventsSurviveReopenInOrder) {
  TempDir dir;
  {
    auto box = OpenOrDie(dir.path());
    ASSERT_TRUE(box->Add(State("a", v1::RUN_STATE_RUNNING)).ok());
    ASSERT_TRUE(box->Add(RawLog("b", 2)).ok());
    ASSERT_TRUE(box->Add(Result("c")).ok());
    ASSERT_TRUE(box->Add(Result("c")).ok());  // same id again: held once
  }
  auto box = OpenOrDie(dir.path());
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(box->Unacked()[2].result().metrics().avg_us(), 1234);
}

TEST(OutboxTest, AckedEventsAreGoneAfterReopen) {
  TempDir dir;
  {
    auto box = OpenOrDie(dir.path());
    ASSERT_TRUE(box->Add(State("a", v1::RUN_STATE_RUNNING, "r1")).ok());
    ASSERT_TRUE(box->Add(State("b", v1::RUN_STATE_RUNNING, "r2")).ok());
    ASSERT_TRUE(box->Add(Result("c", "r2")).ok());
    box->Ack({"a", "c", "unknown"});
    EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"b"}));
  }
  auto box = OpenOrDie(dir.path());
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"b"}));
  auto runs = box->RunsWithUnackedEvents();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id(), "r2");
  EXPECT_EQ(runs[0].attempt(), 1);
}

TEST(OutboxTest, UnackedAfterWalksInAddOrder) {
  TempDir dir;
  auto box = OpenOrDie(dir.path());
  ASSERT_TRUE(box->Add(State("a", v1::RUN_STATE_INSTALLING)).ok());
  ASSERT_TRUE(box->Add(State("b", v1::RUN_STATE_RUNNING)).ok());
  ASSERT_TRUE(box->Add(Result("c")).ok());
  auto first = box->UnackedAfter(0, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[1].event.event_id(), "b");
  auto rest = box->UnackedAfter(first[1].seq, 10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].event.event_id(), "c");
  EXPECT_EQ(rest[0].seq, box->last_seq());
}

TEST(OutboxTest, CapDropsOnlyTheOldestRawLogsAndCountsTheirLines) {
  TempDir dir;
  OutboxOptions o;
  // Room for the state and result events plus exactly two 10-line raw logs.
  o.max_bytes = State("s1", v1::RUN_STATE_RUNNING).ByteSizeLong() + 2 * RawLog("l1", 10).ByteSizeLong() +
                Result("r").ByteSizeLong();
  {
    auto box = OpenOrDie(dir.path() + "/box", o);
    ASSERT_TRUE(box->Add(State("s1", v1::RUN_STATE_RUNNING)).ok());
    ASSERT_TRUE(box->Add(RawLog("l1", 10)).ok());
    ASSERT_TRUE(box->Add(RawLog("l2", 10)).ok());
    ASSERT_TRUE(box->Add(RawLog("l3", 10)).ok());
    ASSERT_TRUE(box->Add(RawLog("l4", 10)).ok());
    ASSERT_TRUE(box->Add(Result("r")).ok());
    EXPECT_LE(box->held_bytes(), o.max_bytes);
    EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"s1", "l3", "l4", "r"}));
    EXPECT_EQ(box->dropped_log_lines(), 20u);
  }
  auto box = OpenOrDie(dir.path() + "/box", o);
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"s1", "l3", "l4", "r"}));
  EXPECT_EQ(box->dropped_log_lines(), 20u);
}

TEST(OutboxTest, CapNeverDropsStateOrResultEvents) {
  TempDir dir;
  OutboxOptions o;
  o.max_bytes = 10;  // smaller than any event
  auto box = OpenOrDie(dir.path(), o);
  ASSERT_TRUE(box->Add(State("s1", v1::RUN_STATE_RUNNING)).ok());
  ASSERT_TRUE(box->Add(RawLog("l1", 3)).ok());
  ASSERT_TRUE(box->Add(Result("r")).ok());
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"s1", "r"}));
  EXPECT_EQ(box->dropped_log_lines(), 3u);
}

TEST(OutboxTest, TornLastRecordIsIgnoredAndCutOff) {
  TempDir dir;
  std::string path;
  {
    auto box = OpenOrDie(dir.path());
    ASSERT_TRUE(box->Add(State("a", v1::RUN_STATE_RUNNING)).ok());
    ASSERT_TRUE(box->Add(Result("b")).ok());
    path = box->path();
  }
  std::string whole = ReadFile(path);
  // A third record cut after its header and a few payload bytes, as a crash leaves it.
  std::string more;
  {
    TempDir other;
    auto box = OpenOrDie(other.path());
    ASSERT_TRUE(box->Add(Result("c")).ok());
    more = ReadFile(box->path());
  }
  ASSERT_TRUE(WriteFile(path, whole + more.substr(0, more.size() - 3)));
  {
    auto box = OpenOrDie(dir.path());
    EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(box->file_bytes(), whole.size());
    ASSERT_TRUE(box->Add(Result("d")).ok());  // appends after the cut, still readable
  }
  auto box = OpenOrDie(dir.path());
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"a", "b", "d"}));
}

TEST(OutboxTest, TornHeaderIsIgnored) {
  TempDir dir;
  std::string path;
  {
    auto box = OpenOrDie(dir.path());
    ASSERT_TRUE(box->Add(State("a", v1::RUN_STATE_RUNNING)).ok());
    path = box->path();
  }
  ASSERT_TRUE(WriteFile(path, ReadFile(path) + std::string("\x05\x00", 2)));
  auto box = OpenOrDie(dir.path());
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"a"}));
}

TEST(OutboxTest, CorruptRecordInTheMiddleIsAnErrorNamingTheFile) {
  TempDir dir;
  std::string path;
  {
    auto box = OpenOrDie(dir.path());
    ASSERT_TRUE(box->Add(State("a", v1::RUN_STATE_RUNNING)).ok());
    ASSERT_TRUE(box->Add(Result("b")).ok());
    path = box->path();
  }
  std::string data = ReadFile(path);
  data[12] ^= 0x40;  // inside the first record's payload
  ASSERT_TRUE(WriteFile(path, data));
  auto box = Outbox::Open(dir.path());
  ASSERT_FALSE(box.ok());
  EXPECT_EQ(box.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(box.status().message().find(path), std::string::npos) << box.status();
}

TEST(OutboxTest, CompactsWhenTheFileIsMostlyAckedRecords) {
  TempDir dir;
  OutboxOptions o;
  o.compact_min_file_bytes = 0;
  {
    auto box = OpenOrDie(dir.path(), o);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(box->Add(RawLog(absl::StrCat("l", i), 5)).ok());
    const uint64_t full = box->file_bytes();
    std::vector<std::string> ids;
    for (int i = 0; i < 19; ++i) ids.push_back(absl::StrCat("l", i));
    box->Ack(ids);
    EXPECT_LT(box->file_bytes(), full / 5);
    EXPECT_LE(box->file_bytes(), 2 * (box->held_bytes() + 64));
    ASSERT_TRUE(box->Add(Result("r")).ok());
  }
  auto box = OpenOrDie(dir.path(), o);
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"l19", "r"}));
}

// Fails every write with ENOSPC while `full` is set.
class FullDiskWriter : public OutboxFileWriter {
 public:
  ssize_t Write(int fd, const void* data, size_t size) override {
    if (full) {
      errno = ENOSPC;
      return -1;
    }
    return OutboxFileWriter::Write(fd, data, size);
  }
  bool full = false;
};

TEST(OutboxTest, FullDiskIsResourceExhaustedAndKeepsTheEventInMemory) {
  TempDir dir;
  FullDiskWriter writer;
  OutboxOptions o;
  o.writer = &writer;
  {
    auto box = OpenOrDie(dir.path(), o);
    ASSERT_TRUE(box->Add(State("a", v1::RUN_STATE_RUNNING)).ok());
    writer.full = true;
    absl::Status st = box->Add(Result("b"));
    EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
    EXPECT_NE(st.message().find("disk full"), std::string::npos) << st;
    EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"a", "b"}));
    writer.full = false;
    ASSERT_TRUE(box->Add(Result("c", "r2")).ok());  // room again: the file catches up
  }
  auto box = OpenOrDie(dir.path(), o);
  EXPECT_EQ(Ids(box->Unacked()), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(OutboxTest, Crc32cMatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
}

}  // namespace
}  // namespace benchlab::agent::link
