// Column widths are measured in bytes: fine for the ASCII the lab produces (ids, models,
// numbers); a model name in another script only shifts its own row. Cells are escaped
// here (EscapeForTerminal), so no table prints a phone's or a user's control characters.
#include "cli/table.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

bool LooksNumeric(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' && c != '%' &&
        c != 'e') {
      return false;
    }
  }
  return absl::ascii_isdigit(static_cast<unsigned char>(s[0])) || s.size() > 1;
}

}  // namespace

std::string Table::Render() const {
  auto escaped = [](const std::vector<std::string>& cells) {
    std::vector<std::string> out;
    out.reserve(cells.size());
    for (const auto& c : cells) out.push_back(EscapeForTerminal(c));
    return out;
  };
  const std::vector<std::string> header = escaped(header_);
  std::vector<std::vector<std::string>> rows;
  rows.reserve(rows_.size());
  for (const auto& row : rows_) rows.push_back(escaped(row));
  std::vector<size_t> widths(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool align_numbers) {
    std::string text;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string empty;
      const std::string& cell = c < cells.size() ? cells[c] : empty;
      if (c > 0) text += "  ";
      size_t pad = widths[c] - std::min(widths[c], cell.size());
      if (align_numbers && LooksNumeric(cell)) {
        text.append(pad, ' ');
        text += cell;
      } else {
        text += cell;
        if (c + 1 < widths.size()) text.append(pad, ' ');
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  };
  line(header, false);
  for (const auto& row : rows) line(row, true);
  return out;
}

}  // namespace benchlab::cli
