// Noise level, drift curve and the slowdown table of one phone.
#include "devsim/phone/perf_knobs.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace benchlab::devsim {
namespace {

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

PerfKnobs::PerfKnobs(double noise_cv_pct, double drift_pct, double drift_period_s,
                     uint64_t phase_seed)
    : drift_(drift_pct / 100.0),
      drift_period_s_(drift_period_s > 0 ? drift_period_s : 1800),
      phase_(static_cast<double>(phase_seed % 6283) / 1000.0),
      noise_cv_(noise_cv_pct / 100.0) {}

double PerfKnobs::noise_cv() const {
  absl::MutexLock lock(&mu_);
  return noise_cv_;
}

void PerfKnobs::SetNoiseCvPct(double pct) {
  absl::MutexLock lock(&mu_);
  noise_cv_ = pct / 100.0;
}

double PerfKnobs::DriftFactor(double sim_s) const {
  constexpr double kTwoPi = 6.283185307179586;
  return 1.0 + drift_ * std::sin(kTwoPi * sim_s / drift_period_s_ + phase_);
}

absl::Status PerfKnobs::SetSlowdown(absl::string_view sha256_hex, double pct) {
  if (!IsSha256Hex(sha256_hex)) {
    return absl::InvalidArgumentError(
        absl::StrCat("slowdown: '", sha256_hex, "' is not a sha256 (64 hex digits; sha256sum MODEL)"));
  }
  if (!(pct > -90 && pct <= 1000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("slowdown: ", pct, " % is out of range (-90 < PCT <= 1000)"));
  }
  absl::MutexLock lock(&mu_);
  const std::string key = absl::AsciiStrToLower(sha256_hex);
  if (pct == 0) {
    slowdowns_.erase(key);
  } else {
    slowdowns_[key] = pct;
  }
  return absl::OkStatus();
}

void PerfKnobs::ClearSlowdowns() {
  absl::MutexLock lock(&mu_);
  slowdowns_.clear();
}

double PerfKnobs::SlowdownFactor(absl::string_view sha256_hex) const {
  absl::MutexLock lock(&mu_);
  auto it = slowdowns_.find(absl::AsciiStrToLower(sha256_hex));
  return it == slowdowns_.end() ? 1.0 : 1.0 + it->second / 100.0;
}

bool PerfKnobs::HasSlowdowns() const {
  absl::MutexLock lock(&mu_);
  return !slowdowns_.empty();
}

std::string PerfKnobs::SlowdownsText() const {
  absl::MutexLock lock(&mu_);
  if (slowdowns_.empty()) return "none";
  return absl::StrJoin(slowdowns_, ",", [](std::string* out, const auto& kv) {
    absl::StrAppend(out, kv.first, ":", absl::StrFormat("%g", kv.second));
  });
}

absl::Status ParseSlowdownSpec(absl::string_view spec, int* index, std::string* sha256_hex,
                               double* pct) {
  *index = -1;
  absl::string_view rest = spec;
  if (const size_t eq = rest.find('='); eq != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(0, eq), index) || *index < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--slowdown '", spec, "': INDEX before '=' must be a phone number"));
    }
    rest.remove_prefix(eq + 1);
  }
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos || !absl::SimpleAtod(rest.substr(colon + 1), pct)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--slowdown '", spec, "': want [INDEX=]SHA256:PCT, e.g. 0=ab12...:5"));
  }
  *sha256_hex = std::string(rest.substr(0, colon));
  if (!IsSha256Hex(*sha256_hex)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--slowdown '", spec, "': '", *sha256_hex, "' is not a sha256 (64 hex digits)"));
  }
  return absl::OkStatus();
}

}  // namespace benchlab::devsim
