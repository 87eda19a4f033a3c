#include "core/iso_time.h"

namespace sluice {
namespace {

constexpr int64_t kDaysPerEra = 146097;  // 400 Gregorian years
constexpr int64_t kMicrosPerDay = 86'400'000'000;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b < 0) --q;
  return q;
}

}  // namespace

// Howard Hinnant's civil_from_days. It counts days from 0000-03-01 (so the leap
// day ends each 400-year era). The shift of 719468 days to that origin is split
// into whole eras plus a remainder, and the day of the era comes from %, not
// days - era * kDaysPerEra, so that nothing overflows at either end of int64.
CivilDate CivilFromDays(int64_t days) {
  int64_t era = FloorDiv(days, kDaysPerEra) + 4;
  int64_t doe = days % kDaysPerEra;
  if (doe < 0) doe += kDaysPerEra;
  doe += 135080;  // 719468 = 4 eras + 135080 days
  if (doe >= kDaysPerEra) {
    doe -= kDaysPerEra;
    ++era;
  }
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

namespace {

char* PutTwo(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

char* PutYear(char* p, int64_t year) {
  if (year >= 0 && year <= 9999) {
    const auto y = static_cast<unsigned>(year);
    p = PutTwo(p, y / 100);
    return PutTwo(p, y % 100);
  }
  *p++ = year < 0 ? '-' : '+';
  uint64_t v = year < 0 ? 0 - static_cast<uint64_t>(year) : static_cast<uint64_t>(year);
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 || n < 4);
  while (n > 0) *p++ = digits[--n];
  return p;
}

char* PutDate(char* p, int64_t days) {
  const CivilDate d = CivilFromDays(days);
  p = PutYear(p, d.year);
  *p++ = '-';
  p = PutTwo(p, d.month);
  *p++ = '-';
  return PutTwo(p, d.day);
}

}  // namespace

size_t FormatIsoDate(int64_t days, char* out) { return PutDate(out, days) - out; }

size_t FormatIsoTimestamp(int64_t micros, char* out) {
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  // From the remainder rather than micros - days * kMicrosPerDay, which overflows
  // near INT64_MIN.
  int64_t of_day = micros % kMicrosPerDay;
  if (of_day < 0) of_day += kMicrosPerDay;
  const auto seconds = static_cast<unsigned>(of_day / 1'000'000);
  auto fraction = static_cast<unsigned>(of_day % 1'000'000);
  char* p = PutDate(out, days);
  *p++ = ' ';
  p = PutTwo(p, seconds / 3600);
  *p++ = ':';
  p = PutTwo(p, seconds / 60 % 60);
  *p++ = ':';
  p = PutTwo(p, seconds % 60);
  if (fraction != 0) {
    *p = '.';
    for (int i = 6; i >= 1; --i) {
      p[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    p += 7;
  }
  return p - out;
}

}  // namespace sluice
