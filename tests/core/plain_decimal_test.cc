// PlainDecimal and its multiplication (core/plain_decimal.h) against
// std::from_chars, bit for bit, on millions of random and edge decimals; and
// ParseFloat, whose other paths (exponents, subnormals, long digit strings) are
// from_chars itself, on the same kinds of text.
#include "core/plain_decimal.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "core/cell_parse.h"

namespace sluice {
namespace {

double FromChars(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  EXPECT_TRUE(ec == std::errc() && ptr == text.data() + text.size()) << text;
  return v;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// ParseFloat on `text` gives from_chars' double; and PlainDecimal, when it takes
// the text, gives it too. Returns whether PlainDecimal took it.
bool ExpectLikeFromChars(const std::string& text) {
  const double expected = FromChars(text);
  double v = -1;
  EXPECT_EQ(ParseFloat(text, &v), ParseResult::kOk) << text;
  EXPECT_TRUE(SameBits(v, expected)) << text << ": " << v << " != " << expected;
  double fast = -1;
  const bool took = PlainDecimal(text, &fast);
  if (took) {
    EXPECT_TRUE(SameBits(fast, expected)) << text;
  }
  return took;
}

// "m" with a point before its last k digits (zero-padded), as a decimal text.
std::string Decimal(uint64_t m, unsigned k) {
  std::string digits = std::to_string(m);
  if (k == 0) return digits;
  const std::string padded =
      std::string(digits.size() <= k ? k + 1 - digits.size() : 0, '0') + digits;
  return padded.substr(0, padded.size() - k) + "." + padded.substr(padded.size() - k);
}

TEST(ParseFloatTest, PlainDecimalsReadExactlyAsFromChars) {
  std::mt19937_64 random(17);
  for (int i = 0; i < 200000; ++i) {
    // 1 to 17 digits with the point anywhere (or nowhere), some signed: both
    // sides of the 15-digit fast-path limit.
    const int digits = 1 + static_cast<int>(random() % 17);
    std::string text;
    if (random() % 4 == 0) text += random() % 2 ? '-' : '+';
    const int point = static_cast<int>(random() % (digits + 2)) - 1;
    for (int d = 0; d < digits; ++d) {
      if (d == point) text += '.';
      text += static_cast<char>('0' + random() % 10);
    }
    if (point == digits) text += '.';
    double v = 0;
    ASSERT_EQ(ParseFloat(text, &v), ParseResult::kOk) << text;
    const double expected = FromChars(text);
    ASSERT_EQ(std::memcmp(&v, &expected, sizeof v), 0) << text;  // same bits, -0 too
  }
}

TEST(ParseFloatTest, FastPathEdges) {
  double v = 0;
  for (std::string_view text : {"0",
                                "-0",
                                "-0.0",
                                "0.",
                                "5.",
                                ".5",
                                "-.5",
                                "999999999999999",
                                "999999999999999.",
                                "9999999999999999",
                                "0.000000000000001",
                                ".000000000000001",
                                "0.1",
                                "0.2",
                                "0.3",
                                "1.7976931348623157",
                                "4503599627370497",
                                "9007199254740993",
                                "123456789.123456",
                                "000000000000000000001.5",
                                "1.100000000000000000000000000000000000001"}) {
    ASSERT_EQ(ParseFloat(text, &v), ParseResult::kOk) << text;
    const double expected = FromChars(text);
    EXPECT_EQ(std::memcmp(&v, &expected, sizeof v), 0) << text;
  }
  for (std::string_view bad : {"1..5", ".", "-.", "1.-5", "1.5-", "1 .5", "12345678901234.x"}) {
    EXPECT_EQ(ParseFloat(bad, &v), ParseResult::kInvalid) << bad;
  }
}

TEST(PlainDecimalTest, InversePowersOfFiveAreNormalisedTruncations) {
  for (unsigned k = 1; k <= plain_decimal::kMaxDigits; ++k) {
    const uint64_t t = plain_decimal::kInversePowersOfFive.inverse[k];
    const int b = plain_decimal::kInversePowersOfFive.bits[k];
    EXPECT_GE(t, uint64_t{1} << 63) << k;
    // t * 5^k <= 2^(63+b) < (t + 1) * 5^k, checked in long double (exact here:
    // 5^k < 2^45 and t < 2^64 make both products fit 128 bits, compared as such).
    plain_decimal::Uint128 power = 1;
    for (unsigned i = 0; i < k; ++i) power *= 5;
    const plain_decimal::Uint128 bound = plain_decimal::Uint128{1} << (63 + b);
    EXPECT_LT(t * power, bound) << k;
    EXPECT_GT((t + plain_decimal::Uint128{1}) * power, bound) << k;
    EXPECT_LT(power, plain_decimal::Uint128{1} << b);
    EXPECT_GE(power, plain_decimal::Uint128{1} << (b - 1));
  }
}

TEST(PlainDecimalTest, RandomDigitStringsReadAsFromChars) {
  std::mt19937_64 random(42);
  int taken = 0;
  const int kCases = 2'000'000;
  for (int i = 0; i < kCases; ++i) {
    // 1 to 21 digits (both sides of the 19-digit limit), the point anywhere or
    // nowhere, some signed, some with leading zeros.
    const int digits = 1 + static_cast<int>(random() % 21);
    std::string text;
    if (random() % 4 == 0) text += random() % 2 ? '-' : '+';
    const int point = static_cast<int>(random() % (digits + 2)) - 1;
    const bool leading_zeros = random() % 8 == 0;
    for (int d = 0; d < digits; ++d) {
      if (d == point) text += '.';
      text += leading_zeros && d < digits / 2 ? '0' : static_cast<char>('0' + random() % 10);
    }
    if (point == digits) text += '.';
    if (ExpectLikeFromChars(text)) ++taken;
    if (HasFailure()) return;
  }
  EXPECT_GT(taken, kCases / 2);  // the fast path is exercised, not bypassed
}

TEST(PlainDecimalTest, EveryFractionLengthOfEdgeMantissas) {
  std::vector<uint64_t> mantissas = {1,
                                     9,
                                     10,
                                     99,
                                     5,
                                     25,
                                     125,
                                     9999999999999999999ull,
                                     10000000000000000000ull - 1,
                                     1000000000000000000ull};
  for (int j = 0; j < 64; ++j) {
    const uint64_t p = uint64_t{1} << j;
    mantissas.insert(mantissas.end(), {p, p - 1, p + 1});
  }
  for (uint64_t p = 1, j = 0; j < 28; ++j, p *= 5)
    mantissas.insert(mantissas.end(), {p, p + 1, p - 1});
  for (uint64_t p = 1, j = 0; j < 20; ++j, p *= 10)
    mantissas.insert(mantissas.end(), {p, p - 1, p + 1});
  for (uint64_t m : mantissas) {
    if (m == 0 || m >= 10000000000000000000ull) continue;
    for (unsigned k = 0; k <= 21; ++k) {
      ExpectLikeFromChars(Decimal(m, k));
      std::string negative = Decimal(m, k);
      negative.insert(negative.begin(), '-');
      ExpectLikeFromChars(negative);
    }
  }
}

// The product alone, on mantissas of every size (ParseFloat takes it only from
// 2^53 on): whenever it decides, it decides as from_chars; it rarely refuses.
TEST(PlainDecimalTest, ProductMatchesFromCharsForEveryMantissaSize) {
  std::mt19937_64 random(5);
  int refused = 0;
  const int kCases = 2'000'000;
  for (int i = 0; i < kCases; ++i) {
    const uint64_t m = random() >> (random() % 64);
    if (m == 0 || m >= 10000000000000000000ull) continue;
    const unsigned k = 1 + static_cast<unsigned>(random() % plain_decimal::kMaxDigits);
    const std::string text = Decimal(m, k);
    double v = 0;
    if (!plain_decimal::DecimalFraction(m, k, &v)) {
      ++refused;
      continue;
    }
    const double expected = FromChars(text);
    ASSERT_TRUE(SameBits(v, expected)) << text << ": " << v << " != " << expected;
  }
  EXPECT_LT(refused, kCases / 100);
}

// Decimals of 17 to 19 significant digits next to the halfway point between
// two neighbouring doubles: where a product known only to within an interval
// could round the wrong way.
TEST(PlainDecimalTest, NearHalfwayPointsReadAsFromChars) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> exponent(-19, 19);
  int taken = 0;
  for (int i = 0; i < 300'000; ++i) {
    const double d = std::pow(10.0, exponent(random)) * (1 + (random() % 1000) / 1000.0);
    const double next = std::nextafter(d, std::numeric_limits<double>::infinity());
    // The midpoint needs 54 bits: exact in long double's 64.
    const long double mid = (static_cast<long double>(d) + next) / 2;
    const int significant = 17 + static_cast<int>(random() % 3);
    // %.*Le gives the significant digits; rewrite as a plain decimal.
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*Le", significant - 1, mid);
    std::string text = buffer;
    const size_t e = text.find('e');
    const int exp10 = std::stoi(text.substr(e + 1));
    std::string digits = text.substr(0, 1) + text.substr(2, e - 2);
    // Nudge the last digit: below, at and above the printed midpoint.
    for (int nudge = -1; nudge <= 1; ++nudge) {
      std::string nudged = digits;
      if (nudge != 0) {
        char& last = nudged.back();
        if ((nudge < 0 && last == '0') || (nudge > 0 && last == '9')) continue;
        last = static_cast<char>(last + nudge);
      }
      // digits d0 d1 ... with value d0.d1... * 10^exp10.
      std::string plain;
      const int point = exp10 + 1;  // digits before the point
      if (point <= 0) {
        plain = "0." + std::string(-point, '0') + nudged;
      } else if (point >= static_cast<int>(nudged.size())) {
        plain = nudged + std::string(point - nudged.size(), '0');
      } else {
        plain = nudged.substr(0, point) + "." + nudged.substr(point);
      }
      if (ExpectLikeFromChars(plain)) ++taken;
    }
    if (HasFailure()) return;
  }
  EXPECT_GT(taken, 0);
}

// Shortest and 17-digit texts of random doubles in the fast path's range.
TEST(PlainDecimalTest, PrintedDoublesReadBack) {
  std::mt19937_64 random(3);
  std::uniform_real_distribution<double> exponent(-12, 15);
  for (int i = 0; i < 500'000; ++i) {
    const double d = std::pow(10.0, exponent(random)) * (1 + (random() % 100000) / 100000.0);
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::fixed);
    ASSERT_TRUE(ec == std::errc());
    ExpectLikeFromChars(std::string(buffer, end));
    std::snprintf(buffer, sizeof buffer, "%.17g", d);
    const std::string g = buffer;
    if (g.find('e') == std::string::npos) ExpectLikeFromChars(g);
    if (HasFailure()) return;
  }
}

TEST(PlainDecimalTest, RefusesWhatItDoesNotRead) {
  double v = 123;
  for (std::string_view text :
       {"", "+", "-", ".", "1e5", "1.5E-3", "12345678901234567890", "1234567890.1234567890",
        "00000000000000000000.1", "1.2.3", "1x", "inf", "nan", "0x10", " 1", "1 "}) {
    EXPECT_FALSE(PlainDecimal(text, &v)) << text;
    EXPECT_EQ(v, 123) << text;
  }
}

// Exponents, subnormals, ties and overlong digit strings: ParseFloat's other
// path, beside the fast one.
TEST(PlainDecimalTest, ParseFloatOtherPathsReadAsFromChars) {
  for (const char* text : {"4.9e-324",
                           "5e-324",
                           "2.4703282292062328e-324",
                           "2.2250738585072011e-308",
                           "2.2250738585072014e-308",
                           "1.7976931348623157e308",
                           "9007199254740993",
                           "9007199254740992.5",
                           "9007199254740993.0000000000001",
                           "18446744073709551615",
                           "18446744073709551616.5",
                           "0.1000000000000000055511151231257827",
                           "0.30000000000000004440892098500626",
                           "123456789012345678901234567890",
                           "1e22",
                           "1e23",
                           "8.98846567431158e307",
                           "1.5e-3",
                           "-2E+10",
                           ".5e1",
                           "0.000000000000000000001",
                           "9999999999999999999.5",
                           "4503599627370496.5",
                           "4503599627370497.5"}) {
    ExpectLikeFromChars(text);
  }
  std::mt19937_64 random(11);
  for (int i = 0; i < 300'000; ++i) {
    // Random doubles of every magnitude, subnormals included, in exponent form.
    const double d = std::bit_cast<double>(random() & ~(uint64_t{1} << 63));
    if (!std::isfinite(d) || d == 0) continue;
    char buffer[64];
    auto [end, ec] =
        std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific);
    ASSERT_TRUE(ec == std::errc());
    ExpectLikeFromChars(std::string(buffer, end));
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace sluice
