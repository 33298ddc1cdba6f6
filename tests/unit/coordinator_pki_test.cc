// pki.h in-process: the names a server certificate carries, the chain and the CN of a
// client certificate, read back with OpenSSL; refusals of bad names and validities.
#include "coordinator/pki.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/openssl_ptr.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::coordinator {
namespace {

X509Ptr ReadCert(const std::string& path) {
  const std::string pem = testing::ReadFile(path);
  BioPtr bio = MemBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// "DNS:name" / "IP:a.b.c.d" for each subjectAltName.
std::vector<std::string> AltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName))));
    } else if (n->type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      const int family = ASN1_STRING_length(n->d.iPAddress) == 4 ? AF_INET : AF_INET6;
      inet_ntop(family, ASN1_STRING_get0_data(n->d.iPAddress), text, sizeof text);
      out.push_back("IP:" + std::string(text));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string CommonName(X509* cert) {
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

TEST(Pki, ServerCertificateCarriesEveryNameAndClientsTheirCn) {
  testing::TempDir dir;
  auto init = PkiInit({.dir = dir.path() + "/pki", .names = {"lab.example", "10.0.0.5", "::1"}});
  ASSERT_TRUE(init.ok()) << init.status();
  X509Ptr ca = ReadCert(dir.path() + "/pki/ca.pem");
  X509Ptr server = ReadCert(dir.path() + "/pki/server.pem");
  ASSERT_TRUE(ca && server);
  EXPECT_EQ(AltNames(server.get()), (std::vector<std::string>{"DNS:lab.example", "IP:10.0.0.5", "IP:::1"}));
  EXPECT_EQ(CommonName(server.get()), "lab.example");
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_EQ(X509_verify(server.get(), X509_get0_pubkey(ca.get())), 1);

  auto agent = PkiIssueClient(dir.path() + "/pki", "agent", "host-7", 30);
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_EQ(agent->files, (std::vector<std::string>{dir.path() + "/pki/agent-host-7.pem",
                                                    dir.path() + "/pki/agent-host-7.key"}));
  X509Ptr client = ReadCert(agent->files[0]);
  ASSERT_TRUE(client);
  EXPECT_EQ(CommonName(client.get()), "host-7");
  EXPECT_EQ(X509_verify(client.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_NE(X509_get_extended_key_usage(client.get()) & XKU_SSL_CLIENT, 0u);
  EXPECT_EQ(X509_get_extended_key_usage(client.get()) & XKU_SSL_SERVER, 0u);
  // 30 days, not the default.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(client.get()), X509_get0_notAfter(client.get())), 1);
  EXPECT_EQ(days, 30);  // plus the five minutes of clock skew
}

TEST(Pki, SubjectAltNamesAreAddressesOrHostNames) {
  EXPECT_EQ(*SubjectAltNameEntry("10.1.2.3"), "IP:10.1.2.3");
  EXPECT_EQ(*SubjectAltNameEntry("fe80::1"), "IP:fe80::1");
  EXPECT_EQ(*SubjectAltNameEntry("lab-7.example"), "DNS:lab-7.example");
  for (const char* bad : {"", "two words", "a,DNS:evil", "-lab", "lab/x"}) {
    EXPECT_FALSE(SubjectAltNameEntry(bad).ok()) << bad;
  }
}

TEST(Pki, RefusesBadKindsNamesAndValidities) {
  testing::TempDir dir;
  ASSERT_TRUE(PkiInit({.dir = dir.path(), .names = {"localhost"}}).ok());
  EXPECT_EQ(PkiIssueClient(dir.path(), "root", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PkiIssueClient(dir.path(), "agent", "a b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PkiIssueClient(dir.path(), "agent", "ok", 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PkiInit({.dir = dir.path() + "/2", .names = {"x"}, .ca_days = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace benchlab::coordinator
