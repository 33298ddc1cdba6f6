// Models and APKs on disk, content-addressed: <dir>/<first 2 hex>/<sha256>. Uploads are
// written to a temporary file while hashed, then verified (size, SHA-256) and renamed
// into place, so a reader never sees a partial artifact and the same bytes are stored once.
// Thread-safety: any thread; a Writer belongs to one upload.
#ifndef BENCHLAB_COORDINATOR_ARTIFACT_STORE_H_
#define BENCHLAB_COORDINATOR_ARTIFACT_STORE_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab::coordinator {

class ArtifactStore {
 public:
  // One upload in progress. Destroying it without Commit discards the bytes.
  class Writer {
   public:
    ~Writer();
    // ResourceExhausted past the expected size or the store's limit.
    absl::Status Append(absl::string_view data);
    // Verifies size and hash and moves the file into place. Returns true when the
    // content was already stored (deduplicated). InvalidArgument on a mismatch.
    absl::StatusOr<bool> Commit();

   private:
    friend class ArtifactStore;
    Writer() = default;
    // ResourceExhausted for a full disk (ENOSPC, EDQUOT), Unavailable otherwise.
    absl::Status WriteError(const char* what, int error) const;
    ArtifactStore* store_ = nullptr;
    std::string sha256_;
    int64_t expected_bytes_ = 0;
    int64_t written_bytes_ = 0;
    std::string tmp_path_;
    FILE* file_ = nullptr;
    void* hash_ = nullptr;  // EVP_MD_CTX*
  };

  ArtifactStore(std::string dir, int64_t max_artifact_bytes)
      : dir_(std::move(dir)), max_bytes_(max_artifact_bytes) {}
  // Creates the directory.
  absl::Status Init();
  int64_t max_artifact_bytes() const { return max_bytes_; }

  // Starts an upload of content with this hash and size. InvalidArgument for a
  // malformed hash; ResourceExhausted when size exceeds the limit.
  absl::StatusOr<std::unique_ptr<Writer>> NewWriter(const std::string& sha256, int64_t size_bytes);
  bool Has(const std::string& sha256) const;
  // Up to `max_bytes` from `offset`; empty at the end. NotFound when absent.
  absl::StatusOr<std::string> Read(const std::string& sha256, int64_t offset, int64_t max_bytes) const;
  std::string PathOf(const std::string& sha256) const;
  // Deletes the content (artifact retention). OK when it was not there (or the name is
  // not a sha256, under which nothing is stored).
  absl::Status Remove(const std::string& sha256);

 private:
  std::string dir_;
  int64_t max_bytes_;
};

// True for 64 lower-case hex characters.
bool IsSha256Hex(const std::string& s);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_ARTIFACT_STORE_H_
