// ArtifactStore: streamed, verified, content-addressed files; see artifact_store.h.
#include "coordinator/artifact_store.h"

#include <openssl/evp.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace benchlab::coordinator {

namespace fs = std::filesystem;

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status ArtifactStore::Init() {
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / "tmp", ec);
  if (ec) return absl::UnavailableError(absl::StrCat("create ", dir_, ": ", ec.message()));
  return absl::OkStatus();
}

std::string ArtifactStore::PathOf(const std::string& sha256) const {
  return absl::StrCat(dir_, "/", sha256.substr(0, 2), "/", sha256);
}

bool ArtifactStore::Has(const std::string& sha256) const {
  std::error_code ec;
  return IsSha256Hex(sha256) && fs::exists(PathOf(sha256), ec);
}

absl::StatusOr<std::unique_ptr<ArtifactStore::Writer>> ArtifactStore::NewWriter(
    const std::string& sha256, int64_t size_bytes) {
  if (!IsSha256Hex(sha256)) {
    return absl::InvalidArgumentError("sha256 must be 64 lower-case hex characters");
  }
  if (size_bytes < 0 || size_bytes > max_bytes_) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "artifact of %d bytes exceeds the limit of %d bytes (--max-artifact-mb)", size_bytes, max_bytes_));
  }
  // Refused before any byte is sent when it cannot fit, rather than after most of it.
  if (struct statvfs fs_info; statvfs(dir_.c_str(), &fs_info) == 0) {
    const int64_t free_bytes = static_cast<int64_t>(fs_info.f_bavail) * static_cast<int64_t>(fs_info.f_frsize);
    if (size_bytes > free_bytes) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "no space for an artifact of %d bytes: the data directory %s has %d bytes free", size_bytes, dir_,
          free_bytes));
    }
  }
  static std::atomic<uint64_t> counter{0};
  std::unique_ptr<Writer> w(new Writer());
  w->store_ = this;
  w->sha256_ = sha256;
  w->expected_bytes_ = size_bytes;
  w->tmp_path_ = absl::StrCat(dir_, "/tmp/", sha256, ".", getpid(), ".", counter++);
  w->file_ = fopen(w->tmp_path_.c_str(), "wb");
  if (w->file_ == nullptr) return absl::UnavailableError("cannot write " + w->tmp_path_);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  w->hash_ = ctx;
  return w;
}

ArtifactStore::Writer::~Writer() {
  if (file_ != nullptr) fclose(file_);
  if (!tmp_path_.empty()) unlink(tmp_path_.c_str());
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(hash_));
}

absl::Status ArtifactStore::Writer::Append(absl::string_view data) {
  if (file_ == nullptr) return absl::FailedPreconditionError("upload already finished");
  if (written_bytes_ + static_cast<int64_t>(data.size()) > expected_bytes_) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "upload exceeds its declared size of %d bytes", expected_bytes_));
  }
  if (fwrite(data.data(), 1, data.size(), file_) != data.size()) {
    return WriteError("write", errno);
  }
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(hash_), data.data(), data.size());
  written_bytes_ += data.size();
  return absl::OkStatus();
}

absl::Status ArtifactStore::Writer::WriteError(const char* what, int error) const {
  const std::string message = absl::StrCat(what, " of ", tmp_path_, " failed: ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) {
    return absl::ResourceExhaustedError(message + " (free space in the data directory, then upload again)");
  }
  return absl::UnavailableError(message);
}

absl::StatusOr<bool> ArtifactStore::Writer::Commit() {
  if (file_ == nullptr) return absl::FailedPreconditionError("upload already finished");
  bool flushed = fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  const int flush_errno = errno;
  fclose(file_);
  file_ = nullptr;
  if (!flushed) return WriteError("flush", flush_errno);
  if (written_bytes_ != expected_bytes_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "upload ended after %d bytes; the header declared %d", written_bytes_, expected_bytes_));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(hash_), md, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppendFormat(&hex, "%02x", md[i]);
  if (hex != sha256_) {
    return absl::InvalidArgumentError(
        absl::StrCat("content sha256 is ", hex, " but the header declared ", sha256_));
  }
  if (store_->Has(sha256_)) return true;
  std::string final_path = store_->PathOf(sha256_);
  std::error_code ec;
  fs::create_directories(fs::path(final_path).parent_path(), ec);
  if (rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    return absl::UnavailableError("cannot move artifact into " + final_path);
  }
  tmp_path_.clear();
  return false;
}

absl::Status ArtifactStore::Remove(const std::string& sha256) {
  if (!IsSha256Hex(sha256)) return absl::OkStatus();  // never stored under such a name
  std::error_code ec;
  if (!fs::remove(PathOf(sha256), ec) && ec) {
    return absl::UnavailableError(absl::StrCat("cannot delete artifact ", PathOf(sha256), ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ArtifactStore::Read(const std::string& sha256, int64_t offset,
                                                int64_t max_bytes) const {
  if (!Has(sha256)) return absl::NotFoundError("artifact " + sha256 + " not found");
  FILE* f = fopen(PathOf(sha256).c_str(), "rb");
  if (f == nullptr) return absl::NotFoundError("artifact " + sha256 + " unreadable");
  std::string out;
  if (fseeko(f, offset, SEEK_SET) == 0) {
    out.resize(max_bytes);
    out.resize(fread(out.data(), 1, max_bytes, f));
  }
  fclose(f);
  return out;
}

}  // namespace benchlab::coordinator
