// EscapeHtml / EscapeMarkdown over EscapeForTerminal's output (which holds no control
// character any more, so only the markup's own characters are left to neutralise).
#include "common/markup_text.h"

#include "absl/strings/ascii.h"
#include "common/terminal_text.h"

namespace benchlab {

namespace {

void AppendHtml(absl::string_view text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '&': out->append("&amp;"); break;
      case '<': out->append("&lt;"); break;
      case '>': out->append("&gt;"); break;
      case '"': out->append("&quot;"); break;
      case '\'': out->append("&#39;"); break;
      default: out->push_back(c);
    }
  }
}

}  // namespace

std::string EscapeHtml(absl::string_view text) {
  std::string out;
  AppendHtml(EscapeForTerminal(text), &out);
  return out;
}

std::string EscapeHtmlLines(absl::string_view text) {
  std::string out;
  AppendHtml(EscapeLinesForTerminal(text), &out);
  return out;
}

std::string EscapeMarkdown(absl::string_view text) {
  const std::string shown = EscapeForTerminal(text);
  std::string out;
  out.reserve(shown.size() * 2);
  for (char c : shown) {
    if (absl::ascii_ispunct(static_cast<unsigned char>(c))) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace benchlab
