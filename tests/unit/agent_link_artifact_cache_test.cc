// ArtifactCache against a fake coordinator: a cut mid-way resumes from the .part size,
// a wrong hash leaves no file, a cached artifact is not fetched again, and two callers
// of one sha256 share one download; the size cap evicts the least recently used files,
// never one a lease holds nor the one just fetched.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
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
  EXPECT_EQ(path->path(), dir.path() + "/artifacts/" + Ref(content).sha256());
  EXPECT_EQ(ReadFile(path->path()), content);
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
  EXPECT_EQ(ReadFile(path->path()), content);
  EXPECT_FALSE(std::filesystem::exists(path->path() + ".part"));
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
  EXPECT_EQ(ReadFile(path->path()), content);
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
  absl::StatusOr<ArtifactLease> a = absl::UnknownError("unset"), b = a.status();
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
  EXPECT_EQ(a->path(), b->path());
  EXPECT_EQ(fake.Offsets().size(), 1u);
}

// A cached file as an earlier process left it: `bytes` long, last touched `age_s` ago.
void PutCached(const std::string& state_dir, const std::string& content, int age_s) {
  std::filesystem::create_directories(state_dir + "/artifacts");
  const std::string path = state_dir + "/artifacts/" + Sha256Hex(content);
  std::ofstream(path, std::ios::binary) << content;
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = ::time(nullptr) - age_s;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

bool Cached(const ArtifactCache& cache, const std::string& content) {
  return std::filesystem::exists(cache.PathOf(Sha256Hex(content)));
}

std::string Distinct(char c, size_t n) { return std::string(n, c); }

TEST(ArtifactCacheCapTest, AtStartEvictsTheOldestByMtimeUntilUnderTheCap) {
  TempDir dir;
  const std::string oldest = Distinct('a', 1000), middle = Distinct('b', 1000), newest = Distinct('c', 1000);
  PutCached(dir.path(), middle, 200);
  PutCached(dir.path(), oldest, 300);
  PutCached(dir.path(), newest, 100);
  std::ofstream(dir.path() + "/artifacts/" + Sha256Hex(oldest) + ".part") << std::string(5000, 'x');
  ArtifactCacheOptions o = Fast();
  o.max_bytes = 2000;
  ArtifactCache cache(dir.path(), o);
  cache.EnforceCap();
  EXPECT_FALSE(Cached(cache, oldest));
  EXPECT_TRUE(Cached(cache, middle));
  EXPECT_TRUE(Cached(cache, newest));
  // A partial download is not a cached file: neither counted nor deleted.
  EXPECT_TRUE(std::filesystem::exists(cache.PathOf(Sha256Hex(oldest)) + ".part"));
  o.max_bytes = 0;  // no cap: nothing goes
  ArtifactCache uncapped(dir.path(), o);
  uncapped.EnforceCap();
  EXPECT_TRUE(Cached(cache, middle));
}

TEST(ArtifactCacheCapTest, LeastRecentlyFetchedGoesFirstAndTheFetchTouchesTheFile) {
  TempDir dir;
  const std::string a = Distinct('a', 1000), b = Distinct('b', 1000), c = Distinct('c', 1000);
  PutCached(dir.path(), a, 300);  // oldest on disk...
  PutCached(dir.path(), b, 100);
  ArtifactCacheOptions o = Fast();
  o.max_bytes = 2000;
  ArtifactCache cache(dir.path(), o);
  FakeDownloader fake_c(c);
  {
    FakeDownloader unused("");
    auto lease = cache.Fetch(Ref(a), unused);  // ...but used now: b is the least recent
    ASSERT_TRUE(lease.ok()) << lease.status();
    EXPECT_TRUE(unused.Offsets().empty());  // served from the cache
    struct stat st;
    ASSERT_EQ(::stat(lease->path().c_str(), &st), 0);
    EXPECT_GT(st.st_mtime, ::time(nullptr) - 60);  // touched: a restart keeps the order
  }
  auto lease_c = cache.Fetch(Ref(c), fake_c);
  ASSERT_TRUE(lease_c.ok()) << lease_c.status();
  EXPECT_TRUE(Cached(cache, a));
  EXPECT_FALSE(Cached(cache, b));
  EXPECT_TRUE(Cached(cache, c));
}

TEST(ArtifactCacheCapTest, FilesInUseAndTheOneJustFetchedSurvive) {
  TempDir dir;
  const std::string a = Distinct('a', 1000), b = Distinct('b', 1000), c = Distinct('c', 1000);
  ArtifactCacheOptions o = Fast();
  o.max_bytes = 1500;  // room for one file only
  ArtifactCache cache(dir.path(), o);
  FakeDownloader fake_a(a), fake_b(b), fake_c(c);
  auto lease_a = cache.Fetch(Ref(a), fake_a);
  ASSERT_TRUE(lease_a.ok()) << lease_a.status();
  // a is held by a run: fetching b leaves both (over the cap, nothing may go).
  auto lease_b = cache.Fetch(Ref(b), fake_b);
  ASSERT_TRUE(lease_b.ok()) << lease_b.status();
  EXPECT_TRUE(Cached(cache, a));
  EXPECT_TRUE(Cached(cache, b));
  // a's run ends; c's fetch evicts a (least recent, free), keeps b (held) and c (just fetched).
  lease_a->Release();
  auto lease_c = cache.Fetch(Ref(c), fake_c);
  ASSERT_TRUE(lease_c.ok()) << lease_c.status();
  EXPECT_FALSE(Cached(cache, a));
  EXPECT_TRUE(Cached(cache, b));
  EXPECT_TRUE(Cached(cache, c));
  EXPECT_EQ(ReadFile(lease_b->path()), b);
  // A moved lease still pins; destroying the last one frees the file for the next pass.
  ArtifactLease moved = std::move(*lease_b);
  cache.EnforceCap();
  EXPECT_TRUE(Cached(cache, b));
  moved = ArtifactLease();
  lease_c->Release();
  cache.EnforceCap();
  EXPECT_FALSE(Cached(cache, b));  // b was less recently used than c
  EXPECT_TRUE(Cached(cache, c));
}

}  // namespace
}  // namespace benchlab::agent::link
