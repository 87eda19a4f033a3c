#include "core/cell_parse.h"

#include <charconv>
#include <cstring>
#include <ctime>
#include <system_error>

namespace sluice {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (LowerAscii(text[i]) != lower[i]) return false;
  }
  return true;
}

// Reads exactly `N` digits at `p`; false if any is not a digit. A template so
// that the loop unrolls: dates and timestamps are read digit pair by digit pair.
template <int N>
bool Digits(const char* p, int* value) {
  int v = 0;
  for (int i = 0; i < N; ++i) {
    if (!IsDigit(p[i])) return false;
    v = v * 10 + (p[i] - '0');
  }
  *value = v;
  return true;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Parses the zone suffix of a timestamp: "", "Z", "±HH", "±HH:MM" or "±HHMM".
bool ParseZone(std::string_view zone, int* offset_seconds) {
  *offset_seconds = 0;
  if (zone.empty()) return true;
  if (zone.size() == 1) return zone[0] == 'Z' || zone[0] == 'z';
  if (zone[0] != '+' && zone[0] != '-') return false;
  int hours = 0;
  int minutes = 0;
  const char* p = zone.data() + 1;
  switch (zone.size()) {
    case 3:  // ±HH
      if (!Digits<2>(p, &hours)) return false;
      break;
    case 5:  // ±HHMM
      if (!Digits<2>(p, &hours) || !Digits<2>(p + 2, &minutes)) return false;
      break;
    case 6:  // ±HH:MM
      if (!Digits<2>(p, &hours) || p[2] != ':' || !Digits<2>(p + 3, &minutes)) return false;
      break;
    default:
      return false;
  }
  if (hours > 23 || minutes > 59) return false;
  *offset_seconds = (hours * 3600 + minutes * 60) * (zone[0] == '-' ? -1 : 1);
  return true;
}

// strptime needs a NUL-terminated string; the copy stays on the stack.
bool Strptime(std::string_view text, const char* format, std::tm* tm) {
  char buffer[128];
  if (text.size() >= sizeof(buffer)) return false;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  *tm = std::tm{};
  tm->tm_mday = 1;
  const char* end = strptime(buffer, format, tm);
  return end == buffer + text.size();
}

bool CivilFromTm(const std::tm& tm, int64_t* days) {
  const int year = tm.tm_year + 1900;
  const int month = tm.tm_mon + 1;
  if (!IsValidDate(year, month, tm.tm_mday)) return false;
  *days = DaysFromCivil(year, month, tm.tm_mday);
  return true;
}

}  // namespace

ParseResult ParseInteger(std::string_view text, int64_t* value) {
  const bool has_sign = !text.empty() && (text[0] == '+' || text[0] == '-');
  if (text.size() <= (has_sign ? 1u : 0u) || !IsDigit(text[has_sign ? 1 : 0])) {
    return ParseResult::kInvalid;
  }
  // Fast path: up to 18 digits cannot overflow uint64 nor, negated, int64.
  const size_t digits = text.size() - (has_sign ? 1 : 0);
  if (digits <= 18) {
    uint64_t v = 0;
    for (size_t i = has_sign ? 1 : 0; i < text.size(); ++i) {
      const unsigned d = static_cast<unsigned char>(text[i] - '0');
      if (d > 9) return ParseResult::kInvalid;
      v = v * 10 + d;
    }
    const int64_t magnitude = static_cast<int64_t>(v);
    *value = text[0] == '-' ? -magnitude : magnitude;
    return ParseResult::kOk;
  }
  // from_chars takes '-' but not '+'.
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *value);
  if (ptr != end) return ParseResult::kInvalid;
  if (ec == std::errc::result_out_of_range) return ParseResult::kOutOfRange;
  return ec == std::errc() ? ParseResult::kOk : ParseResult::kInvalid;
}

ParseResult ParseFloatChars(std::string_view text, double* value) {
  const bool has_sign = !text.empty() && (text[0] == '+' || text[0] == '-');
  const size_t number_at = has_sign ? 1 : 0;
  // Requiring a digit or '.' first rules out "inf", "nan" and a second sign;
  // chars_format::general already refuses the "0x" prefix (it stops at the 'x').
  if (text.size() <= number_at || !(IsDigit(text[number_at]) || text[number_at] == '.')) {
    return ParseResult::kInvalid;
  }
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *value, std::chars_format::general);
  if (ptr != end) return ParseResult::kInvalid;
  if (ec == std::errc::result_out_of_range) return ParseResult::kOutOfRange;
  return ec == std::errc() ? ParseResult::kOk : ParseResult::kInvalid;
}

