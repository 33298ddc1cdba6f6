// How the lab commands reach a coordinator: the shared options (--coordinator, --token,
// TLS files, deadline), the channel they make, and one place that turns a gRPC error into
// a message a person can act on plus benchlab's exit code.
#ifndef BENCHLAB_CLI_LAB_CONNECTION_H_
#define BENCHLAB_CLI_LAB_CONNECTION_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "cli/cli.h"
#include "grpcpp/grpcpp.h"

namespace benchlab::cli {

struct LabOptions {
  std::string coordinator = "127.0.0.1:7443";  // HOST:PORT
  std::string token;                            // sent as "authorization: Bearer <token>"
  std::string tls_ca;                           // server CA (PEM); TLS when set
  std::string tls_cert;                         // client certificate for mTLS (PEM)
  std::string tls_key;                          // its key (PEM)
  std::string tls_server_name;                  // name to verify instead of the host's
  double rpc_timeout_s = 15;                    // deadline of every unary call
};

// Adds the options above to a lab subcommand (env BENCHLAB_COORDINATOR, BENCHLAB_TOKEN).
void AddLabOptions(CLI::App* cmd, LabOptions* options);

// A channel to the coordinator and the per-call metadata. Cheap to make; one per command.
class LabConnection {
 public:
  // InvalidArgument (a usage error) for plaintext to a target that is not all loopback
  // (common/loopback.h: resolved, every address of a list), a client
  // certificate without its key, or TLS files that cannot be read or are not PEM
  // certificates/keys (common/pem_files.h).
  static absl::StatusOr<std::unique_ptr<LabConnection>> Open(const LabOptions& options);

  benchlab::v1::Lab::Stub* lab() const { return stub_.get(); }
  const LabOptions& options() const { return options_; }

  // Adds the token and the unary deadline (--rpc-timeout) to `ctx`.
  void PrepareUnary(grpc::ClientContext* ctx) const;
  // Adds the token and, when `deadline` is not InfiniteFuture, that deadline (streams that
  // last as long as the job or until the user stops them).
  void PrepareStream(grpc::ClientContext* ctx, absl::Time deadline = absl::InfiniteFuture()) const;

 private:
  LabConnection(LabOptions options, std::shared_ptr<grpc::Channel> channel);
  LabOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<benchlab::v1::Lab::Stub> stub_;
};

// The name in gRPC's "Peer name NAME is not in peer certificate" (the coordinator's
// certificate lacks the name dialled), or "" when the message is not that.
std::string PeerNameNotInCertificate(absl::string_view grpc_message);

// Writes "benchlab <command>: <what>: <why and what to do>" to io.err and returns the exit
// code: 3 unreachable (UNAVAILABLE, DEADLINE_EXCEEDED), 5 refused (UNAUTHENTICATED,
// PERMISSION_DENIED, INVALID_ARGUMENT), 1 anything else.
int ReportRpcError(const grpc::Status& status, absl::string_view command, absl::string_view what,
                   const LabOptions& options, const CliIo& io);

// Writes "benchlab <command>: <message>" and returns kExitUsage (an InvalidArgument from
// LabConnection::Open or a local parse).
int ReportUsageError(absl::string_view command, absl::string_view message, const CliIo& io);

// One unary Lab call as a command makes it: connect, call with the token and deadline,
// report a failure. Returns kExitOk with *resp filled, or the exit code already reported.
template <typename Request, typename Response>
int CallLab(const LabOptions& options, absl::string_view command, absl::string_view what,
            grpc::Status (benchlab::v1::Lab::Stub::*method)(grpc::ClientContext*, const Request&,
                                                            Response*),
            const Request& req, Response* resp, const CliIo& io) {
  auto conn = LabConnection::Open(options);
  if (!conn.ok()) return ReportUsageError(command, conn.status().message(), io);
  grpc::ClientContext ctx;
  (*conn)->PrepareUnary(&ctx);
  grpc::Status st = ((*conn)->lab()->*method)(&ctx, req, resp);
  if (!st.ok()) return ReportRpcError(st, command, what, options, io);
  return kExitOk;
}

// Every page of a job's results: GetResults from an empty page_token until
// next_page_token is empty. The runs are appended in order; the job and the per-device
// aggregates are the first page's; next_page_token is left empty, so *out reads as one
// unpaged response.
grpc::Status ReadAllResults(const LabConnection& conn, const benchlab::v1::GetResultsRequest& req,
                            benchlab::v1::GetResultsResponse* out);

// The same as a command makes it (connect, read, report a failure): kExitOk with *out
// filled, or the exit code already reported.
int ReadAllResults(const LabOptions& options, absl::string_view command, absl::string_view what,
                   const benchlab::v1::GetResultsRequest& req, benchlab::v1::GetResultsResponse* out, const CliIo& io);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_LAB_CONNECTION_H_
