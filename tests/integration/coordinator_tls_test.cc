// The coordinator with TLS: agents identified by their client certificate's CN (never by
// what they claim), API callers by bearer token; health checking served (the binary's
// refusals to start are in coordinator_startup_test.cc). Certificates are made at test
// time with the openssl CLI (no key is ever committed).
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "coordinator/server.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;
using ::benchlab::testing::ReadFile;
using ::benchlab::testing::TempDir;
using ::benchlab::testing::WriteFile;


class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(::benchlab::testing::MakeTestCerts(dir_.path(), {"host7"}).ok());
    ASSERT_TRUE(WriteFile(dir_.path() + "/tokens", "t-admin admin alice\n"));
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = dir_.path() + "/data";
    o.tls_cert = dir_.path() + "/server.pem";
    o.tls_key = dir_.path() + "/server.key";
    o.client_ca = dir_.path() + "/ca.pem";
    o.tokens_file = dir_.path() + "/tokens";
    o.http_listen = "127.0.0.1:0";
    auto s = CoordinatorServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  std::shared_ptr<grpc::Channel> Channel(const std::string& client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(dir_.path() + "/ca.pem");
    if (!client.empty()) {
      ssl.pem_private_key = ReadFile(dir_.path() + "/" + client + ".key");
      ssl.pem_cert_chain = ReadFile(dir_.path() + "/" + client + ".pem");
    }
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl));
  }
  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  TempDir dir_;
  std::unique_ptr<CoordinatorServer> server_;
};

TEST_F(TlsTest, AgentIdentityComesFromItsCertificateNotItsHello) {
  auto stub = v1::AgentLink::NewStub(Channel("host7"));
  grpc::ClientContext ctx;
  Deadline(&ctx);
  auto stream = stub->Connect(&ctx);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_agent_id("someone-else");
  ASSERT_TRUE(stream->Write(hello));
  v1::CoordinatorMessage m;
  ASSERT_TRUE(stream->Read(&m));
  ASSERT_TRUE(m.has_hello_ack());
  EXPECT_EQ(m.hello_ack().agent_id(), "host7");
  ctx.TryCancel();
  (void)stream->Finish();
}

TEST_F(TlsTest, AgentWithoutCertificateIsRefused) {
  auto stub = v1::AgentLink::NewStub(Channel(""));
  grpc::ClientContext ctx;
  Deadline(&ctx);
  auto stream = stub->Connect(&ctx);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_agent_id("host7");
  (void)stream->Write(hello);
  v1::CoordinatorMessage m;
  EXPECT_FALSE(stream->Read(&m));
  EXPECT_EQ(stream->Finish().error_code(), grpc::UNAUTHENTICATED);
}

TEST_F(TlsTest, LabNeedsATokenOverTls) {
  auto lab = v1::Lab::NewStub(Channel(""));
  v1::ListAgentsRequest req;
  v1::ListAgentsResponse resp;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    EXPECT_EQ(lab->ListAgents(&ctx, req, &resp).error_code(), grpc::UNAUTHENTICATED);
  }
  grpc::ClientContext ctx;
  Deadline(&ctx);
  ctx.AddMetadata("authorization", "Bearer t-admin");
  EXPECT_TRUE(lab->ListAgents(&ctx, req, &resp).ok());
}

TEST_F(TlsTest, HealthCheckIsServed) {
  auto ch = Channel("");
  grpc::GenericStub generic(ch);
  auto call = [&](const std::string& method, const std::string& request_bytes, std::string* out) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    grpc::Slice slice(request_bytes);
    grpc::ByteBuffer req(&slice, 1), resp;
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
      status = s;
      done.Notify();
    });
    done.WaitForNotification();
    std::vector<grpc::Slice> slices;
    if (status.ok() && resp.Dump(&slices).ok()) {
      for (auto& s : slices) out->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return status;
  };
  std::string health;
  ASSERT_TRUE(call("/grpc.health.v1.Health/Check", "", &health).ok());
  EXPECT_EQ(health, std::string("\x08\x01", 2));  // status: SERVING

}

// The dashboard (--http-listen) is HTTPS with the coordinator's certificate, takes the same
// tokens, and marks its session cookie Secure.
TEST_F(TlsTest, DashboardIsHttpsWithTheCoordinatorsCertificate) {
  ASSERT_NE(server_->http_port(), 0);
  httplib::SSLClient c("127.0.0.1", server_->http_port());
  c.set_ca_cert_path((dir_.path() + "/ca.pem").c_str());
  c.enable_server_certificate_verification(true);
  auto r = c.Get("/api/v1/agents");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 401);
  r = c.Get("/api/v1/agents", {{"Authorization", "Bearer t-admin"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = c.Post("/login", "token=t-admin&next=/jobs", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_TRUE(absl::StrContains(r->get_header_value("Set-Cookie"), "; Secure")) << r->get_header_value("Set-Cookie");
  // Plain HTTP on the same port gets no answer.
  httplib::Client plain("127.0.0.1", server_->http_port());
  plain.set_connection_timeout(2);
  plain.set_read_timeout(2);
  auto p = plain.Get("/api/v1/agents", {{"Authorization", "Bearer t-admin"}});
  EXPECT_TRUE(!p || p->status != 200);
}

// Without TLS the dashboard, like gRPC, stays on loopback (decided by address).
TEST(DashboardListenTest, PlainHttpOnlyOnLoopback) {
  TempDir dir;
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.data_dir = dir.path() + "/data";
  o.insecure = true;
  o.http_listen = "0.0.0.0:0";
  auto s = CoordinatorServer::Start(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.status().message(), "--http-listen")) << s.status();
  o.http_listen = "127.0.0.1:0";
  s = CoordinatorServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_NE((*s)->http_port(), 0);
}

}  // namespace
}  // namespace benchlab::coordinator
