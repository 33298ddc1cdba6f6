// ArtifactCache: models and APKs the agent fetched from the coordinator, kept on the host
// by content hash (<state_dir>/artifacts/<sha256>), so each is downloaded once per host
// however many runs and phones use it. Downloads resume after a cut and are verified.
// A size cap evicts the least recently used files, never one a run holds (ArtifactLease).
#ifndef BENCHLAB_AGENT_LINK_ARTIFACT_CACHE_H_
#define BENCHLAB_AGENT_LINK_ARTIFACT_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "benchlab/v1/common.pb.h"

namespace benchlab::agent::link {

// Where artifact bytes come from: AgentLink.DownloadArtifact in production
// (CoordinatorLink::downloader()), a fake in tests.
class ArtifactDownloader {
 public:
  // Receives one chunk: its position in the artifact, its bytes, and the artifact's total
  // size. A non-OK return aborts the download with that status.
  using ChunkSink = absl::FunctionRef<absl::Status(int64_t offset, absl::string_view data, int64_t size_bytes)>;

  virtual ~ArtifactDownloader() = default;
  // Streams artifact `sha256` from `offset` to its end into `sink`, in order. Returns OK
  // once the last byte was delivered; any error (a cut, NOT_FOUND, ...) otherwise. Called
  // from the Fetch caller's thread; must be safe to call from several threads at once.
  virtual absl::Status Download(const std::string& sha256, int64_t offset, ChunkSink sink) = 0;
};

struct ArtifactCacheOptions {
  // Download attempts per Fetch; each one resumes from what the .part file holds.
  int max_attempts = 5;
  // Pause before attempt k (k >= 2): retry_pause * (k - 1).
  absl::Duration retry_pause = absl::Milliseconds(200);
  // Cap on the bytes of cached artifacts (complete files; .part files do not count);
  // 0 = no cap. Above it, the least recently used files no lease holds are deleted.
  int64_t max_bytes = 0;
};

class ArtifactCache;

// A run's hold on a cached artifact: while it lives the file is not evicted. Movable.
class ArtifactLease {
 public:
  ArtifactLease() = default;
  ArtifactLease(ArtifactCache* cache, std::string sha256, std::string path)
      : cache_(cache), sha256_(std::move(sha256)), path_(std::move(path)) {}
  ArtifactLease(ArtifactLease&& other) noexcept { *this = std::move(other); }
  ArtifactLease& operator=(ArtifactLease&& other) noexcept;
  ArtifactLease(const ArtifactLease&) = delete;
  ArtifactLease& operator=(const ArtifactLease&) = delete;
  ~ArtifactLease() { Release(); }

  const std::string& path() const { return path_; }
  const std::string& sha256() const { return sha256_; }
  // Lets the file go (eviction may take it from now on); the destructor does it too.
  void Release();

 private:
  ArtifactCache* cache_ = nullptr;
  std::string sha256_;
  std::string path_;
};

// Thread-safe. Fetch of different artifacts proceeds in parallel; concurrent Fetch of the
// same sha256 downloads once (later callers wait for the first and share its result,
// unless it was cancelled: then the next waiter resumes the download itself). A
// downloader that returns Cancelled (its caller gave up) ends Fetch at once, no retries.
class ArtifactCache {
 public:
  // Files live in <state_dir>/artifacts/ (created on first Fetch).
  explicit ArtifactCache(std::string state_dir, ArtifactCacheOptions options = {});

  // Returns the local path of the artifact, downloading it through `downloader` unless
  // already cached. The download goes to <sha>.part (resumed from its size after a cut
  // or a restart), is checked against ref.size_bytes and ref.sha256, and is renamed into
  // place only when both match. Errors: InvalidArgument (sha256 not 64 lower-case hex),
  // DataLoss (size or hash mismatch; the .part is deleted), or the downloader's last
  // error (e.g. Unavailable, NotFound) after max_attempts.
  // The lease pins the file until it is destroyed; the fetch counts as the file's last
  // use (kept in memory and as the file's mtime, so a restart keeps the order), and it
  // ends with an eviction pass (EnforceCap) that spares the file just fetched.
  absl::StatusOr<ArtifactLease> Fetch(const benchlab::v1::ArtifactRef& ref, ArtifactDownloader& downloader);

  // Deletes the least recently used cached files no lease holds, and none being
  // downloaded, until the cache holds at most max_bytes (or only pinned files are left).
  // Files this process has not used order by their mtime. Each deletion is logged
  // (event=cache_evicted). The daemon calls it at start; Fetch calls it after each fetch.
  void EnforceCap();

  // Where a cached artifact lives (whether or not it is there yet).
  std::string PathOf(const std::string& sha256) const;

 private:
  struct InFlight {
    bool done = false;
    absl::StatusOr<std::string> result = absl::UnknownError("pending");
  };
  friend class ArtifactLease;
  absl::StatusOr<std::string> FetchPath(const benchlab::v1::ArtifactRef& ref, ArtifactDownloader& downloader);
  absl::StatusOr<std::string> FetchUncached(const benchlab::v1::ArtifactRef& ref, ArtifactDownloader& downloader);
  void Unpin(const std::string& sha256);
  // A lease is about to be handed out: pin the file and record the use.
  void PinLocked(const std::string& sha256) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const ArtifactCacheOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<InFlight>> in_flight_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> pins_ ABSL_GUARDED_BY(mu_);  // sha256 -> leases alive
  // Last use by this process: a counter rather than a clock, so two fetches in one clock
  // tick still order. Files without an entry are older than every file with one.
  absl::flat_hash_map<std::string, uint64_t> last_use_ ABSL_GUARDED_BY(mu_);
  uint64_t use_counter_ ABSL_GUARDED_BY(mu_) = 0;
};

// Lower-case hex SHA-256 of a file's content.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

}  // namespace benchlab::agent::link

#endif  // BENCHLAB_AGENT_LINK_ARTIFACT_CACHE_H_
