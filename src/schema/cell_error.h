// Why a cell was rejected, in words: the messages, kinds and hints of the
// Validator's row errors, and the quoting that keeps values in messages printable.
// Internal to the schema stage.
//
// Thread-safety: free functions.
#pragma once

#include <string>
#include <string_view>

#include "core/row_error.h"
#include "schema/schema.h"

namespace sluice {

// Why a cell was rejected.
enum class CellError {
  kNone,
  kNotType,
  kOutOfRange,
  kBelowMin,
  kAboveMax,
  kNotAllowed,
  kNoMatch,
  kInvalidUtf8,
};

// Appends `value` in double quotes, escaping quotes, control bytes and (when the
// value is not valid UTF-8) non-ASCII bytes, so that messages stay printable text.
void AppendQuoted(std::string& out, std::string_view value);
// "column \"NAME\": ".
std::string ColumnPrefix(const std::string& name);
// Why `cell` of column `spec` was rejected, for its RowError.
std::string CellMessage(const ColumnSpec& spec, CellError error, std::string_view cell);
// The RowErrorKind of a rejected cell.
RowErrorKind CellKind(const ColumnSpec& spec, CellError error);
// What to do about a rejected cell: fix the data, or what to declare to accept it.
std::string CellHint(const ColumnSpec& spec, CellError error);

}  // namespace sluice
