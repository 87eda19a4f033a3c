// PGCOPY: PostgreSQL's binary COPY format, as the PostgreSQL sink writes it into
// COPY … FROM STDIN (FORMAT binary). A stream is
//   the header: the 11-byte signature "PGCOPY\n\377\r\n\0", Int32 flags (0) and
//     Int32 header extension length (0);
//   per row: Int16 field count, then per field an Int32 byte length (-1 for NULL,
//     then nothing) and the value in the type's binary form;
//   the trailer: Int16 -1.
// Every number is big-endian. Values: int8/int4/int2 as 8/4/2-byte integers,
// float8/float4 as IEEE 754 doubles/floats, bool as one byte (0 or 1), date as
// Int32 days and timestamp/timestamptz as Int64 microseconds since 2000-01-01,
// text/varchar/bpchar as their UTF-8 bytes.
//
// Thread-safety: pure functions on the caller's buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"

namespace sluice::pgcopy {

// How a column's values are encoded: the server column's type.
enum class Wire { kInt8, kInt4, kInt2, kFloat8, kFloat4, kBool, kDate, kTimestamp, kText };

// Days from 1970-01-01 (a Batch's dates) to 2000-01-01 (PostgreSQL's).
inline constexpr int64_t kEpochShiftDays = 10957;

// Appends the stream's header.
void AppendHeader(std::string& out);

// Appends every row of `batch`, column i encoded as `wire[i]`. Requires a wire
// type per column of the batch, each fitting its column's ColumnType (integer and
// boolean values in ints, floats in floats, text in strings), and values that
// FindUnfit accepts.
void AppendRows(const Batch& batch, const std::vector<Wire>& wire, std::string& out);
// The same for rows [begin, end) of `batch`.
void AppendRows(const Batch& batch, const std::vector<Wire>& wire, size_t begin, size_t end,
                std::string& out);

// Appends the stream's trailer.
void AppendTrailer(std::string& out);

// A value its wire type cannot carry: the row and column of the batch, and why.
struct UnfitValue {
  size_t row = 0;
  size_t column = 0;
  std::string problem;  // "value 40000 is out of range for the column's type"
};

// The first non-NULL value of `batch` that `wire` cannot carry: an integer or
// date outside an int4/int2/date column's range, a date or timestamp that the
// shift to 2000-01-01 overflows, a text longer than 2 GiB.
std::optional<UnfitValue> FindUnfit(const Batch& batch, const std::vector<Wire>& wire);

// Where each row of one COPY came from: its load (an index of the sink's) and
// source line. Kept as runs of rows whose lines follow each other, as a file's
// rows mostly do, so a COPY of a million rows costs a few runs, not 8 MB.
class RowMap {
 public:
  struct Source {
    size_t load = 0;
    uint64_t line = 0;
  };

  // Appends one row per line of `lines`, all of `load`.
  void Add(size_t load, const std::vector<uint64_t>& lines);
  uint64_t rows() const { return rows_; }
  size_t runs() const { return runs_.size(); }
  // The source of row `row` (from 0; requires row < rows()).
  Source At(uint64_t row) const;
  void Clear() {
    runs_.clear();
    rows_ = 0;
  }

 private:
  // 16 bytes: a COPY holds far fewer than 2^32 rows, and a group fewer loads.
  struct Run {
    uint64_t line;  // the line of its first row
    uint32_t row;   // its first row
    uint32_t load;
  };
  std::vector<Run> runs_;
  uint64_t rows_ = 0;
};

// Where the server's context of a failed COPY ("COPY t, line 3, column x: …",
// PG_DIAG_CONTEXT; may be null) points: the row of the COPY (from 1), or 0; and
// the column's name, or "".
uint64_t ErrorRow(const char* context);
std::string ErrorColumn(const char* context);

}  // namespace sluice::pgcopy
