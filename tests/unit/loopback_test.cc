// CheckLoopbackTarget with a resolver the test controls: names are decided by what they
// resolve to, every address of a target list counts, and schemes that could send the
// call elsewhere are refused. No lookup leaves the process.
#include "common/loopback.h"

#include <gtest/gtest.h>

#include <map>

namespace benchlab {
namespace {

// A resolver from a table; a name not in it does not resolve.
HostResolver Table(std::map<std::string, std::vector<std::string>> table) {
  return [table](const std::string& host) -> absl::StatusOr<std::vector<std::string>> {
    auto it = table.find(host);
    if (it == table.end()) return absl::NotFoundError("Name or service not known");
    return it->second;
  };
}

TEST(LoopbackTest, NumericAddressesNeedNoLookup) {
  HostResolver none = [](const std::string& host) -> absl::StatusOr<std::vector<std::string>> {
    ADD_FAILURE() << "looked up " << host;
    return absl::NotFoundError("no");
  };
  for (const char* ok : {"127.0.0.1:7443", "127.1.2.3:1", "[::1]:7443", "::1", "127.0.0.1", "[::ffff:127.0.0.1]:1",
                         "ipv4:127.0.0.1:1,127.0.0.2:2", "ipv6:[::1]:1,[::1]:2", "unix:/run/benchlab.sock"}) {
    EXPECT_TRUE(CheckLoopbackTarget(ok, none).ok()) << ok;
  }
  for (const char* remote : {"10.0.0.1:7443", "0.0.0.0:7443", "[::]:7443", "[2001:db8::1]:7443", "128.0.0.1:1",
                             "[::ffff:192.0.2.2]:1", "ipv4:127.0.0.1:1,192.0.2.2:7443", "ipv6:[::1]:1,[2001:db8::1]:2",
                             "ipv4:localhost:1"}) {
    EXPECT_EQ(CheckLoopbackTarget(remote, none).code(), absl::StatusCode::kFailedPrecondition) << remote;
  }
}

TEST(LoopbackTest, NamesAreDecidedByWhatTheyResolveTo) {
  HostResolver r = Table({{"localhost", {"127.0.0.1", "::1"}},
                          {"lab-box", {"127.0.1.1"}},
                          {"127.x.example", {"192.0.2.7"}},
                          {"half.example", {"127.0.0.1", "192.0.2.8"}},
                          {"empty.example", {}}});
  EXPECT_TRUE(CheckLoopbackTarget("localhost:7443", r).ok());
  EXPECT_TRUE(CheckLoopbackTarget("localhost", r).ok());
  EXPECT_TRUE(CheckLoopbackTarget("dns:///localhost:7443", r).ok());
  EXPECT_TRUE(CheckLoopbackTarget("dns:localhost:7443", r).ok());
  EXPECT_TRUE(CheckLoopbackTarget("lab-box:1", r).ok());
  absl::Status st = CheckLoopbackTarget("127.x.example:7443", r);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("resolves to 192.0.2.7"), absl::string_view::npos) << st;
  EXPECT_FALSE(CheckLoopbackTarget("half.example:1", r).ok());
  EXPECT_FALSE(CheckLoopbackTarget("empty.example:1", r).ok());
  st = CheckLoopbackTarget("unknown.example:1", r);
  EXPECT_NE(st.message().find("does not resolve"), absl::string_view::npos) << st;
}

TEST(LoopbackTest, SchemesThatMayReachAnyHostAreRefused) {
  HostResolver r = Table({{"localhost", {"127.0.0.1"}}});
  for (const char* t : {"dns://192.0.2.53/localhost:7443", "xds:///lab", "google-c2p:///lab", ":7443", ""}) {
    EXPECT_FALSE(CheckLoopbackTarget(t, r).ok()) << t;
  }
}

TEST(LoopbackTest, SystemResolverFindsLocalhostInHosts) {
  // /etc/hosts names localhost on every Debian system; no DNS query is made for it.
  EXPECT_TRUE(CheckLoopbackTarget("localhost:7443").ok());
}

}  // namespace
}  // namespace benchlab
