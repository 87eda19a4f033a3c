// FLOAT16 and INT96 conversions (see values.h).
#include "parquet/values.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace sluice::parquet {

double Float16ToDouble(uint16_t bits) {
  const bool negative = (bits & 0x8000) != 0;
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  double magnitude;
  if (exponent == 0) {
    // Subnormal (or zero): mantissa * 2^-24, exact in a double.
    magnitude = std::ldexp(static_cast<double>(mantissa), -24);
  } else if (exponent == 0x1f) {
    magnitude = mantissa == 0 ? std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::quiet_NaN();
  } else {
    magnitude = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  }
  return negative ? -magnitude : magnitude;
}

std::optional<int64_t> Int96ToMicros(std::string_view bytes) {
  if (bytes.size() != 12) return std::nullopt;
  // The format is little-endian, as is every platform sluice builds on.
  int64_t nanos_of_day;
  int32_t julian_day;
  std::memcpy(&nanos_of_day, bytes.data(), 8);
  std::memcpy(&julian_day, bytes.data() + 8, 4);
  constexpr int64_t kUnixEpochJulianDay = 2440588;
  constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000 * 1000;
  // Floor division, so a negative nanosecond count (Spark writes them, below)
  // still truncates toward the past like positive ones.
  int64_t micros_of_day = nanos_of_day / 1000;
  if (nanos_of_day % 1000 < 0) --micros_of_day;
  // Modulo 2^64, as Spark computes it when writing: for instants whose Julian-epoch
  // microseconds overflow int64 it stores the wrapped day and (negative) nanos,
  // and only wrapping arithmetic gives the instant back (int96_from_spark.md).
  const uint64_t day_micros =
      static_cast<uint64_t>(static_cast<int64_t>(julian_day) - kUnixEpochJulianDay) *
      static_cast<uint64_t>(kMicrosPerDay);
  return static_cast<int64_t>(day_micros + static_cast<uint64_t>(micros_of_day));
}

}  // namespace sluice::parquet
