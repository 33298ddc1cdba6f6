// PEM parsing with OpenSSL (libcrypto), the library gRPC's TLS is checked against.
#include "common/pem_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/openssl_ptr.h"

namespace benchlab {
namespace {

absl::StatusOr<std::string> ReadWhole(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": cannot be read; give an existing PEM file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<std::string> ReadCertificatePem(const std::string& path, absl::string_view flag) {
  auto pem = ReadWhole(path, flag);
  if (!pem.ok()) return pem.status();
  BioPtr bio = MemBio(*pem);
  int certs = 0;
  while (X509Ptr x{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) ++certs;
  // The loop ends on "no start line" after the last certificate; anything else is damage.
  unsigned long err = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (certs == 0 || !clean_end) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": not a PEM certificate (want '-----BEGIN CERTIFICATE-----' blocks)"));
  }
  return *pem;
}

absl::StatusOr<std::string> ReadPrivateKeyPem(const std::string& path, absl::string_view flag) {
  auto pem = ReadWhole(path, flag);
  if (!pem.ok()) return pem.status();
  BioPtr bio = MemBio(*pem);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": not an unencrypted PEM private key (want '-----BEGIN ... PRIVATE KEY-----')"));
  }
  return *pem;
}

absl::Status CheckKeyMatchesCertificate(const std::string& cert_pem, const std::string& key_pem,
                                        absl::string_view cert_flag, absl::string_view key_flag) {
  BioPtr cb = MemBio(cert_pem);
  BioPtr kb = MemBio(key_pem);
  X509Ptr cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  KeyPtr key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  bool match = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  if (!match) {
    return absl::InvalidArgumentError(absl::StrCat(key_flag, " does not match the certificate in ", cert_flag,
                                                    "; give the key that certificate was made for"));
  }
  return absl::OkStatus();
}

}  // namespace benchlab
