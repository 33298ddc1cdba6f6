// Certificates with OpenSSL 3's library: EC P-256 keys, SHA-256 signatures, random 127-bit
// serials, X.509 v3 extensions given as OpenSSL's config strings. Files are created with
// O_EXCL (never overwritten) and exact modes: keys 0600, certificates 0644.
#include "coordinator/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/openssl_ptr.h"
#include "coordinator/input_limits.h"

namespace benchlab::coordinator {
namespace {

// OpenSSL's error queue as one line (emptied), after `what` failed.
absl::Status OpensslError(absl::string_view what) {
  std::string detail;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!detail.empty()) detail += "; ";
    detail += buf;
  }
  return absl::InternalError(absl::StrCat(what, " failed", detail.empty() ? "" : ": ", detail));
}

std::string Join(const std::string& dir, const std::string& file) { return dir + "/" + file; }

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Writes a new file with exactly `mode`; refuses an existing one.
absl::Status WriteNewFile(const std::string& path, const std::string& bytes, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  // The umask may have narrowed the mode; a certificate must stay readable by the daemon.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno),
                                            "; run 'benchlab-coordinator pki init --dir DIR' first"));
  }
  std::string out;
  char buf[4096];
  int n;
  while ((n = BIO_read(bio.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256")); }

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpensslError("writing a private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpensslError("writing a certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

struct CertSpec {
  std::string common_name;
  int days = 825;
  // (NID, OpenSSL config value) in order; subjectKeyIdentifier before
  // authorityKeyIdentifier, which may read it.
  std::vector<std::pair<int, std::string>> extensions;
};

// A certificate for `key`, signed by `issuer_key` as `issuer` (both null: self-signed).
absl::StatusOr<X509Ptr> MakeCertificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpensslError("X509_new");
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpensslError("serial number");
  }
  // Five minutes back: a host whose clock is a little behind still accepts a new certificate.
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(spec.days) * 86400) == nullptr) {
    return OpensslError("validity");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
  const auto* org = reinterpret_cast<const unsigned char*>("benchlab");
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, org, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpensslError("subject");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1) return OpensslError("issuer");
  for (const auto& [nid, value] : spec.extensions) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, signer, cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) return OpensslError(absl::StrCat("extension ", OBJ_nid2sn(nid), "=", value));
    const int added = X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    if (added != 1) return OpensslError(absl::StrCat("adding ", OBJ_nid2sn(nid)));
  }
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return OpensslError("signing");
  }
  return cert;
}

// Writes `cert` and its key as <base>.pem (0644) and <base>.key (0600).
absl::Status WritePair(const std::string& dir, const std::string& base, X509* cert, EVP_PKEY* key,
                       PkiIssued* issued) {
  auto key_pem = KeyPem(key);
  if (!key_pem.ok()) return key_pem.status();
  auto cert_pem = CertPem(cert);
  if (!cert_pem.ok()) return cert_pem.status();
  // The key first: a certificate without its key would be useless, a key alone is redone.
  const std::string key_path = Join(dir, base + ".key"), cert_path = Join(dir, base + ".pem");
  if (auto st = WriteNewFile(key_path, *key_pem, 0600); !st.ok()) return st;
  if (auto st = WriteNewFile(cert_path, *cert_pem, 0644); !st.ok()) {
    ::unlink(key_path.c_str());
    return st;
  }
  issued->files.push_back(cert_path);
  issued->files.push_back(key_path);
  return absl::OkStatus();
}

absl::Status RefuseExisting(const std::string& dir, const std::vector<std::string>& files, absl::string_view why) {
  for (const std::string& f : files) {
    if (Exists(Join(dir, f))) return absl::AlreadyExistsError(absl::StrCat(Join(dir, f), " exists; ", why));
  }
  return absl::OkStatus();
}

absl::Status CheckDays(int days, absl::string_view what) {
  if (days < 1 || days > 36500) {
    return absl::InvalidArgumentError(absl::StrCat(what, " validity of ", days, " days; give 1 to 36500"));
  }
  return absl::OkStatus();
}

constexpr char kLeafKeyUsage[] = "critical,digitalSignature";

}  // namespace

absl::StatusOr<std::string> SubjectAltNameEntry(const std::string& name) {
  unsigned char addr[16];
  if (::inet_pton(AF_INET, name.c_str(), addr) == 1 || ::inet_pton(AF_INET6, name.c_str(), addr) == 1) {
    return absl::StrCat("IP:", name);
  }
  bool ok = !name.empty() && name.size() <= 253 && name.front() != '.' && name.front() != '-';
  for (char c : name) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '*');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--name '", name, "' is neither an IP address nor a host name (letters, digits, '.', '-')"));
  }
  return absl::StrCat("DNS:", name);
}

