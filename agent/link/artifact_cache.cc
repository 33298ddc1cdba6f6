// ArtifactCache: download into <sha>.part with resume, verify, rename into place; leases
// pin files, and the size cap evicts the least recently used unpinned ones.
#include "agent/link/artifact_cache.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

namespace benchlab::agent::link {

namespace v1 = benchlab::v1;

namespace {

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

// Errors that another attempt cannot fix.
bool IsPermanent(const absl::Status& st) {
  return st.code() == absl::StatusCode::kNotFound || st.code() == absl::StatusCode::kInvalidArgument ||
         st.code() == absl::StatusCode::kPermissionDenied || st.code() == absl::StatusCode::kUnauthenticated ||
         st.code() == absl::StatusCode::kDataLoss || st.code() == absl::StatusCode::kCancelled;
}

}  // namespace

absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat(path, ": read failed: ", std::strerror(err)));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppendFormat(&hex, "%02x", md[i]);
  return hex;
}

ArtifactCache::ArtifactCache(std::string state_dir, ArtifactCacheOptions options)
    : dir_(std::move(state_dir) + "/artifacts"), options_(options) {}

std::string ArtifactCache::PathOf(const std::string& sha256) const { return dir_ + "/" + sha256; }

ArtifactLease& ArtifactLease::operator=(ArtifactLease&& other) noexcept {
  if (this != &other) {
    Release();
    cache_ = std::exchange(other.cache_, nullptr);
    sha256_ = std::move(other.sha256_);
    path_ = std::move(other.path_);
  }
  return *this;
}

void ArtifactLease::Release() {
  if (cache_ != nullptr) std::exchange(cache_, nullptr)->Unpin(sha256_);
}

void ArtifactCache::Unpin(const std::string& sha256) {
  absl::MutexLock l(&mu_);
  auto it = pins_.find(sha256);
  if (it != pins_.end() && --it->second <= 0) pins_.erase(it);
}

absl::StatusOr<ArtifactLease> ArtifactCache::Fetch(const v1::ArtifactRef& ref, ArtifactDownloader& downloader) {
  // FetchPath pinned the file under mu_ before returning, so no eviction can slip in.
  absl::StatusOr<std::string> path = FetchPath(ref, downloader);
  if (!path.ok()) return path.status();
  ArtifactLease lease(this, ref.sha256(), *path);
  // The mtime carries the last use across a restart (EnforceCap orders unknown files by it).
  ::utimensat(AT_FDCWD, path->c_str(), nullptr, 0);
  EnforceCap();
  return lease;
}

void ArtifactCache::EnforceCap() {
  if (options_.max_bytes <= 0) return;
  struct Entry {
    bool used_here;     // this process fetched it: order by last_use_
    uint64_t use;       // last_use_ counter
    int64_t mtime_ns;   // otherwise by mtime
    std::string sha;
    int64_t bytes;
  };
  absl::MutexLock l(&mu_);
  std::vector<Entry> entries;
  int64_t total = 0;
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = de.path().filename().string();
    if (!IsSha256Hex(name)) continue;  // .part files and strangers are not the cache's
    struct stat st;
    if (::stat(de.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    auto use = last_use_.find(name);
    entries.push_back({use != last_use_.end(), use != last_use_.end() ? use->second : 0,
                       static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, name,
                       static_cast<int64_t>(st.st_size)});
    total += static_cast<int64_t>(st.st_size);
  }
  if (total <= options_.max_bytes) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.used_here, a.use, a.mtime_ns, a.sha) < std::tie(b.used_here, b.use, b.mtime_ns, b.sha);
  });
  for (const Entry& e : entries) {
    if (total <= options_.max_bytes) break;
    if (pins_.contains(e.sha) || in_flight_.contains(e.sha)) continue;  // a run holds it
    if (::unlink(PathOf(e.sha).c_str()) != 0) {
      spdlog::warn("event=cache_evict_failed sha256={} error=\"{}\"", e.sha, std::strerror(errno));
      continue;
    }
    last_use_.erase(e.sha);
    total -= e.bytes;
    spdlog::info("event=cache_evicted sha256={} bytes={} cache_bytes={} max_bytes={}", e.sha, e.bytes, total,
                 options_.max_bytes);
  }
  if (total > options_.max_bytes) {
    spdlog::warn("event=cache_over_cap cache_bytes={} max_bytes={} reason=\"the rest is in use\"", total,
                 options_.max_bytes);
  }
}

