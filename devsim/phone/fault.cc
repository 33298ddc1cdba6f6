// Fault names as typed on the command line (--fault, `devsimctl fault NAME`) and back.
#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "devsim/phone/phone.h"

namespace benchlab::devsim {
namespace {

constexpr std::array<std::pair<Fault, absl::string_view>, 11> kFaultNames = {{
    {Fault::kNone, "none"},
    {Fault::kGraphMissing, "graph-missing"},
    {Fault::kInvalidFlag, "invalid-flag"},
    {Fault::kCrash, "crash"},
    {Fault::kHang, "hang"},
    {Fault::kBadModel, "bad-model"},
    {Fault::kDisconnect, "disconnect"},
    {Fault::kUnauthorized, "unauthorized"},
    {Fault::kSlowLink, "slow-link"},
    {Fault::kDelegateNone, "delegate-none"},
    {Fault::kResultSkew, "result-skew"},
}};

}  // namespace

bool ParseFault(absl::string_view name, Fault* fault) {
  // Accept "graph_missing" and "Graph-Missing" too: people type these by hand.
  std::string norm = absl::AsciiStrToLower(name);
  for (char& c : norm) {
    if (c == '_') c = '-';
  }
  for (const auto& [f, n] : kFaultNames) {
    if (norm == n) {
      *fault = f;
      return true;
    }
  }
  return false;
}

absl::string_view FaultName(Fault fault) {
  for (const auto& [f, n] : kFaultNames) {
    if (f == fault) return n;
  }
  return "unknown";
}

}  // namespace benchlab::devsim
