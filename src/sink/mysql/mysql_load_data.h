// The text the MySQL sink feeds to LOAD DATA LOCAL INFILE (with the statement's
// default FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'),
// built in memory: one line per row, fields separated by tabs; NULL as \N; in
// text, backslash, tab, newline, carriage return and NUL escaped as \\ \t \n \r
// \0, so no byte of a value can end a field or a line or read as NULL; integers
// and booleans in decimal (booleans 0/1); floats in the shortest text that reads
// back as the same double; dates YYYY-MM-DD and timestamps YYYY-MM-DD
// HH:MM:SS[.f...] in UTC (iso_time.h, the fraction without its trailing zeros),
// which a DATETIME(6) column stores as written under the session's time zone
// '+00:00'. No value is quoted: the escapes alone delimit it, the fewest bytes.
//
// Values MySQL cannot store (NaN and infinite floats; dates and timestamps
// outside years 0001..9999) are found by FindUnfit before anything is sent.
// The server's warnings name a row of the statement ("at row 3"); WarningRow
// and WarningColumn read that back.
//
// Thread-safety: pure functions on the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/batch.h"

namespace sluice::mysqlload {

// The range of DATE and DATETIME(6): 0001-01-01 .. 9999-12-31 (days and µs since 1970).
inline constexpr int64_t kMinDay = -719162, kMaxDay = 2932896;
inline constexpr int64_t kMinMicros = -62135596800000000;
inline constexpr int64_t kMaxMicros = 253402300799999999;

// Appends rows [begin, end) of `batch` as LOAD DATA text. Requires values that
// FindUnfit accepts.
void AppendRows(const Batch& batch, size_t begin, size_t end, std::string& out);

// Appends one value of `column` (not NULL) as text, unescaped (strings as they
// are): the form the INSERT fallback binds dates and timestamps in.
void AppendValue(const Column& column, size_t row, std::string& out);

// A value MySQL cannot store: the row and column of the batch, and why.
struct UnfitValue {
  size_t row = 0;
  size_t column = 0;
  std::string problem;
};
std::optional<UnfitValue> FindUnfit(const Batch& batch);

// The row of the statement (from 1) a warning names ("... at row 3", "Row 3
// was truncated ..."), or 0 when it names none.
uint64_t WarningRow(std::string_view message);
// The column a warning names ("for column 'x'", "for column `db`.`t`.`x`"), or "".
std::string WarningColumn(std::string_view message);

}  // namespace sluice::mysqlload
