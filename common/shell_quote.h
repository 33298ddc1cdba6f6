// Quoting for the phone's shell (/system/bin/sh -c). Everything benchlab sends to a
// device shell goes through here, so no argument can break out of its word.
#ifndef BENCHLAB_COMMON_SHELL_QUOTE_H_
#define BENCHLAB_COMMON_SHELL_QUOTE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace benchlab {

// Returns `arg` as one single-quoted shell word: 'it'\''s' for it's. The result is safe
// for any byte string (quotes, $(), backticks, ;, newlines stay literal).
std::string ShellQuote(absl::string_view arg);

// Quotes each argument and joins them with spaces.
std::string ShellJoin(const std::vector<std::string>& args);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_SHELL_QUOTE_H_
