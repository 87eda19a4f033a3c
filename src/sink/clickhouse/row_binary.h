// RowBinary: ClickHouse's row-oriented binary input format, as the ClickHouse sink
// writes it. Values are little-endian and fixed-width for numbers (Int64 = 8
// bytes, Float64 = 8, UInt8 = 1, Date = UInt16 days since 1970-01-01, Date32 =
// Int32 days, DateTime = UInt32 seconds, DateTime64(P) = Int64 ticks of 10^-P s);
// String is its byte length as an unsigned LEB128 varint followed by the bytes;
// Nullable(T) is one byte (1 = NULL, then nothing; 0 = a T follows).
//
// Thread-safety: pure functions on the caller's buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::row_binary {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "RowBinary is little-endian");

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

}  // namespace sluice::row_binary
