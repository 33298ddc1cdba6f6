// A plain-text table for people: a header, rows, columns padded to their widest cell.
// Cells that look like numbers are right-aligned so digits line up. Control characters
// in cells are shown escaped.
#ifndef BENCHLAB_CLI_TABLE_H_
#define BENCHLAB_CLI_TABLE_H_

#include <string>
#include <vector>

namespace benchlab::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // A row with fewer cells than the header is padded with empty cells.
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  // Header, then one line per row, each ending in '\n'; columns two spaces apart.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_TABLE_H_
