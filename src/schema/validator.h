// Validator: coerces TextBatch cells to a schema's types and checks its rules,
// producing a typed Batch of the good rows and a RowError per bad row.
//
// Cell rules: an empty or null cell is NULL for every type but string, where an
// empty cell is the empty string and a null cell is NULL (CSV readers make an
// unquoted empty field null and a quoted "" empty, as PostgreSQL's COPY does).
// Non-string cells are trimmed of ASCII blanks before parsing. NULL in a
// non-nullable column is an error. Integers: optional sign, digits, fits int64.
// Floats: decimal or exponent notation, inf/nan rejected. Booleans: true/false,
// t/f, yes/no, y/n, 1/0 (any case). Dates: YYYY-MM-DD or the column's format.
// Timestamps: ISO 8601 "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]|±HHMM]" (no
// zone means UTC) or the column's format; stored as UTC microseconds. Strings must
// be valid UTF-8. Then the column's rules: min/max (numbers), allowed (exact match
// of the cell text, trimmed for non-strings), regex (RE2 syntax, must match the whole value).
//
// When the reader gives a column's values typed as well (TextBatch::Typed; Parquet
// does), a column whose type takes them uses them as the parsed values, with the
// same rules and messages (which quote the cell text); other columns, and columns
// with rules on the text, parse the text as above. A column typed cell by cell
// (JSON) does so row by row: a row's typed value when it has one of the column's
// kind (an integer for integer columns, an integer or float for floats, a boolean
// for booleans), its text otherwise. A column of typed values (not per cell) is
// converted column-wise when none of its cells is rejected (else row by row, for
// the messages). A dictionary column (TextBatch::SetDictionary) has the UTF-8,
// allowed and regex checks of a string column done once per dictionary entry;
// a row is rejected only for the entry its cell is.
//
// Thread-safety: a Validator is used by one thread; it holds compiled regexes.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/batch.h"
#include "core/row_error.h"
#include "core/status.h"
#include "core/text_batch.h"
#include "schema/regex_rule.h"
#include "schema/schema.h"

namespace sluice {

enum class CellError;  // schema/cell_error.h

class Validator {
 public:
  // Errors: InvalidArgument for a rule that does not compile (bad regex).
  static Result<Validator> Create(const Schema& schema);

  // Maps the file's column names to schema columns. Columns of the schema that the
  // file lacks load as NULL. Errors (InvalidData, file-level): a non-nullable
  // schema column is missing; the file has a column the schema does not know, or
  // one column twice (the message lists them).
  Status Bind(const std::vector<std::string>& file_columns);

  // Converts every row of `in` and appends the good ones to `out`, whose leading
  // columns must be Schema::Defs(); later columns are left alone (see
  // FillMetadata). A row is appended whole or not at all, with out.FinishRow(line).
  // Reports one RowError per bad row (its first failing column), in row order.
  // `column_names` names in's columns (as given to Bind: possibly normalised) and
  // must start with the names given to Bind; columns that appeared after them
  // (JSON keys first seen later in the file) are bound here: a known one is
  // mapped, and a row with a non-null value in an unknown one is a bad row.
  // Returns the number of rows rejected.
  size_t Convert(const TextBatch& in, const std::vector<std::string>& column_names, Batch& out,
                 RowErrorSink& errors);

  // Per column of `sample` (a batch of the bound file): true when Convert takes
  // the column's typed values and needs no text but for messages (TypedSource), so
  // that the reader may make it textless (RecordReader::SetTextless); for a
  // per-cell typed column, the cells it has typed values for.
  std::vector<bool> TextlessColumns(const TextBatch& sample) const;

 private:
  class Utf8Check;

  Validator() = default;
  // Maps the columns of `columns` beyond file_columns_ (keys first seen after Bind).
  void BindNewColumns(const std::vector<std::string>& columns);
  void ConvertColumn(size_t c, const TextBatch& in, Column& out, const Utf8Check& utf8);
  // The typed values (TextBatch::Typed) of schema column `c`'s cells when the
  // Validator may use them instead of parsing the text: the column's type takes
  // them as they are (integer, boolean, date, timestamp from the same; float from
  // float or integer; a per-cell typed column for integer, float and boolean
  // columns) and no rule needs the text (allowed, regex, format). Else null.
  const TypedCells* TypedSource(size_t c, const TextBatch& in) const;
  // Runs `convert(cell, row)` (parse or take the typed value, check, write it at
  // `base` + row of `out`, grown for the batch; returns a CellError) on each
  // non-null cell of schema column `c` and handles NULLs and rejections.
  // Converts the typed values `typed` of schema column `c` (TypedSource, not per
  // cell) column-wise into rows `base`... of `out` (grown) when no cell of them is
  // rejected; false, with `out`'s rows to be rewritten row by row, otherwise.
  bool ConvertTypedColumn(size_t c, const TextBatch& in, Column& out, size_t base,
                          const TypedCells& typed);
  // The dictionary of string column `c` (TextBatch::SetDictionary), or null.
  const TypedCells* DictionarySource(size_t c, const TextBatch& in) const;
  // As ConvertTypedColumn, for dictionary column `dict` whose entries' checks are
  // in entry_errors_: column-wise when every cell is a good entry or null.
  bool ConvertDictionaryColumn(size_t c, const TextBatch& in, Column& out, size_t base,
                               const TypedCells& dict);
  // Makes the rows of `out` from `base` that an earlier column rejected null.
  void NullRejectedRows(size_t rows, Column& out, size_t base);
  template <typename ConvertCell>
  void ConvertRows(size_t c, const TextBatch& in, Column& out, size_t base, ConvertCell convert);
  // Marks row `row` bad (the first error of a row wins) and keeps its RowError.
  void Reject(const TextBatch& in, size_t row, std::string column, std::string message,
              RowErrorKind kind, std::string hint);

  // Index of a schema column by name: Bind is linear in the file's columns, even
  // for a file of many thousand columns.
  int Find(const std::string& name) const;

  Schema schema_;
  std::unordered_map<std::string, int> index_;
  std::vector<std::shared_ptr<const RegexRule>> regexes_;  // per schema column, may be null
  std::vector<std::vector<std::string>> allowed_;          // per schema column, sorted for lookup
  bool has_strings_ = false;                               // some schema column is a string
  std::vector<int> source_of_;  // per schema column: index in the file's columns or -1
  std::vector<std::string> file_columns_;
  std::vector<size_t> unknown_columns_;  // file columns seen after Bind that the schema lacks
  // Scratch reused by Convert: per row 0 (good) or 1 + index into pending_.
  std::vector<uint32_t> row_error_;
  std::vector<RowError> pending_;
  std::string scratch_;                  // a textless cell's text (TextBatch::CellText)
  std::vector<CellError> entry_errors_;  // per dictionary entry (DictionarySource)
  std::vector<uint8_t> good_entries_;    // 1 where entry_errors_ is kNone

  // Dates from 0001-01-01 to 9999-12-31, as days since 1970-01-01: the range in
  // which a typed date or timestamp is known to be what its text parses to.
  static constexpr int64_t kFirstDay = -719162;
  static constexpr int64_t kLastDay = 2932896;
  static constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000 * 1000;
};

}  // namespace sluice
