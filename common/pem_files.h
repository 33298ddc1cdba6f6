// TLS files checked before gRPC sees them: gRPC only fails at the first handshake (or
// not at all) on a file that is not what its flag says, so a process that takes
// certificates reads them here and names the flag and the fix.
#ifndef BENCHLAB_COMMON_PEM_FILES_H_
#define BENCHLAB_COMMON_PEM_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab {

// The file's PEM text when it holds at least one X.509 certificate (and nothing that
// does not parse as one). `flag` names the option in errors, e.g. "--tls-cert".
absl::StatusOr<std::string> ReadCertificatePem(const std::string& path, absl::string_view flag);

// The file's PEM text when it holds a private key.
absl::StatusOr<std::string> ReadPrivateKeyPem(const std::string& path, absl::string_view flag);

// OK when `key_pem` is the private key of the first certificate in `cert_pem`.
absl::Status CheckKeyMatchesCertificate(const std::string& cert_pem, const std::string& key_pem,
                                        absl::string_view cert_flag, absl::string_view key_flag);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_PEM_FILES_H_