absl::StatusOr<PkiIssued> PkiInit(const PkiInitOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("--dir is required");
  if (auto st = CheckDays(options.ca_days, "CA"); !st.ok()) return st;
  if (auto st = CheckDays(options.server_days, "server certificate"); !st.ok()) return st;
  std::vector<std::string> names = options.names;
  if (names.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') names.push_back(host);
    names.push_back("localhost");
    names.push_back("127.0.0.1");
  }
  std::vector<std::string> sans;
  for (const std::string& n : names) {
    auto entry = SubjectAltNameEntry(n);
    if (!entry.ok()) return entry.status();
    sans.push_back(*entry);
  }
  if (auto st = RefuseExisting(options.dir, {"ca.key", "ca.pem", "server.key", "server.pem"},
                               "this folder already has a CA (a new one would orphan every certificate it "
                               "issued); issue certificates with 'pki issue-agent NAME', or choose another --dir");
      !st.ok()) {
    return st;
  }
  // 0755: every key protects itself (0600), and the daemons' user must reach server.key
  // and ca.pem in here without being let into the folder by hand.
  if (::mkdir(options.dir.c_str(), 0755) == 0) {
    ::chmod(options.dir.c_str(), 0755);  // whatever the umask
  } else if (errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", options.dir, ": ", std::strerror(errno)));
  }

  PkiIssued issued;
  issued.names = names;
  KeyPtr ca_key = NewKey();
  if (!ca_key) return OpensslError("EC key generation");
  auto ca = MakeCertificate({.common_name = "benchlab lab CA",
                             .days = options.ca_days,
                             .extensions = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                            {NID_subject_key_identifier, "hash"},
                                            {NID_authority_key_identifier, "keyid:always"}}},
                            ca_key.get(), nullptr, nullptr);
  if (!ca.ok()) return ca.status();
  if (auto st = WritePair(options.dir, "ca", ca->get(), ca_key.get(), &issued); !st.ok()) return st;

  KeyPtr server_key = NewKey();
  if (!server_key) return OpensslError("EC key generation");
  auto server = MakeCertificate({.common_name = names.front(),
                                 .days = options.server_days,
                                 .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                                                {NID_key_usage, kLeafKeyUsage},
                                                {NID_ext_key_usage, "serverAuth"},
                                                {NID_subject_alt_name, absl::StrJoin(sans, ",")},
                                                {NID_subject_key_identifier, "hash"},
                                                {NID_authority_key_identifier, "keyid:always"}}},
                                server_key.get(), ca->get(), ca_key.get());
  if (!server.ok()) return server.status();
  if (auto st = WritePair(options.dir, "server", server->get(), server_key.get(), &issued); !st.ok()) return st;
  return issued;
}

absl::StatusOr<PkiIssued> PkiIssueClient(const std::string& dir, const std::string& kind, const std::string& name,
                                         int days) {
  if (kind != "agent" && kind != "client") return absl::InvalidArgumentError("kind is 'agent' or 'client'");
  if (dir.empty()) return absl::InvalidArgumentError("--dir is required (the folder of 'pki init')");
  // The CN of an agent's certificate is its agent id: the coordinator's rule for ids.
  if (auto st = CheckName(absl::StrCat(kind, " name"), name); !st.ok()) return st;
  if (auto st = CheckDays(days, "certificate"); !st.ok()) return st;
  const std::string base = absl::StrCat(kind, "-", name);
  if (auto st = RefuseExisting(dir, {base + ".key", base + ".pem"},
                               "remove both files to issue a new certificate for this name");
      !st.ok()) {
    return st;
  }
  auto ca_pem = ReadPemFile(Join(dir, "ca.pem"));
  if (!ca_pem.ok()) return ca_pem.status();
  auto ca_key_pem = ReadPemFile(Join(dir, "ca.key"));
  if (!ca_key_pem.ok()) return ca_key_pem.status();
  BioPtr ca_bio = MemBio(*ca_pem);
  X509Ptr ca(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
  if (!ca) return OpensslError(absl::StrCat("reading the CA certificate ", Join(dir, "ca.pem")));
  BioPtr key_bio = MemBio(*ca_key_pem);
  KeyPtr ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!ca_key) return OpensslError(absl::StrCat("reading the CA key ", Join(dir, "ca.key")));
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat(Join(dir, "ca.key"), " is not the key of ", Join(dir, "ca.pem"), "; restore the pair"));
  }
  KeyPtr key = NewKey();
  if (!key) return OpensslError("EC key generation");
  auto cert = MakeCertificate({.common_name = name,
                               .days = days,
                               .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                                              {NID_key_usage, kLeafKeyUsage},
                                              {NID_ext_key_usage, "clientAuth"},
                                              {NID_subject_key_identifier, "hash"},
                                              {NID_authority_key_identifier, "keyid:always"}}},
                              key.get(), ca.get(), ca_key.get());
  if (!cert.ok()) return cert.status();
  PkiIssued issued;
  if (auto st = WritePair(dir, base, cert->get(), key.get(), &issued); !st.ok()) return st;
  return issued;
}

}  // namespace benchlab::coordinator