std::string FormatFloat(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

bool ParseBoolean(std::string_view text, bool* value) {
  switch (text.size()) {
    case 1:
      switch (LowerAscii(text[0])) {
        case 't':
        case 'y':
        case '1':
          *value = true;
          return true;
        case 'f':
        case 'n':
        case '0':
          *value = false;
          return true;
        default:
          return false;
      }
    case 2:
      if (EqualsLower(text, "no")) {
        *value = false;
        return true;
      }
      return false;
    case 3:
      if (EqualsLower(text, "yes")) {
        *value = true;
        return true;
      }
      return false;
    case 4:
      if (EqualsLower(text, "true")) {
        *value = true;
        return true;
      }
      return false;
    case 5:
      if (EqualsLower(text, "false")) {
        *value = false;
        return true;
      }
      return false;
    default:
      return false;
  }
}

bool HasLeadingZero(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  return text.size() >= 2 && text[0] == '0' && IsDigit(text[1]);
}

// Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar,
// independent of time zone and locale.
int64_t DaysFromCivil(int year, int month, int day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool IsValidDate(int year, int month, int day) {
  return year >= 0 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

bool ParseIsoDate(std::string_view text, int64_t* days) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int year = 0;
  int month = 0;
  int day = 0;
  const char* p = text.data();
  if (!Digits<4>(p, &year) || !Digits<2>(p + 5, &month) || !Digits<2>(p + 8, &day)) return false;
  if (!IsValidDate(year, month, day)) return false;
  *days = DaysFromCivil(year, month, day);
  return true;
}

bool ParseIsoTimestamp(std::string_view text, int64_t* micros) {
  // Shortest form: "YYYY-MM-DDTHH:MM".
  if (text.size() < 16) return false;
  // A column's timestamps mostly share their date with the previous cell's: the
  // last date read on this thread is kept, so that checking the calendar and
  // counting days is done once per date, not once per cell.
  struct LastDate {
    bool valid = false;
    char text[10] = {};
    int64_t days = 0;
  };
  thread_local LastDate last;
  int64_t days = 0;
  if (last.valid && std::memcmp(text.data(), last.text, 10) == 0) {
    days = last.days;
  } else {
    if (!ParseIsoDate(text.substr(0, 10), &days)) return false;
    std::memcpy(last.text, text.data(), 10);
    last.days = days;
    last.valid = true;
  }
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return false;
  int hour = 0;
  int minute = 0;
  int second = 0;
  const char* p = text.data();
  if (!Digits<2>(p + 11, &hour) || p[13] != ':' || !Digits<2>(p + 14, &minute)) return false;
  size_t pos = 16;
  int64_t fraction_micros = 0;
  if (pos < text.size() && text[pos] == ':') {
    if (text.size() < pos + 3 || !Digits<2>(p + pos + 1, &second)) return false;
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < text.size() && IsDigit(text[pos])) {
        if (digits < 6) fraction_micros = fraction_micros * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0 || digits > 9) return false;
      for (int i = digits; i < 6; ++i) fraction_micros *= 10;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  int offset_seconds = 0;
  if (!ParseZone(text.substr(pos), &offset_seconds)) return false;
  const int64_t seconds = hour * 3600 + minute * 60 + second - offset_seconds;
  *micros = days * kMicrosPerDay + seconds * kMicrosPerSecond + fraction_micros;
  return true;
}

bool ParseFormattedDate(std::string_view text, const char* format, int64_t* days) {
  std::tm tm;
  return Strptime(text, format, &tm) && CivilFromTm(tm, days);
}

bool ParseFormattedTimestamp(std::string_view text, const char* format, int64_t* micros) {
  std::tm tm;
  int64_t days = 0;
  if (!Strptime(text, format, &tm) || !CivilFromTm(tm, &days)) return false;
  if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59) return false;
  const int64_t seconds = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec - tm.tm_gmtoff;
  *micros = days * kMicrosPerDay + seconds * kMicrosPerSecond;
  return true;
}

}  // namespace sluice
