// Text from phones, agents and users on its way into HTML: a device name or a log line
// must show as text, never become markup (the dashboard's server-rendered bits; its
// scripts set textContent, which needs no escaping).
#ifndef BENCHLAB_COMMON_HTML_TEXT_H_
#define BENCHLAB_COMMON_HTML_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace benchlab {

// `text` with & < > " ' as character references, safe in element content and in quoted
// attribute values.
std::string EscapeHtml(absl::string_view text);

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_HTML_TEXT_H_
