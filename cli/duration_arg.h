// Durations as people type them on the command line ("7d", "12h", "90m", "30s", "2w"),
// for options such as `benchlab regressions --since`.
#ifndef BENCHLAB_CLI_DURATION_ARG_H_
#define BENCHLAB_CLI_DURATION_ARG_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace benchlab::cli {

// A positive whole number followed by one unit: s, m, h, d (24 h) or w (7 d); at most
// 3650 days. InvalidArgument naming `option` and the accepted forms otherwise.
absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view option, absl::string_view text);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_DURATION_ARG_H_
