// Channel credentials follow the coordinator's own rule: plaintext only on loopback.
// The token travels as plain metadata (not call credentials) so it also works on the
// insecure loopback channel, where gRPC refuses to attach call credentials.
#include "cli/lab_connection.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "common/loopback.h"
#include "common/pem_files.h"
#include "common/terminal_text.h"

namespace benchlab::cli {

void AddLabOptions(CLI::App* cmd, LabOptions* o) {
  const char* group = "Coordinator";
  cmd->add_option("--coordinator", o->coordinator, "HOST:PORT of the coordinator")
      ->envname("BENCHLAB_COORDINATOR")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--token", o->token, "API token, sent as 'authorization: Bearer TOKEN'")
      ->envname("BENCHLAB_TOKEN")
      ->group(group);
  // The TLS files from the environment too, so a person sets them once per shell.
  cmd->add_option("--tls-ca", o->tls_ca, "CA of the coordinator's certificate (PEM); enables TLS")
      ->envname("BENCHLAB_TLS_CA")
      ->group(group);
  cmd->add_option("--tls-cert", o->tls_cert, "client certificate for mutual TLS (PEM)")
      ->envname("BENCHLAB_TLS_CERT")
      ->group(group);
  cmd->add_option("--tls-key", o->tls_key, "key of --tls-cert (PEM)")->envname("BENCHLAB_TLS_KEY")->group(group);
  cmd->add_option("--tls-server-name", o->tls_server_name,
                  "name the coordinator's certificate must carry, when it differs from HOST")
      ->envname("BENCHLAB_TLS_SERVER_NAME")
      ->group(group);
  cmd->add_option("--rpc-timeout", o->rpc_timeout_s, "deadline of each request, seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(group);
}

absl::StatusOr<std::unique_ptr<LabConnection>> LabConnection::Open(const LabOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!options.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadCertificatePem(options.tls_ca, "--tls-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    if (options.tls_cert.empty() != options.tls_key.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    if (!options.tls_cert.empty()) {
      auto cert = ReadCertificatePem(options.tls_cert, "--tls-cert");
      if (!cert.ok()) return cert.status();
      auto key = ReadPrivateKeyPem(options.tls_key, "--tls-key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    if (!options.tls_cert.empty() || !options.tls_key.empty()) {
      return absl::InvalidArgumentError("--tls-cert/--tls-key need --tls-ca (the coordinator's CA)");
    }
    // Every address the target can reach must be loopback, decided before any
    // connection: the token travels in this channel's metadata.
    if (absl::Status st = CheckLoopbackTarget(options.coordinator); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("refusing plaintext to ", options.coordinator, ": ", st.message(),
                                                     "; only loopback coordinators may run without TLS; pass --tls-ca FILE"));
    }
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);  // a large job's GetResults or WatchJob snapshot
  // gRPC's reconnect backoff grows to 2 minutes; a person waiting on `run` after a
  // coordinator restart should not wait that long.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  if (!options.tls_server_name.empty()) {
    if (options.tls_ca.empty()) return absl::InvalidArgumentError("--tls-server-name needs --tls-ca");
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  auto channel = grpc::CreateCustomChannel(options.coordinator, creds, args);
  return std::unique_ptr<LabConnection>(new LabConnection(options, std::move(channel)));
}

LabConnection::LabConnection(LabOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)), channel_(std::move(channel)), stub_(benchlab::v1::Lab::NewStub(channel_)) {}

void LabConnection::PrepareUnary(grpc::ClientContext* ctx) const {
  PrepareStream(ctx, absl::Now() + absl::Seconds(options_.rpc_timeout_s));
}

