// CheckLoopbackTarget: splits a gRPC target into its addresses, resolves names, and
// requires every result on loopback. A name is resolved here, before any connection:
// "127.x.example" is a DNS name like any other, not an address in 127/8.
#include "common/loopback.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab {
namespace {

// The host of HOST:PORT, [V6]:PORT, [V6], a bare V6 address or a bare host.
std::string HostOf(absl::string_view address) {
  if (absl::StartsWith(address, "[")) {
    size_t close = address.find(']');
    if (close == absl::string_view::npos) return std::string(address);
    return std::string(address.substr(1, close - 1));
  }
  size_t colon = address.rfind(':');
  // More than one colon without brackets: a bare IPv6 address.
  if (colon != absl::string_view::npos && address.find(':') == colon) return std::string(address.substr(0, colon));
  return std::string(address);
}

bool IsNumeric(const std::string& host) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

absl::Status NotLoopback(absl::string_view target, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(target, " is not a loopback address (", why, ")"));
}

// One HOST:PORT: a numeric host as it is, a name by what it resolves to.
absl::Status CheckHostPort(absl::string_view target, absl::string_view host_port, bool numeric_only,
                           const HostResolver& resolve) {
  std::string host = HostOf(host_port);
  if (host.empty()) return NotLoopback(target, "no host");
  if (IsNumeric(host)) {
    if (!IsLoopbackIp(host)) return NotLoopback(target, absl::StrCat(host, " is not in 127.0.0.0/8 or ::1"));
    return absl::OkStatus();
  }
  if (numeric_only) return NotLoopback(target, absl::StrCat(host, " is not a numeric address"));
  auto addresses = resolve(host);
  if (!addresses.ok()) {
    return NotLoopback(target, absl::StrCat(host, " does not resolve: ", addresses.status().message()));
  }
  if (addresses->empty()) return NotLoopback(target, absl::StrCat(host, " resolves to no address"));
  for (const auto& a : *addresses) {
    if (!IsLoopbackIp(a)) return NotLoopback(target, absl::StrCat(host, " resolves to ", a));
  }
  return absl::OkStatus();
}

// The scheme of a gRPC target URI, or "" for a plain HOST:PORT ("localhost:7443" has a
// port, not a scheme; gRPC reads it as dns:///localhost:7443 too).
std::string SchemeOf(absl::string_view target) {
  size_t colon = target.find(':');
  if (colon == absl::string_view::npos || colon == 0) return "";
  absl::string_view scheme = target.substr(0, colon);
  if (!absl::ascii_isalpha(static_cast<unsigned char>(scheme[0]))) return "";
  for (char c : scheme) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return "";
  }
  absl::string_view rest = target.substr(colon + 1);
  if (!rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return "";  // HOST:PORT
  }
  return absl::AsciiStrToLower(scheme);
}

}  // namespace

bool IsLoopbackIp(absl::string_view numeric_address) {
  std::string a(numeric_address);
  in_addr v4;
  if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, a.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

absl::StatusOr<std::vector<std::string>> ResolveHostWithSystem(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return absl::NotFoundError(gai_strerror(rc));
  std::vector<std::string> out;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    const void* addr = p->ai_family == AF_INET
                           ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
                           : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
    if ((p->ai_family == AF_INET || p->ai_family == AF_INET6) && inet_ntop(p->ai_family, addr, buf, sizeof buf)) {
      out.emplace_back(buf);
    }
  }
  freeaddrinfo(res);
  return out;
}

absl::Status CheckLoopbackTarget(absl::string_view target, const HostResolver& resolve) {
  std::string scheme = SchemeOf(target);
  absl::string_view rest = target;
  if (scheme.empty()) return CheckHostPort(target, rest, false, resolve);
  rest.remove_prefix(scheme.size() + 1);
  if (scheme == "unix" || scheme == "unix-abstract") return absl::OkStatus();  // never leaves the machine
  if (scheme == "ipv4" || scheme == "ipv6") {
    // Every address of the list may be dialled: each one must be loopback.
    for (absl::string_view a : absl::StrSplit(rest, ',')) {
      if (auto st = CheckHostPort(target, a, true, resolve); !st.ok()) return st;
    }
    return absl::OkStatus();
  }
  if (scheme == "dns") {
    if (absl::ConsumePrefix(&rest, "//")) {
      size_t slash = rest.find('/');
      // dns://SERVER/HOST asks SERVER, not this machine's resolver.
      if (slash != 0) return NotLoopback(target, "a DNS authority decides where it goes");
      rest.remove_prefix(1);
    }
    return CheckHostPort(target, rest, false, resolve);
  }
  return NotLoopback(target, absl::StrCat("target scheme '", scheme, ":' may reach any host"));
}

}  // namespace benchlab
