// ValueText: a Parquet leaf column's values as sluice cell text, chosen once per
// column from its physical type and its logical (or legacy converted) type.
//
//   STRING/UTF8, ENUM, JSON, BSON-less byte arrays  the bytes; a byte array without
//                                   a string annotation must be valid UTF-8, else
//                                   the value is bad (reason encoding)
//   UUID                            8-4-4-4-12 lower-case hex
//   DATE                            YYYY-MM-DD
//   TIME millis/micros/nanos        HH:MM:SS[.ffffff] (nanos truncated)
//   TIMESTAMP millis/micros/nanos   YYYY-MM-DDTHH:MM:SS[.ffffff]Z, nanos truncated;
//   INT96                           local (not adjusted to UTC) taken as UTC
//   DECIMAL (INT32/INT64/bytes)     exact decimal text: -123.45
//   INT(8..64) signed/unsigned      the integer; unsigned 64-bit values above
//                                   2^63-1 stay exact text, which an integer column
//                                   then refuses (a float or string column keeps)
//   FLOAT16, FLOAT, DOUBLE          the shortest text that reads back as the same
//                                   double (FLOAT16 and FLOAT widened exactly);
//                                   NaN, Infinity, -Infinity
//   BOOLEAN                         true / false
//   other FIXED_LEN_BYTE_ARRAY      as byte arrays (UTF-8 or bad)
//
// Thread-safety: a ValueText is immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/table.h"
#include "parquet/metadata.h"

namespace sluice::parquet {

class ValueText {
 public:
  explicit ValueText(const LeafColumn& leaf);

  // Each appends the value's text to `out` and returns true, or returns false for a
  // value that has no text (invalid UTF-8; `out` is then unspecified).
  bool Bool(bool v, std::string& out) const;
  bool Int32(int32_t v, std::string& out) const;
  bool Int64(int64_t v, std::string& out) const;
  bool Int96(const uint8_t* v12, std::string& out) const;
  bool Float(float v, std::string& out) const;
  bool Double(double v, std::string& out) const;
  // BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY.
  bool Bytes(std::string_view v, std::string& out) const;

  Type physical() const { return physical_; }
  // The type whose representation (core/table.h) the column's values also have
  // when their text is exactly what that type prints and parses back: signed
  // integers, FLOAT/DOUBLE, BOOLEAN, DATE and INT32/INT64 TIMESTAMP. kString for
  // every other column (text only).
  ColumnType typed_type() const;
  // The representation of an INT32/INT64 value of a typed column: the value, or a
  // timestamp's microseconds (as its text, truncated).
  int64_t TypedInt(int64_t v) const;
  // TypedInt(v) is v for every v (not a timestamp, or one in microseconds).
  bool TypedIntIsValue() const;
  // Appends the text of a typed column's value given in its representation
  // (`i`, or `f` for a float column): the text its Parquet value has.
  void TypedText(int64_t i, double f, std::string& out) const;
  // What the column holds, for messages and inference: "string", "integer",
  // "float", "boolean", "date", "timestamp", "time".
  std::string_view kind_name() const;

 private:
  enum class Kind {
    kText,         // bytes as they are (declared strings)
    kCheckedText,  // bytes that must be valid UTF-8
    kUuid,
    kDate,
    kTime,
    kTimestamp,
    kDecimal,
    kSigned,
    kUnsigned,
    kFloat16,
    kNumber,  // plain numbers of the physical type
  };
  Type physical_;
  Kind kind_ = Kind::kNumber;
  TimeUnit unit_ = TimeUnit::kMillis;
  int32_t scale_ = 0;
};

// Text of a count of microseconds since the Unix epoch: YYYY-MM-DDTHH:MM:SS[.ffffff]Z.
void AppendTimestampMicros(int64_t micros, std::string& out);

}  // namespace sluice::parquet
