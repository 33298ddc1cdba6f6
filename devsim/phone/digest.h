// Hex digests of bytes on the phone: the hash tools (sha256sum, md5sum, ...) and the
// lab's slowdown table (a model is chosen by the sha256 of its bytes).
#ifndef BENCHLAB_DEVSIM_PHONE_DIGEST_H_
#define BENCHLAB_DEVSIM_PHONE_DIGEST_H_

#include <openssl/evp.h>

#include <string>

#include "absl/strings/string_view.h"

namespace benchlab::devsim {

// Lower-case hex of `md` (EVP_sha256(), EVP_md5(), ...) over `data`.
std::string HexDigest(const EVP_MD* md, absl::string_view data);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_DIGEST_H_
