// The lab's certificates, made with OpenSSL's library (no openssl command, no config file):
// one CA, the coordinator's server certificate with the names agents and people dial, and
// client certificates whose CN is an agent id or a person's name. Keys are EC P-256, 0600.
#ifndef BENCHLAB_COORDINATOR_PKI_H_
#define BENCHLAB_COORDINATOR_PKI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace benchlab::coordinator {

// Files in a PKI folder (DIR):
//   ca.pem, ca.key          the lab's CA (give ca.pem to agents and people: --tls-ca, and
//                           to the coordinator: --client-ca)
//   server.pem, server.key  the coordinator's certificate (--tls-cert, --tls-key)
//   agent-NAME.pem/.key     an agent's client certificate, CN=NAME (the agent id)
//   client-NAME.pem/.key    a person's or a service's client certificate, CN=NAME
struct PkiInitOptions {
  std::string dir;
  // The server certificate's subjectAltNames: host names (DNS) and addresses (IP), every
  // name agents and people put in --coordinator. Empty: this host's name, localhost and
  // 127.0.0.1.
  std::vector<std::string> names;
  int ca_days = 3650;
  int server_days = 825;
};

// What a command made, for its report.
struct PkiIssued {
  std::vector<std::string> files;  // paths written, in order
  std::vector<std::string> names;  // the server certificate's names (init only)
};

// Makes DIR (0755; the keys in it are 0600) with the CA and the server certificate. Refuses to overwrite an
// existing ca.key or server.key: a second CA would orphan every certificate issued.
absl::StatusOr<PkiIssued> PkiInit(const PkiInitOptions& options);

// A client certificate signed by DIR's CA, CN=name, extendedKeyUsage clientAuth.
// `kind` is "agent" or "client" (the file prefix). The name must be a valid agent id:
// letters, digits, '.', '_' and '-', at most 64.
absl::StatusOr<PkiIssued> PkiIssueClient(const std::string& dir, const std::string& kind,
                                         const std::string& name, int days = 825);

// The subjectAltName entry of one name: "IP:..." for an address, "DNS:..." for a host
// name; an error for anything else (spaces, commas, empty).
absl::StatusOr<std::string> SubjectAltNameEntry(const std::string& name);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_PKI_H_
