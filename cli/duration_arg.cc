// "7d"-style durations; see duration_arg.h.
#include "cli/duration_arg.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace benchlab::cli {

absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view option, absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(option, " \"", text.substr(0, 40),
                                                   "\": give a number and a unit, e.g. 30m, 12h, 7d or 2w"));
  };
  if (text.size() < 2) return bad();
  int64_t n = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.size() - 1), &n) || n <= 0) return bad();
  if (text.substr(0, text.size() - 1).find_first_not_of("0123456789") != absl::string_view::npos) return bad();
  absl::Duration unit;
  switch (text.back()) {
    case 's': unit = absl::Seconds(1); break;
    case 'm': unit = absl::Minutes(1); break;
    case 'h': unit = absl::Hours(1); break;
    case 'd': unit = absl::Hours(24); break;
    case 'w': unit = absl::Hours(24 * 7); break;
    default: return bad();
  }
  if (n > 3650 * 86400) return bad();
  const absl::Duration d = n * unit;
  if (d > absl::Hours(24 * 3650)) {
    return absl::InvalidArgumentError(absl::StrCat(option, " \"", text, "\": at most 3650d"));
  }
  return d;
}

}  // namespace benchlab::cli
