// Whether a gRPC target or listen address stays on this machine: the one rule that lets
// the coordinator, the agent and the CLI use plaintext (and send a bearer token in it).
// Decided by resolved address, never by how the name is spelled.
#ifndef BENCHLAB_COMMON_LOOPBACK_H_
#define BENCHLAB_COMMON_LOOPBACK_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab {

// The numeric addresses a host name resolves to ("127.0.0.1", "::1", ...).
using HostResolver = std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host)>;

// getaddrinfo: /etc/hosts, then DNS, as the system is configured.
absl::StatusOr<std::vector<std::string>> ResolveHostWithSystem(const std::string& host);

// True for a numeric address in 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104.
bool IsLoopbackIp(absl::string_view numeric_address);

// OK when every address `target` can reach is a loopback address. `target` is what gRPC
// accepts: HOST:PORT, [V6]:PORT, a bare host, dns:///HOST:PORT, dns:HOST:PORT,
// ipv4:A:P,B:P,..., ipv6:[A]:P,..., unix:PATH / unix-abstract:NAME (local sockets).
// Numeric addresses are checked as they are; a name must resolve (through `resolve`) to
// loopback addresses only. Otherwise FailedPrecondition naming the address that is not
// loopback (or why it could not be decided).
absl::Status CheckLoopbackTarget(absl::string_view target,
                                 const HostResolver& resolve = ResolveHostWithSystem);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_LOOPBACK_H_
