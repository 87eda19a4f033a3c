#include "core/cell_parse.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace sluice {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

int64_t Days(std::string_view text) {
  int64_t days = 0;
  EXPECT_TRUE(ParseIsoDate(text, &days)) << text;
  return days;
}

bool IsDate(std::string_view text) {
  int64_t days = 0;
  return ParseIsoDate(text, &days);
}

int64_t Micros(std::string_view text) {
  int64_t micros = 0;
  EXPECT_TRUE(ParseIsoTimestamp(text, &micros)) << text;
  return micros;
}

bool IsTimestamp(std::string_view text) {
  int64_t micros = 0;
  return ParseIsoTimestamp(text, &micros);
}

TEST(TrimBlanksTest, RemovesAsciiBlanksOnBothSides) {
  EXPECT_EQ(TrimBlanks(" \t42\r\n"), "42");
  EXPECT_EQ(TrimBlanks("a b"), "a b");
  EXPECT_EQ(TrimBlanks("   "), "");
  EXPECT_EQ(TrimBlanks(""), "");
}

TEST(TrimBlanksTest, KeepsUntrimmedTextAndEmptyText) {
  EXPECT_EQ(TrimBlanks(""), "");
  EXPECT_EQ(TrimBlanks("a"), "a");
  EXPECT_EQ(TrimBlanks("a b"), "a b");
  EXPECT_EQ(TrimBlanks(" "), "");
  EXPECT_EQ(TrimBlanks("\r\n"), "");
  EXPECT_EQ(TrimBlanks("a\t"), "a");
  EXPECT_EQ(TrimBlanks("\va"), "a");
}

TEST(ParseIntegerTest, AcceptsSignedDigitsWithinInt64) {
  int64_t v = 0;
  EXPECT_EQ(ParseInteger("0", &v), ParseResult::kOk);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(ParseInteger("+17", &v), ParseResult::kOk);
  EXPECT_EQ(v, 17);
  EXPECT_EQ(ParseInteger("-42", &v), ParseResult::kOk);
  EXPECT_EQ(v, -42);
  EXPECT_EQ(ParseInteger("007", &v), ParseResult::kOk);
  EXPECT_EQ(v, 7);
  EXPECT_EQ(ParseInteger("9223372036854775807", &v), ParseResult::kOk);
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseInteger("-9223372036854775808", &v), ParseResult::kOk);
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
}

TEST(ParseIntegerTest, RejectsEverythingElse) {
  int64_t v = 0;
  for (std::string_view bad :
       {"", "+", "-", "+-1", "-+1", "1.0", "1e3", "0x10", "12a", " 1", "1 ", "--1", "١٢"}) {
    EXPECT_EQ(ParseInteger(bad, &v), ParseResult::kInvalid) << bad;
  }
}

TEST(ParseIntegerTest, ReportsOverflowAsOutOfRange) {
  int64_t v = 0;
  EXPECT_EQ(ParseInteger("9223372036854775808", &v), ParseResult::kOutOfRange);
  EXPECT_EQ(ParseInteger("-9223372036854775809", &v), ParseResult::kOutOfRange);
  EXPECT_EQ(ParseInteger("123456789012345678901234567890", &v), ParseResult::kOutOfRange);
}

TEST(ParseFloatTest, AcceptsDecimalAndExponentNotation) {
  double v = 0;
  EXPECT_EQ(ParseFloat("1.5", &v), ParseResult::kOk);
  EXPECT_EQ(v, 1.5);
  EXPECT_EQ(ParseFloat("-.5", &v), ParseResult::kOk);
  EXPECT_EQ(v, -0.5);
  EXPECT_EQ(ParseFloat("+2e-3", &v), ParseResult::kOk);
  EXPECT_EQ(v, 0.002);
  EXPECT_EQ(ParseFloat("42", &v), ParseResult::kOk);
  EXPECT_EQ(v, 42.0);
  EXPECT_EQ(ParseFloat("1E10", &v), ParseResult::kOk);
  EXPECT_EQ(v, 1e10);
  EXPECT_EQ(ParseFloat("0.1", &v), ParseResult::kOk);
  EXPECT_EQ(v, 0.1);
}

