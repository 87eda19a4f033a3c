// Conversions of Parquet physical values that need care: FLOAT16 (IEEE 754
// binary16) to double, and legacy INT96 timestamps to microseconds.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::parquet {

// The binary16 value of `bits` (little-endian FIXED_LEN_BYTE_ARRAY(2) read as an
// integer) as a double, exactly: subnormals, signed zeros, infinities and NaN
// (sign kept) included.
double Float16ToDouble(uint16_t bits);

// An INT96 timestamp (12 bytes: nanoseconds of the day as little-endian int64,
// then the Julian day number as little-endian int32) as microseconds since
// 1970-01-01T00:00:00 UTC, nanoseconds truncated toward negative infinity. The
// arithmetic wraps modulo 2^64 as Spark's writer does, so every instant Spark
// stores (even those whose Julian-epoch nanoseconds overflow) reads back exactly.
// std::nullopt when `bytes` is not 12 bytes long.
std::optional<int64_t> Int96ToMicros(std::string_view bytes);

}  // namespace sluice::parquet
