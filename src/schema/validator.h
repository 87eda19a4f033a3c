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
// Timestamps: ISO 8601 "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]" (no zone
// means UTC) or the column's format; stored as UTC microseconds. Strings must be
// valid UTF-8.
//
// Thread-safety: a Validator is used by one thread; it holds compiled regexes.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/row_error.h"
#include "core/status.h"
#include "core/text_batch.h"
#include "schema/schema.h"

namespace sluice {

class Validator {
 public:
  // Errors: InvalidArgument for a rule that does not compile (bad regex).
  static Result<Validator> Create(const Schema& schema);

  // Maps the file's column names to schema columns. Columns of the schema that the
  // file lacks load as NULL. Errors (InvalidData, file-level): a non-nullable
  // schema column is missing; the file has a column the schema does not know
  // (message lists them).
  Status Bind(const std::vector<std::string>& file_columns);

  // Converts every row of `in` and appends the good ones to `out` (whose columns
  // leading columns must be Schema::Defs(); later columns are left alone, see
  // FillMetadata). Reports one RowError per bad row
  // (first failing column). Columns that appeared in `in` after Bind (JSON keys
  // first seen later in the file) are bound here: a known one is mapped, and a
  // row with a non-null value in an unknown one is a bad row. Returns the number
  // of rows rejected.
  size_t Convert(const TextBatch& in, Batch& out, RowErrorSink& errors);

 private:
  Validator() = default;
  Schema schema_;
  std::vector<std::shared_ptr<const std::regex>> regexes_;  // per schema column, may be null
  std::vector<int> source_of_;  // per schema column: index in the file's columns or -1
  std::vector<std::string> file_columns_;
};

}  // namespace sluice