TEST(ParseFloatTest, RejectsInfinityNanHexAndJunk) {
  double v = 0;
  for (std::string_view bad : {"inf", "-inf", "Infinity", "nan", "NaN", "+nan", "0x1p3", "0x10", "",
                               "+", "-", ".", "1e", "1.5.2", "1,5", "+-1", "e5", "1.0f"}) {
    EXPECT_EQ(ParseFloat(bad, &v), ParseResult::kInvalid) << bad;
  }
}

TEST(ParseFloatTest, ReportsOverflowAsOutOfRange) {
  double v = 0;
  EXPECT_EQ(ParseFloat("1e400", &v), ParseResult::kOutOfRange);
  EXPECT_EQ(ParseFloat("-1e400", &v), ParseResult::kOutOfRange);
  EXPECT_EQ(ParseFloat("1e-400", &v), ParseResult::kOutOfRange);
  EXPECT_EQ(ParseFloat("0e-400", &v), ParseResult::kOk);
}

TEST(ParseIntegerTest, FastPathAgreesAtEveryLength) {
  int64_t v = 0;
  // 18 digits take the fast path, 19 do not: both sides, with signs.
  for (std::string_view text :
       {"999999999999999999", "-999999999999999999", "+000000000000000001", "1000000000000000000",
        "-1000000000000000000", "0000000000000000000007"}) {
    ASSERT_EQ(ParseInteger(text, &v), ParseResult::kOk) << text;
    int64_t expected = 0;
    std::string_view digits = text[0] == '+' ? text.substr(1) : text;
    std::from_chars(digits.data(), digits.data() + digits.size(), expected);
    EXPECT_EQ(v, expected) << text;
  }
  for (std::string_view bad :
       {"12345678901234567x", "1-", "-1-", "12 3", "+12345678901234567.", "1234567890123456789x"}) {
    EXPECT_EQ(ParseInteger(bad, &v), ParseResult::kInvalid) << bad;
  }
}

TEST(FormatFloatTest, ShortestTextReadsBackExactly) {
  EXPECT_EQ(FormatFloat(5), "5");
  EXPECT_EQ(FormatFloat(0.1), "0.1");
  EXPECT_EQ(FormatFloat(-2.5), "-2.5");
  for (double v : {0.1, 1.0 / 3, 1e20, -123456.789, 5e-324}) {
    double back = 0;
    ASSERT_EQ(ParseFloat(FormatFloat(v), &back), ParseResult::kOk) << FormatFloat(v);
    EXPECT_EQ(back, v);
  }
}

TEST(ParseBooleanTest, AcceptsWordsLettersAndDigitsInAnyCase) {
  bool v = false;
  for (std::string_view t : {"true", "TRUE", "True", "t", "T", "yes", "YeS", "y", "Y", "1"}) {
    v = false;
    EXPECT_TRUE(ParseBoolean(t, &v)) << t;
    EXPECT_TRUE(v) << t;
  }
  for (std::string_view f : {"false", "FALSE", "f", "F", "no", "NO", "n", "N", "0"}) {
    v = true;
    EXPECT_TRUE(ParseBoolean(f, &v)) << f;
    EXPECT_FALSE(v) << f;
  }
  for (std::string_view bad : {"", "2", "on", "off", "tru", "yess", "nope", "-1", "truex"}) {
    EXPECT_FALSE(ParseBoolean(bad, &v)) << bad;
  }
}

TEST(HasLeadingZeroTest, FlagsOnlySuperfluousZeros) {
  EXPECT_TRUE(HasLeadingZero("007"));
  EXPECT_TRUE(HasLeadingZero("-01.5"));
  EXPECT_TRUE(HasLeadingZero("+00"));
  EXPECT_FALSE(HasLeadingZero("0"));
  EXPECT_FALSE(HasLeadingZero("-0"));
  EXPECT_FALSE(HasLeadingZero("0.5"));
  EXPECT_FALSE(HasLeadingZero("10"));
  EXPECT_FALSE(HasLeadingZero(""));
}

TEST(ParseIsoDateTest, ConvertsToDaysSinceEpoch) {
  EXPECT_EQ(Days("1970-01-01"), 0);
  EXPECT_EQ(Days("1969-12-31"), -1);
  EXPECT_EQ(Days("2024-02-29"), 19782);
  EXPECT_EQ(Days("2000-02-29"), 11016);
  EXPECT_EQ(Days("1900-03-01"), -25508);
  EXPECT_EQ(Days("0001-01-01"), -719162);
  EXPECT_EQ(Days("9999-12-31"), 2932896);
}

