// The coordinator's web dashboard and JSON API (--http-listen): cpp-httplib serving the
// embedded pages (dashboard_assets.h), /api/v1/ (dashboard_api.h) and the live event
// streams (dashboard_events.h). TLS with the coordinator's certificate; plain HTTP only
// when the address is loopback (the caller decides, as for gRPC). Same tokens and roles
// as gRPC: a login form sets the token as an HttpOnly, SameSite=Strict (and, under TLS,
// Secure) cookie; scripts send `Authorization: Bearer`. Every request needs the read role.
#ifndef BENCHLAB_COORDINATOR_DASHBOARD_SERVER_H_
#define BENCHLAB_COORDINATOR_DASHBOARD_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "coordinator/auth.h"
#include "coordinator/core.h"

namespace benchlab::coordinator {

struct DashboardOptions {
  std::string listen;  // HOST:PORT or [V6]:PORT; port 0 picks a free one
  // Both set: HTTPS with this chain and key (PEM files, already checked by the caller).
  std::string tls_cert;
  std::string tls_key;
};

class DashboardServer {
 public:
  // Unavailable naming the address when it cannot listen (port in use, not this host's).
  // `core` and `auth` must outlive the server.
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(const DashboardOptions& options, Core* core,
                                                                const TokenAuth* auth);
  ~DashboardServer();
  int port() const { return port_; }
  // Ends the live streams and stops serving. Idempotent.
  void Shutdown();

  // Live event streams open at once at most (each holds one of the server's threads;
  // the others stay for pages and API calls).
  static constexpr int kThreads = 32;
  static constexpr int kMaxStreams = 24;

 private:
  DashboardServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_DASHBOARD_SERVER_H_
