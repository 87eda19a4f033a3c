// Cell parsers: text → typed value for one cell, shared by the validator and
// type inference (so that an inferred schema accepts the sample it came from) and
// by the expression language's casts from string (so that cast agrees with loading).
//
// They run on every cell of every file, so none of them allocates: integers and
// floats go through std::from_chars, ISO 8601 dates and timestamps are parsed by
// hand, and only a column's declared strptime format uses the C library (on a
// stack copy of the cell). Inputs are expected to be trimmed already (TrimBlanks).
//
// Thread-safety: pure functions (ParseIsoTimestamp keeps a per-thread cache).
#pragma once

#include <cfloat>
#include <cstdint>
#include <string>
#include <string_view>

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

// Decimal or exponent notation with an optional sign ("1.5", "-.5", "2e-3").
// Infinity, NaN and hexadecimal floats are invalid; magnitudes beyond double, and
// nonzero values so small that they would read as zero, are out of range.
// Inline, for the fast path of plain decimals (PlainDecimal), the usual cell.
ParseResult ParseFloat(std::string_view text, double* value);
// ParseFloat without that fast path: from_chars.
ParseResult ParseFloatChars(std::string_view text, double* value);

// Clinger's fast path for plain decimals ("29.39", "-7", "+1010.234"): with at
// most 15 significant digits the digits form an integer m < 2^53 and the
// fraction's length k <= 15, so m and 10^k are both exact doubles and one IEEE
// division (correctly rounded) gives exactly the double nearest to m / 10^k,
// the value from_chars gives. False (value untouched) for anything else:
// exponents, more digits, junk. Requires FLT_EVAL_METHOD 0 (no x87 double rounding).
inline bool PlainDecimal(std::string_view text, double* value) {
#if FLT_EVAL_METHOD != 0
  return false;
#endif
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = 0;
  const size_t n = text.size();
  const bool negative = n > 0 && text[0] == '-';
  if (n > 0 && (text[0] == '-' || text[0] == '+')) ++i;
  if (n - i > 16) return false;  // 15 digits and a point at most
  const size_t first = i;
  uint64_t m = 0;
  for (; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(text[i] - '0');
    if (d > 9) break;
    m = m * 10 + d;
  }
  size_t digits = i - first;
  size_t fraction = 0;
  if (i < n && text[i] == '.') {
    for (++i; i < n; ++i) {
      const unsigned d = static_cast<unsigned char>(text[i] - '0');
      if (d > 9) return false;
      m = m * 10 + d;
      ++fraction;
    }
    digits += fraction;
  }
  if (i != n || digits == 0 || digits > 15) return false;
  const double v = static_cast<double>(m) / kPow10[fraction];
  *value = negative ? -v : v;
  return true;
}

inline ParseResult ParseFloat(std::string_view text, double* value) {
  return PlainDecimal(text, value) ? ParseResult::kOk : ParseFloatChars(text, value);
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
