// Certificates for TLS tests, made at test time with the openssl CLI (no key is ever
// committed): a CA, a server certificate for 127.0.0.1/localhost, and one client
// certificate per name (CN = the name, e.g. an agent id).
#ifndef BENCHLAB_TESTS_SUPPORT_TEST_CERTS_H_
#define BENCHLAB_TESTS_SUPPORT_TEST_CERTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace benchlab::testing {

// Writes into `dir`: ca.pem/ca.key, server.pem/server.key, and <client>.pem/<client>.key.
absl::Status MakeTestCerts(const std::string& dir, const std::vector<std::string>& clients);

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_TEST_CERTS_H_
