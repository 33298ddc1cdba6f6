// One EVP_Digest call, printed as lower-case hex.
#include "devsim/phone/digest.h"

#include "absl/strings/str_format.h"

namespace benchlab::devsim {

std::string HexDigest(const EVP_MD* md, absl::string_view data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppendFormat(&hex, "%02x", buf[i]);
  return hex;
}

}  // namespace benchlab::devsim
