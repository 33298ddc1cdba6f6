// Text from phones, agents and users on its way to a terminal. A model name, a log line
// or a job description can carry escape sequences (clear screen, window title) or NUL:
// every table and line the CLI prints passes through here so they show, not act.
#ifndef BENCHLAB_COMMON_TERMINAL_TEXT_H_
#define BENCHLAB_COMMON_TERMINAL_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace benchlab {

// `text` with every control character shown as an escape: \n, \r, \t, and \xNN for the
// other C0 bytes, DEL and bytes that are not UTF-8; C1 controls (U+0080..U+009F) as
// \u0080..\u009f. Printable ASCII and other valid UTF-8 pass unchanged.
std::string EscapeForTerminal(absl::string_view text);

// Multi-line output (a rendered table, a CSV document): each line escaped as above, the
// '\n' between lines kept.
std::string EscapeLinesForTerminal(absl::string_view text);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_TERMINAL_TEXT_H_
