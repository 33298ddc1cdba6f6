// EC P-256 keys, one day of validity.
#include "tests/support/test_certs.h"

#include "absl/strings/str_cat.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab::testing {
namespace {

absl::Status Openssl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  SpawnOptions o;
  o.cwd = dir;
  RunResult r = Run(args, o, absl::Seconds(30));
  if (r.exit_code != 0) return absl::InternalError(absl::StrCat("openssl: ", r.output));
  return absl::OkStatus();
}

std::vector<std::string> NewKeyRequest(std::vector<std::string> tail) {
  std::vector<std::string> a = {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                "-nodes"};
  a.insert(a.end(), tail.begin(), tail.end());
  return a;
}

}  // namespace

absl::Status MakeTestCerts(const std::string& dir, const std::vector<std::string>& clients) {
  if (auto s = Openssl(dir, NewKeyRequest({"-x509", "-keyout", "ca.key", "-out", "ca.pem", "-days",
                                           "1", "-subj", "/CN=benchlab-test-ca"}));
      !s.ok()) {
    return s;
  }
  if (!WriteFile(dir + "/server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")) {
    return absl::InternalError("cannot write server.ext");
  }
  auto sign = [&](const std::string& name, bool server) {
    std::vector<std::string> a = {"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
                                  "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "1"};
    if (server) {
      a.push_back("-extfile");
      a.push_back("server.ext");
    }
    return Openssl(dir, a);
  };
  if (auto s = Openssl(dir, NewKeyRequest({"-keyout", "server.key", "-out", "server.csr", "-subj",
                                           "/CN=localhost"}));
      !s.ok()) {
    return s;
  }
  if (auto s = sign("server", true); !s.ok()) return s;
  for (const std::string& c : clients) {
    if (auto s = Openssl(dir, NewKeyRequest({"-keyout", c + ".key", "-out", c + ".csr", "-subj",
                                             "/CN=" + c}));
        !s.ok()) {
      return s;
    }
    if (auto s = sign(c, false); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace benchlab::testing
