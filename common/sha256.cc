// OpenSSL's EVP interface (libcrypto from Debian's libssl-dev).
#include "common/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace benchlab {
namespace {

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string Hex(const unsigned char* md, unsigned int n) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), n));
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return Hex(md, n);
}

namespace {

// The file's digest with `md` as hex, and its size.
absl::StatusOr<std::pair<std::string, uint64_t>> DigestFile(const std::string& path,
                                                            const EVP_MD* md_type) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  }
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), md_type, nullptr);
  std::vector<char> buf(1 << 20);
  uint64_t size = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path));
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
    size += static_cast<uint64_t>(n);
  }
  ::close(fd);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &n);
  return std::make_pair(Hex(md, n), size);
}

}  // namespace

absl::StatusOr<FileDigest> Sha256File(const std::string& path) {
  auto d = DigestFile(path, EVP_sha256());
  if (!d.ok()) return d.status();
  return FileDigest{d->first, d->second};
}

absl::StatusOr<std::string> Md5FileHex(const std::string& path) {
  auto d = DigestFile(path, EVP_md5());
  if (!d.ok()) return d.status();
  return d->first;
}

}  // namespace benchlab
