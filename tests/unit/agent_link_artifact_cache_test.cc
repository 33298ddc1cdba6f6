// ArtifactCache against a fake coordinator: a cut mid-way resumes from the .part size,
// a wrong hash leaves no file, a cached artifact is not fetched again, and two callers
// of one sha256 share one download.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "agent/link/artifact_cache.h"
#include "common/sha256.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::agent::link {
namespace {

namespace v1 = benchlab::v1;
using ::benchlab::testing::ReadFile;
using ::benchlab::testing::TempDir;

using ::benchlab::Sha256Hex;

// Serves `content` in `chunk`-byte pieces; the first `cuts` calls stop after `cut_at`
// bytes of the artifact with UNAVAILABLE, as a dropped connection does.
class FakeDownloader : public ArtifactDownloader {
 public:
  explicit FakeDownloader(std::string content) : content_(std::move(content)) {}
  absl::Status Download(const std::string& sha256, int64_t offset, ChunkSink sink) override {
    {
      absl::MutexLock l(&mu_);
      offsets.push_back(offset);
    }
    if (gate) gate->WaitForNotification();
    const int64_t size = static_cast<int64_t>(content_.size());
    bool cut = false;
    {
      absl::MutexLock l(&mu_);
      if (cuts > 0) {
        --cuts;
        cut = true;
      }
    }
    for (int64_t at = offset; at < size; at += chunk) {
      if (cut && at >= cut_at) return absl::UnavailableError("connection reset");
      int64_t n = std::min<int64_t>(chunk, size - at);
      if (cut && at + n > cut_at) n = cut_at - at;
      if (auto st = sink(at, absl::string_view(content_).substr(at, n), size); !st.ok()) return st;
      if (cut && at + n >= cut_at) return absl::UnavailableError("connection reset");
    }
    return absl::OkStatus();
  }
  std::vector<int64_t> Offsets() {
    absl::MutexLock l(&mu_);
    return offsets;
  }

  int64_t chunk = 1000;
  int cuts = 0;
  int64_t cut_at = 0;
  absl::Notification* gate = nullptr;

 private:
  std::string content_;
  absl::Mutex mu_;
  std::vector<int64_t> offsets ABSL_GUARDED_BY(mu_);
};

std::string Content(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

v1::ArtifactRef Ref(const std::string& content) {
  v1::ArtifactRef r;
  r.set_sha256(Sha256Hex(content));
  r.set_size_bytes(static_cast<int64_t>(content.size()));
  r.set_kind(v1::ARTIFACT_KIND_MODEL);
  return r;
}

ArtifactCacheOptions Fast() {
  ArtifactCacheOptions o;
  o.retry_pause = absl::Milliseconds(1);
  return o;
}

TEST(ArtifactCacheTest, DownloadsVerifiesAndServesFromCacheAfterwards) {
  TempDir dir;
  const std::string content = Content(5500);
  FakeDownloader fake(content);
  ArtifactCache cache(dir.path(), Fast());
  auto path = cache.Fetch(Ref(content), fake);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, dir.path() + "/artifacts/" + Ref(content).sha256());
  EXPECT_EQ(ReadFile(*path), content);
  auto again = cache.Fetch(Ref(content), fake);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(fake.Offsets().size(), 1u);  // not downloaded twice
}

TEST(ArtifactCacheTest, CutMidwayResumesFromThePartFile) {
  TempDir dir;
  const std::string content = Content(10000);
  FakeDownloader fake(content);
  fake.cuts = 1;
  fake.cut_at = 4500;
  ArtifactCache cache(dir.path(), Fast());
  auto path = cache.Fetch(Ref(content), fake);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(fake.Offsets(), (std::vector<int64_t>{0, 4500}));
  EXPECT_EQ(ReadFile(*path), content);
  EXPECT_FALSE(std::filesystem::exists(*path + ".part"));
}

TEST(ArtifactCacheTest, PartFromAnEarlierProcessIsResumed) {
  TempDir dir;
  const std::string content = Content(3000);
  FakeDownloader fake(content);
  fake.cuts = 10;  // every attempt of the first cache is cut: it gives up
  fake.cut_at = 1200;
  {
    ArtifactCacheOptions o = Fast();
    o.max_attempts = 1;
    ArtifactCache cache(dir.path(), o);
    auto path = cache.Fetch(Ref(content), fake);
    EXPECT_EQ(path.status().code(), absl::StatusCode::kUnavailable) << path.status();
  }
  fake.cuts = 0;
  ArtifactCache cache(dir.path(), Fast());
  auto path = cache.Fetch(Ref(content), fake);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(fake.Offsets(), (std::vector<int64_t>{0, 1200}));
  EXPECT_EQ(ReadFile(*path), content);
}

TEST(ArtifactCacheTest, WrongHashIsDataLossAndLeavesNoFile) {
  TempDir dir;
  const std::string content = Content(2000);
  std::string tampered = content;
  tampered[1500] ^= 1;
  FakeDownloader fake(tampered);
  ArtifactCache cache(dir.path(), Fast());
  auto path = cache.Fetch(Ref(content), fake);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), absl::StatusCode::kDataLoss) << path.status();
  const std::string where = cache.PathOf(Ref(content).sha256());
  EXPECT_FALSE(std::filesystem::exists(where));
  EXPECT_FALSE(std::filesystem::exists(where + ".part"));
}

TEST(ArtifactCacheTest, RefusesAShaThatIsNotHex) {
  TempDir dir;
  FakeDownloader fake("x");
  ArtifactCache cache(dir.path(), Fast());
  v1::ArtifactRef ref;
  ref.set_sha256("../../etc/passwd");
  ref.set_size_bytes(1);
  EXPECT_EQ(cache.Fetch(ref, fake).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fake.Offsets().empty());
}

TEST(ArtifactCacheTest, ConcurrentFetchOfOneShaDownloadsOnce) {
  TempDir dir;
  const std::string content = Content(4000);
  FakeDownloader fake(content);
  absl::Notification gate;
  fake.gate = &gate;
  ArtifactCache cache(dir.path(), Fast());
  absl::StatusOr<std::string> a, b;
  std::thread ta([&] { a = cache.Fetch(Ref(content), fake); });
  // Wait until the first download is under way, then start a second caller.
  while (fake.Offsets().empty()) absl::SleepFor(absl::Milliseconds(1));
  std::thread tb([&] { b = cache.Fetch(Ref(content), fake); });
  absl::SleepFor(absl::Milliseconds(50));  // give the second caller time to join the wait
  gate.Notify();
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(fake.Offsets().size(), 1u);
}

}  // namespace
}  // namespace benchlab::agent::link
