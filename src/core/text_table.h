// Text tables for a terminal: cells made visible (control characters and
// invalid UTF-8 escaped), cut to a width with an ellipsis, and columns aligned
// by their display width (a CJK character or an emoji takes two columns, a
// combining mark none), so that multibyte UTF-8 lines up.
//
// Thread-safety: pure functions; a TextTable is used by one thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// `text` with what a terminal would not show as itself escaped: "\n", "\r",
// "\t", other C0 controls and DEL as "\xNN", C1 controls and the line and
// paragraph separators as "\uNNNN", each byte of invalid UTF-8 as "\xNN", and
// the backslash as "\\" (so an escape is never confused with text).
std::string VisibleText(std::string_view text);

// The columns valid UTF-8 `text` takes on a terminal.
size_t DisplayWidth(std::string_view text);

// `text` (valid UTF-8) if it fits in `width` columns, else its longest prefix
// of whole characters that fits in width - 1, then "…".
std::string FitWidth(std::string_view text, size_t width);

// A value as a table shows it, at most `width` columns: NULL (nullopt) as
// NULL; a string that could be taken for something else (empty, "NULL", or
// beginning with '"') in double quotes; then VisibleText, then FitWidth.
std::string DisplayCell(const std::optional<std::string>& value, size_t width);

class TextTable {
 public:
  // Header lines come first and are underlined by a rule of '-'.
  void AddHeader(std::vector<std::string> cells);
  void AddRow(std::vector<std::string> cells);
  // Column `c` is aligned to the right (numbers); columns are left-aligned
  // by default.
  void AlignRight(size_t c);

  // Every line, cells (valid UTF-8, already visible and fitted) padded to their
  // column's widest and separated by two spaces, without trailing blanks; each
  // line ends with '\n'. Rows shorter than others are padded with empty cells.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> right_;
};

}  // namespace sluice
