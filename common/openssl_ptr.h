// Owning pointers for OpenSSL's objects, each freed with its own *_free, for the code that
// reads certificates (pem_files.cc) and the code that makes them (coordinator/pki.cc).
#ifndef BENCHLAB_COMMON_OPENSSL_PTR_H_
#define BENCHLAB_COMMON_OPENSSL_PTR_H_

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace benchlab {

struct OpensslFree {
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(X509* x) const { X509_free(x); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, OpensslFree>;
using X509Ptr = std::unique_ptr<X509, OpensslFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree>;

// A read-only BIO over `bytes`, which must outlive it.
inline BioPtr MemBio(const std::string& bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_OPENSSL_PTR_H_
