// Text from phones, agents and users on its way into HTML or Markdown (reports, pages):
// a device name, a flag or a log line must show as text, never become markup, a link or
// a script. Control characters are shown as in terminal_text.h first.
#ifndef BENCHLAB_COMMON_MARKUP_TEXT_H_
#define BENCHLAB_COMMON_MARKUP_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace benchlab {

// For HTML text and attribute values: & < > " ' as character references, control
// characters as \n, \xNN, ... (EscapeForTerminal).
std::string EscapeHtml(absl::string_view text);
// Multi-line text for a <pre>: the line breaks kept, everything else as EscapeHtml.
std::string EscapeHtmlLines(absl::string_view text);

// For Markdown (CommonMark/GFM) text and table cells: every ASCII punctuation character
// backslash-escaped (so no emphasis, link, HTML tag, entity, table pipe or autolink
// forms), control characters (a newline included) as EscapeForTerminal shows them.
std::string EscapeMarkdown(absl::string_view text);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_MARKUP_TEXT_H_
