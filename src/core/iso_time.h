// ISO 8601 text for dates and timestamps, as the SQLite sink stores them, the MySQL
// sink writes them into LOAD DATA (years 0001..9999) and the expression language
// casts them to string:
// proleptic Gregorian calendar, UTC, "YYYY-MM-DD" and
// "YYYY-MM-DD HH:MM:SS[.ffffff]" (the fraction only when it is not zero). That is
// SQLite's own form (what datetime() returns, read as UTC by its date functions),
// and without a zone suffix the text sorts in time order even when only some
// values have a fraction.
// Years outside 0000..9999 get a sign and at least four digits ("-0001",
// "+10000"), the ISO 8601 expanded form.
//
// Integer arithmetic only (no locale, no gmtime), because it runs once per cell
// on the load path; correct for every int64 input, including before 1970.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sluice {

// A proleptic Gregorian calendar date.
struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// The calendar date `days` after 1970-01-01; correct for every int64.
CivilDate CivilFromDays(int64_t days);

// Size of an output buffer that holds any date or timestamp text.
inline constexpr size_t kIsoTextCapacity = 32;

// Writes the date `days` after 1970-01-01 to `out` (kIsoTextCapacity bytes, not
// NUL-terminated). Returns the number of bytes written.
size_t FormatIsoDate(int64_t days, char* out);

// Writes the instant `micros` microseconds after 1970-01-01T00:00:00Z to `out`
// (kIsoTextCapacity bytes, not NUL-terminated). Returns the number of bytes written.
size_t FormatIsoTimestamp(int64_t micros, char* out);

}  // namespace sluice