void LabConnection::PrepareStream(grpc::ClientContext* ctx, absl::Time deadline) const {
  if (!options_.token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  if (deadline != absl::InfiniteFuture()) ctx->set_deadline(absl::ToChronoTime(deadline));
}

std::string PeerNameNotInCertificate(absl::string_view grpc_message) {
  // gRPC 1.51's words (src/core/lib/security/security_connector/ssl_utils.cc):
  // "Peer name <name> is not in peer certificate".
  constexpr absl::string_view kPrefix = "Peer name ", kSuffix = " is not in peer certificate";
  const size_t start = grpc_message.find(kPrefix);
  if (start == absl::string_view::npos) return "";
  const size_t end = grpc_message.find(kSuffix, start + kPrefix.size());
  if (end == absl::string_view::npos) return "";
  return std::string(grpc_message.substr(start + kPrefix.size(), end - start - kPrefix.size()));
}

int ReportRpcError(const grpc::Status& status, absl::string_view command, absl::string_view what,
                   const LabOptions& options, const CliIo& io) {
  std::ostream& err = *io.err;
  // The message may quote what an agent or a user sent: shown, not acted on.
  const std::string message = EscapeForTerminal(status.error_message());
  err << "benchlab " << command << ": " << EscapeForTerminal(what) << ": ";
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (std::string name = PeerNameNotInCertificate(status.error_message()); !name.empty()) {
        // The TLS handshake, not the network: say which name is missing and how to fix it.
        name = EscapeForTerminal(name);
        err << "the coordinator at " << options.coordinator << " answered with a certificate that does not carry the name "
            << name << " (" << message << ")\n  Dial a name it carries (--coordinator HOST:PORT, or --tls-server-name NAME), "
            << "or remake it with that name: benchlab-coordinator pki init --name " << name << " ...\n";
        return kExitUnreachable;
      }
      err << "cannot reach the coordinator at " << options.coordinator << " (" << message
          << ")\n  Is benchlab-coordinator running there? Set --coordinator or BENCHLAB_COORDINATOR.\n";
      return kExitUnreachable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      err << "no answer from the coordinator at " << options.coordinator << " in time ("
          << message << "); try a larger --rpc-timeout\n";
      return kExitUnreachable;
    case grpc::StatusCode::UNAUTHENTICATED:
      err << "the coordinator refused the credentials: " << message
          << "\n  Pass a valid --token (or set BENCHLAB_TOKEN).\n";
      return kExitRefused;
    case grpc::StatusCode::PERMISSION_DENIED:
      err << "not allowed: " << message
          << "\n  Ask for a token with a higher role (read < submit < admin).\n";
      return kExitRefused;
    case grpc::StatusCode::INVALID_ARGUMENT:
      err << "the coordinator refused the request: " << message << "\n";
      return kExitRefused;
    default:
      err << message << "\n";
      return kExitFailed;
  }
}

int ReportUsageError(absl::string_view command, absl::string_view message, const CliIo& io) {
  *io.err << "benchlab " << command << ": " << EscapeForTerminal(message) << "\n";
  return kExitUsage;
}

namespace v1 = benchlab::v1;

grpc::Status ReadAllResults(const LabConnection& conn, const v1::GetResultsRequest& req, v1::GetResultsResponse* out) {
  out->Clear();
  v1::GetResultsRequest page_req = req;
  page_req.clear_page_token();
  bool first = true;
  do {
    grpc::ClientContext ctx;
    conn.PrepareUnary(&ctx);  // the deadline is per page
    v1::GetResultsResponse page;
    grpc::Status st = conn.lab()->GetResults(&ctx, page_req, &page);
    if (!st.ok()) return st;
    if (first) {
      *out->mutable_job() = std::move(*page.mutable_job());
      out->mutable_devices()->Swap(page.mutable_devices());
      first = false;
    }
    for (auto& run : *page.mutable_runs()) *out->add_runs() = std::move(run);
    page_req.set_page_token(page.next_page_token());
  } while (!page_req.page_token().empty());
  return grpc::Status::OK;
}

int ReadAllResults(const LabOptions& options, absl::string_view command, absl::string_view what,
                   const v1::GetResultsRequest& req, v1::GetResultsResponse* out, const CliIo& io) {
  auto conn = LabConnection::Open(options);
  if (!conn.ok()) return ReportUsageError(command, conn.status().message(), io);
  grpc::Status st = ReadAllResults(**conn, req, out);
  if (!st.ok()) return ReportRpcError(st, command, what, options, io);
  return kExitOk;
}

}  // namespace benchlab::cli
