// Single-quote shell escaping, the same rule adb's own escape_arg follows.
#include "common/shell_quote.h"

namespace benchlab {

std::string ShellQuote(absl::string_view arg) {
  std::string out;
  out.reserve(arg.size() + 2);
  out.push_back('\'');
  for (char c : arg) {
    if (c == '\'') {
      out.append("'\\''");  // close, escaped quote, reopen
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string ShellJoin(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& arg : args) {
    if (!out.empty()) out.push_back(' ');
    out.append(ShellQuote(arg));
  }
  return out;
}

}  // namespace benchlab
