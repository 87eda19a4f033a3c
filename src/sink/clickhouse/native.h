// Native: ClickHouse's column-oriented binary format, as the ClickHouse sink writes
// it into INSERT … FORMAT Native request bodies. A body is a sequence of blocks;
// a block (as the HTTP interface reads it: no block info) is
//   VarUInt columns, VarUInt rows, then per column: String name, String type,
//   the column's values.
// Values: numbers are arrays of little-endian fixed-width values (Int64 = 8 bytes,
// Float64 = 8, UInt8 = 1, Date = UInt16 days since 1970-01-01, Date32 = Int32 days,
// DateTime = UInt32 seconds, DateTime64(P) = Int64 ticks of 10^-P s); String is,
// per value, its byte length as an unsigned LEB128 varint followed by the bytes;
// Nullable(T) is a null map (one byte per row, 1 = NULL) followed by the T values
// of every row (any value where the row is NULL).
//
// Below the primitives: how a Batch column becomes the values of a Native column
// of the table's type (ClickHouseEncodingFor, AppendNativeColumn; native.cc).
//
// Thread-safety: pure functions on the caller's buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/batch.h"
#include "core/status.h"
#include "core/table.h"

namespace sluice::native {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "Native is little-endian");

// Appends `value` as an unsigned LEB128 varint (7 bits a byte, low bits first).
inline void AppendVarUInt(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Appends a fixed-width number in its in-memory (little-endian) form.
template <typename T>
inline void AppendFixed(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

// Appends a String: varint length, then the bytes.
inline void AppendString(std::string& out, std::string_view value) {
  AppendVarUInt(out, value.size());
  out.append(value.data(), value.size());
}

// Appends a block's header: its column and row counts.
inline void AppendBlockHeader(std::string& out, uint64_t columns, uint64_t rows) {
  AppendVarUInt(out, columns);
  AppendVarUInt(out, rows);
}

// Appends a column's header (name and ClickHouse type); its values follow.
inline void AppendColumnHeader(std::string& out, std::string_view name, std::string_view type) {
  AppendString(out, name);
  AppendString(out, type);
}

}  // namespace sluice::native

namespace sluice {

// How one column's values are written: the ClickHouse type the table has, and
// the conversion from the Batch's representation.
struct ClickHouseColumnEncoding {
  enum class Kind {
    kInt8,
    kInt16,
    kInt32,
    kInt64,
    kUInt8,
    kUInt16,
    kUInt32,
    kUInt64,
    kFloat32,
    kFloat64,
    kDate,        // UInt16 days
    kDate32,      // Int32 days
    kDateTime,    // UInt32 seconds
    kDateTime64,  // Int64 ticks of 10^-scale s
    kString,
  };
  std::string type;  // the table's type name, as the Native block header names it
  Kind kind = Kind::kString;
  int scale = 0;  // kDateTime64 only
  bool nullable = false;
};

// Parses a ClickHouse type name ("Nullable(Int64)", "DateTime64(6, 'UTC')", …)
// into how a `source` column is written to it. Errors: InvalidArgument (a type
// sluice cannot write `source` values into, LowCardinality among them).
Result<ClickHouseColumnEncoding> ClickHouseEncodingFor(std::string_view type, ColumnType source);

// Appends the values of `column` (every row) to `out` as the data of a Native
// column of `encoding`'s type. Errors: InvalidData (NULL into a non-Nullable
// column, value out of the type's range; the message names the column and
// *bad_row is the row).
Status AppendNativeColumn(const Column& column, const ClickHouseColumnEncoding& encoding,
                          std::string& out, size_t* bad_row);

}  // namespace sluice