TEST(ParseIsoDateTest, ValidatesCalendar) {
  EXPECT_FALSE(IsDate("2023-02-29"));  // not a leap year
  EXPECT_FALSE(IsDate("1900-02-29"));  // divisible by 100, not by 400
  EXPECT_FALSE(IsDate("2100-02-29"));
  EXPECT_TRUE(IsDate("2000-02-29"));  // divisible by 400
  EXPECT_FALSE(IsDate("2024-04-31"));
  EXPECT_FALSE(IsDate("2024-13-01"));
  EXPECT_FALSE(IsDate("2024-00-10"));
  EXPECT_FALSE(IsDate("2024-01-00"));
  EXPECT_FALSE(IsDate("2024-1-01"));
  EXPECT_FALSE(IsDate("2024/01/01"));
  EXPECT_FALSE(IsDate("20240101"));
  EXPECT_FALSE(IsDate("2024-01-01T00:00"));
  EXPECT_FALSE(IsDate("-024-01-01"));
}

TEST(ParseIsoTimestampTest, ConvertsToUtcMicroseconds) {
  EXPECT_EQ(Micros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Micros("1970-01-01 00:00"), 0);
  EXPECT_EQ(Micros("1969-12-31T23:59:59"), -1'000'000);
  EXPECT_EQ(Micros("2024-02-29T12:34:56.789012Z"), 1709210096789012);
  EXPECT_EQ(Micros("2024-02-29t12:34:56.789012z"), 1709210096789012);
  EXPECT_EQ(Micros("2024-05-01T09:30"), 1714555800000000);
}

TEST(ParseIsoTimestampTest, AppliesZoneOffsets) {
  const int64_t utc = 1709210096789012;  // 2024-02-29T12:34:56.789012Z
  const int64_t two_hours = 2 * 3600 * 1'000'000LL;
  EXPECT_EQ(Micros("2024-02-29T14:34:56.789012+02:00"), utc);
  EXPECT_EQ(Micros("2024-02-29T14:34:56.789012+0200"), utc);
  EXPECT_EQ(Micros("2024-02-29T14:34:56.789012+02"), utc);
  EXPECT_EQ(Micros("2024-02-29T10:34:56.789012-02:00"), utc);
  EXPECT_EQ(Micros("2024-02-29T12:34:56.789012+00:00"), utc);
  EXPECT_EQ(Micros("2024-02-29T12:34:56.789012-00:00"), utc);
  EXPECT_EQ(Micros("2024-02-29T12:34:56.789012+02:00") + two_hours, utc);
  // 09:30 at UTC-04:30 is 14:00 UTC.
  EXPECT_EQ(Micros("2024-05-01T09:30-04:30"), 1714572000000000);
  // An offset can move the instant into another day.
  EXPECT_EQ(Micros("2024-01-01T01:00+02:00"), Micros("2023-12-31T23:00Z"));
}