absl::StatusOr<std::string> ArtifactCache::FetchPath(const v1::ArtifactRef& ref, ArtifactDownloader& downloader) {
  // The hash becomes a file name: refuse anything but hex so it cannot name another path.
  if (!IsSha256Hex(ref.sha256())) {
    return absl::InvalidArgumentError(absl::StrCat("artifact sha256 \"", ref.sha256(), "\" is not 64 lower-case hex"));
  }
  const std::string path = PathOf(ref.sha256());
  std::shared_ptr<InFlight> flight;
  for (;;) {
    absl::MutexLock l(&mu_);
    if (FileSize(path) == ref.size_bytes()) {
      PinLocked(ref.sha256());
      return path;
    }
    auto it = in_flight_.find(ref.sha256());
    if (it == in_flight_.end()) {
      flight = std::make_shared<InFlight>();
      in_flight_[ref.sha256()] = flight;
      break;
    }
    std::shared_ptr<InFlight> other = it->second;
    mu_.Await(absl::Condition(&other->done));
    // The first caller's download was cancelled (its run was): that is not our answer;
    // fetch it ourselves, resuming from what it left in the .part file.
    if (other->result.status().code() != absl::StatusCode::kCancelled) {
      if (other->result.ok()) PinLocked(ref.sha256());
      return other->result;
    }
  }
  absl::StatusOr<std::string> result = FetchUncached(ref, downloader);
  absl::MutexLock l(&mu_);
  flight->result = result;
  flight->done = true;
  in_flight_.erase(ref.sha256());
  if (result.ok()) PinLocked(ref.sha256());
  return result;
}

void ArtifactCache::PinLocked(const std::string& sha256) {
  ++pins_[sha256];
  last_use_[sha256] = ++use_counter_;
}

absl::StatusOr<std::string> ArtifactCache::FetchUncached(const v1::ArtifactRef& ref, ArtifactDownloader& downloader) {
  const std::string& sha = ref.sha256();
  const std::string path = PathOf(sha);
  const std::string part = path + ".part";
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("artifact cache: cannot create ", dir_, ": ", ec.message()));
  std::filesystem::remove(path, ec);  // wrong size (checked by Fetch): fetch again

  const int64_t expected = ref.size_bytes();
  absl::Status last = absl::OkStatus();
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (attempt > 1) absl::SleepFor(options_.retry_pause * (attempt - 1));
    int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return absl::UnavailableError(absl::StrCat(part, ": cannot open: ", std::strerror(errno)));
    struct stat st;
    int64_t have = ::fstat(fd, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
    if (have > expected) {  // not ours, or a different artifact: start over
      if (::ftruncate(fd, 0) != 0) have = -1;
      have = have < 0 ? -1 : 0;
    }
    if (have < 0) {
      ::close(fd);
      return absl::UnavailableError(absl::StrCat(part, ": cannot truncate: ", std::strerror(errno)));
    }
    if (have == expected && expected > 0) {
      ::close(fd);
      last = absl::OkStatus();
      break;
    }
    if (have > 0) spdlog::info("event=artifact_resume sha256={} offset={} size={}", sha, have, expected);
    int64_t at = have;
    last = downloader.Download(sha, have, [&](int64_t offset, absl::string_view data, int64_t size_bytes) {
      if (size_bytes != expected) {
        return absl::DataLossError(absl::StrCat("artifact ", sha, ": coordinator says ", size_bytes,
                                                " bytes, the job says ", expected));
      }
      if (offset != at) {
        return absl::DataLossError(absl::StrCat("artifact ", sha, ": chunk at ", offset, ", expected ", at));
      }
      if (at + static_cast<int64_t>(data.size()) > expected) {
        return absl::DataLossError(absl::StrCat("artifact ", sha, ": more bytes than its size ", expected));
      }
      size_t done = 0;
      while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          return absl::ResourceExhaustedError(absl::StrCat(part, ": write failed: ", std::strerror(errno)));
        }
        done += static_cast<size_t>(n);
      }
      at += static_cast<int64_t>(data.size());
      return absl::OkStatus();
    });
    if (last.ok() && ::fdatasync(fd) != 0) {
      last = absl::UnavailableError(absl::StrCat(part, ": fsync failed: ", std::strerror(errno)));
    }
    ::close(fd);
    if (last.ok()) break;
    spdlog::warn("event=artifact_download_failed sha256={} attempt={} offset={} error=\"{}\"", sha, attempt, at,
                 last.ToString());
    if (last.code() == absl::StatusCode::kDataLoss) std::filesystem::remove(part, ec);
    if (last.code() == absl::StatusCode::kOutOfRange) std::filesystem::remove(part, ec);  // offset beyond size
    if (IsPermanent(last)) break;
  }
  if (!last.ok()) {
    return absl::Status(last.code(), absl::StrCat("artifact ", sha, ": download failed: ", last.message()));
  }

  const int64_t got = FileSize(part);
  if (got != expected) {
    std::filesystem::remove(part, ec);
    return absl::DataLossError(absl::StrCat("artifact ", sha, ": downloaded ", got, " bytes, expected ", expected));
  }
  auto actual = Sha256OfFile(part);
  if (!actual.ok()) return actual.status();
  if (*actual != sha) {
    std::filesystem::remove(part, ec);
    return absl::DataLossError(absl::StrCat("artifact ", sha, ": content hashes to ", *actual,
                                            "; the download was corrupted (deleted, will fetch again)"));
  }
  if (::rename(part.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat(path, ": rename failed: ", std::strerror(errno)));
  }
  spdlog::info("event=artifact_cached sha256={} bytes={} path={}", sha, expected, path);
  return path;
}

}  // namespace benchlab::agent::link
