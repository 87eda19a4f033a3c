// Cell parsers: text → typed value for one cell, shared by the validator and
// type inference (so that an inferred schema accepts the sample it came from) and
// by the expression language's casts from string (so that cast agrees with loading).
//
// They run on every cell of every file, so none of them allocates: plain
// decimals and short integers are read by hand (core/plain_decimal.h), other
// numbers by std::from_chars, ISO 8601 dates and timestamps are parsed by
// hand, and only a column's declared strptime format uses the C library (on a
// stack copy of the cell). Inputs are expected to be trimmed already (TrimBlanks).
//
// Thread-safety: pure functions (ParseIsoTimestamp keeps a per-thread cache).
#pragma once

#include <cfloat>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/plain_decimal.h"

namespace sluice {

enum class ParseResult {
  kOk,
  kInvalid,     // not of the type at all
  kOutOfRange,  // of the right shape but too large for the type
};

// `text` without leading and trailing ASCII blanks (space, \t, \r, \n, \v, \f).
// Inline: it runs on every non-string cell, usually to remove nothing.
[[gnu::always_inline]] inline std::string_view TrimBlanks(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  if (text.empty() || (!blank(text.front()) && !blank(text.back()))) return text;
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && blank(text[begin])) ++begin;
  while (end > begin && blank(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

// Optional '+' or '-', then one or more ASCII digits, fitting int64.
ParseResult ParseInteger(std::string_view text, int64_t* value);

// ParseInteger for a cell whose bytes may be read up to `readable_end` (past the
// cell's own end): a short cell (up to 8 digits) is then read eight bytes at a
// time (plain_decimal::ShortDigits). The same result as ParseInteger.
[[gnu::always_inline]] inline ParseResult ParseInteger(std::string_view text,
                                                       const char* readable_end, int64_t* value) {
  const char* p = text.data();
  size_t n = text.size();
  const bool sign = n > 0 && (p[0] == '-' || p[0] == '+');
  if (sign) {
    ++p;
    --n;
  }
  if (n - 1 < 8 && readable_end - p >= 8) {
    uint64_t m = 0;
    unsigned fraction = 0;
    // Eight digits or fewer are neither out of range nor anything but digits.
    if (!plain_decimal::ShortDigits(p, static_cast<unsigned>(n), false, &m, &fraction)) {
      return ParseResult::kInvalid;
    }
    const int64_t magnitude = static_cast<int64_t>(m);
    *value = sign && text[0] == '-' ? -magnitude : magnitude;
    return ParseResult::kOk;
  }
  return ParseInteger(text, value);
}

// Decimal or exponent notation with an optional sign ("1.5", "-.5", "2e-3").
// Infinity, NaN and hexadecimal floats are invalid; magnitudes beyond double, and
// nonzero values so small that they would read as zero, are out of range.
// Inline, for the fast path of plain decimals (core/plain_decimal.h), the usual cell.
ParseResult ParseFloat(std::string_view text, double* value);
// ParseFloat without that fast path: from_chars.
ParseResult ParseFloatChars(std::string_view text, double* value);

inline ParseResult ParseFloat(std::string_view text, double* value) {
  return PlainDecimal(text, value) ? ParseResult::kOk : ParseFloatChars(text, value);
}
// ParseFloat for a cell whose bytes may be read up to `readable_end` (see
// PlainDecimal's overload): the same result.
[[gnu::always_inline]] inline ParseResult ParseFloat(std::string_view text,
                                                     const char* readable_end, double* value) {
  return PlainDecimal(text, readable_end, value) ? ParseResult::kOk : ParseFloatChars(text, value);
}
// The shortest text that ParseFloat reads back as exactly `value` ("5", "0.1",
// "1e+20"); requires a finite value.
std::string FormatFloat(double value);

// true/false, t/f, yes/no, y/n (any case) and 1/0.
bool ParseBoolean(std::string_view text, bool* value);

// True when `text` is a number whose integer part has a superfluous leading zero
// ("007", "-01.5"): such values are identifiers (zip codes, account numbers), and
// inference keeps them as strings.
bool HasLeadingZero(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date; requires a valid date.
int64_t DaysFromCivil(int year, int month, int day);
// True for a valid Gregorian calendar date (year 0..9999).
bool IsValidDate(int year, int month, int day);

// "YYYY-MM-DD" → days since 1970-01-01. False for anything else, including
// impossible dates (2023-02-29).
bool ParseIsoDate(std::string_view text, int64_t* days);

// "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]|±HHMM]" → microseconds since
// 1970-01-01T00:00:00Z. No zone means UTC. The fraction has 1 to 9 digits and is
// truncated to microseconds. Hours are 00-23 (24:00 is rejected), seconds 00-59.
bool ParseIsoTimestamp(std::string_view text, int64_t* micros);

// Parses `text` with strptime(`format`), which must consume all of it. Fields the
// format lacks default to the first day of the month, midnight, UTC; %z is honoured.
// Cells longer than 127 bytes are rejected.
bool ParseFormattedDate(std::string_view text, const char* format, int64_t* days);
bool ParseFormattedTimestamp(std::string_view text, const char* format, int64_t* micros);

}  // namespace sluice