TEST(ParseIsoTimestampTest, KeepsFractionToMicroseconds) {
  const int64_t base = Micros("2024-01-01T00:00:00");
  EXPECT_EQ(Micros("2024-01-01T00:00:00.5"), base + 500'000);
  EXPECT_EQ(Micros("2024-01-01T00:00:00.000001"), base + 1);
  EXPECT_EQ(Micros("2024-01-01T00:00:00.123456789"), base + 123'456);  // truncated
  EXPECT_EQ(Micros("2024-01-01T00:00:00.999999999Z"), base + 999'999);
  EXPECT_FALSE(IsTimestamp("2024-01-01T00:00:00.1234567891"));  // 10 digits
  EXPECT_FALSE(IsTimestamp("2024-01-01T00:00:00."));
  EXPECT_FALSE(IsTimestamp("2024-01-01T00:00.5"));  // fraction needs seconds
}

TEST(ParseIsoTimestampTest, LeapDaysAndCenturies) {
  EXPECT_EQ(Micros("2024-02-29T00:00:00Z") + kMicrosPerDay, Micros("2024-03-01T00:00:00Z"));
  EXPECT_EQ(Micros("2000-02-29T00:00Z") / kMicrosPerDay, 11016);
  EXPECT_FALSE(IsTimestamp("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(IsTimestamp("1900-02-29T00:00:00Z"));
  EXPECT_FALSE(IsTimestamp("2100-02-29T00:00:00Z"));
  EXPECT_EQ(Micros("1900-03-01T00:00:00Z") / kMicrosPerDay, -25508);
}

TEST(ParseIsoTimestampTest, RejectsOutOfRangeFieldsAndJunk) {
  for (std::string_view bad : {
           "2024-01-01T24:00:00",     // 24:00 is not a time of day here
           "2024-01-01T23:60",        //
           "2024-01-01T23:59:60",     // leap seconds are not representable
           "2024-01-01T12:00+24:00",  //
           "2024-01-01T12:00+02:60",  //
           "2024-01-01T12:00+2",      //
           "2024-01-01T12:00+02:0",   //
           "2024-01-01T12:00 Z",      //
           "2024-01-01T12:00ZZ",      //
           "2024-01-01T12",           //
           "2024-01-01T1:00",         //
           "2024-01-01X12:00",        //
           "2024-01-01",              // a date is not a timestamp
           "2024-01-01T12:00:0",      //
           "2024-01-01T12:00:00 ",    // callers trim first
           "",
       }) {
    EXPECT_FALSE(IsTimestamp(bad)) << bad;
  }
}

// ParseIsoTimestamp keeps the last date it read: a repeated date, a changed
// one and an invalid one after a valid one must each be read as they are.
TEST(ParseIsoTimestampTest, RepeatedAndChangingDates) {
  EXPECT_EQ(Micros("2024-02-29T00:00:01Z"), Micros("2024-02-29T00:00:00Z") + 1'000'000);
  EXPECT_EQ(Micros("2024-02-29T00:00:00Z"), Micros("2024-03-01T00:00:00Z") - kMicrosPerDay);
  EXPECT_EQ(Micros("2024-02-29 12:00"), Micros("2024-02-29T00:00") + kMicrosPerDay / 2);
  EXPECT_FALSE(IsTimestamp("2024-02-29T25:00:00"));  // the date is known, the hour is not
  EXPECT_FALSE(IsTimestamp("2023-02-29T00:00:00"));
  EXPECT_FALSE(IsTimestamp("2023-02-29T00:00:00"));  // still invalid when asked again
  EXPECT_FALSE(IsTimestamp(std::string(16, '\0')));
  EXPECT_FALSE(IsTimestamp(std::string("\0\0\0\0\0\0\0\0\0\0T00:00", 16)));
  EXPECT_EQ(Micros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Micros("1970-01-01T00:00:00.5Z"), 500'000);
}

TEST(ParseFormattedTest, DatesFollowTheFormat) {
  int64_t days = 0;
  ASSERT_TRUE(ParseFormattedDate("29/02/2024", "%d/%m/%Y", &days));
  EXPECT_EQ(days, 19782);
  EXPECT_FALSE(ParseFormattedDate("30/02/2024", "%d/%m/%Y", &days));  // strptime allows it
  EXPECT_FALSE(ParseFormattedDate("29/02/2024x", "%d/%m/%Y", &days));
  EXPECT_FALSE(ParseFormattedDate("2024-02-29", "%d/%m/%Y", &days));
  ASSERT_TRUE(ParseFormattedDate("2024-03", "%Y-%m", &days));  // day defaults to the 1st
  EXPECT_EQ(days, 19783);
  EXPECT_FALSE(ParseFormattedDate(std::string(200, '1'), "%Y", &days));
}

TEST(ParseFormattedTest, TimestampsHonourZone) {
  int64_t micros = 0;
  ASSERT_TRUE(ParseFormattedTimestamp("15/01/2024 08:00", "%d/%m/%Y %H:%M", &micros));
  EXPECT_EQ(micros, 1705305600000000);
  ASSERT_TRUE(ParseFormattedTimestamp("15/01/2024 08:00 +0200", "%d/%m/%Y %H:%M %z", &micros));
  EXPECT_EQ(micros, 1705298400000000);
  EXPECT_FALSE(ParseFormattedTimestamp("15/01/2024", "%d/%m/%Y %H:%M", &micros));
}

}  // namespace
}  // namespace sluice
