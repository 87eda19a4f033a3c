// The short-cell paths of ParseFloat and ParseInteger (core/cell_parse.h, given
// how far a cell may be read: plain_decimal::ShortDigits reads 8 bytes at a time)
// against the same parsers without it, on every short text over an alphabet of
// digits, points, signs and junk, and on random ones, followed by random bytes:
// the same result and the same bits.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "core/cell_parse.h"
#include "core/plain_decimal.h"

namespace sluice {
namespace {

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// `text` parsed with `trailer` readable after it, and without (readable to its
// end only), agrees with the parsers that read only the text.
void ExpectSame(const std::string& text, const std::string& trailer) {
  const std::string buffer = text + trailer;
  const std::string_view cell(buffer.data(), text.size());
  for (const char* end : {buffer.data() + buffer.size(), buffer.data() + text.size()}) {
    double expected = -1;
    double v = -1;
    const ParseResult want = ParseFloat(cell, &expected);
    ASSERT_EQ(ParseFloat(cell, end, &v), want) << '"' << text << "\" + \"" << trailer << '"';
    if (want == ParseResult::kOk) {
      ASSERT_TRUE(SameBits(v, expected)) << text << ": " << v << " != " << expected;
    }
    int64_t expected_int = -1;
    int64_t i = -1;
    const ParseResult want_int = ParseInteger(cell, &expected_int);
    ASSERT_EQ(ParseInteger(cell, end, &i), want_int) << '"' << text << '"';
    if (want_int == ParseResult::kOk) ASSERT_EQ(i, expected_int) << text;
  }
}

TEST(ShortDigitsTest, EveryShortTextOverAnAlphabet) {
  // Texts of up to 5 characters: every combination of these 13.
  const std::string alphabet = "0159.-+e x/:a";
  const std::string trailers[] = {"",         "9",     "12345678",
                                  ".5.5.5.5", ",ok\n", "\xff\xff\xff\xff\xff\xff\xff\xff"};
  std::string text;
  size_t count = 0;
  for (size_t length = 0; length <= 5; ++length) {
    std::vector<size_t> at(length, 0);
    for (;;) {
      text.clear();
      for (size_t i : at) text += alphabet[i];
      ExpectSame(text, trailers[count++ % std::size(trailers)]);
      size_t i = 0;
      while (i < length && ++at[i] == alphabet.size()) at[i++] = 0;
      if (i == length) break;
    }
  }
  EXPECT_GT(count, 400000u);
}

TEST(ShortDigitsTest, RandomNumbersOfUpToTenCharacters) {
  std::mt19937_64 rng(17);
  const std::string digits = "0123456789";
  for (int n = 0; n < 500000; ++n) {
    std::string text;
    const int sign = static_cast<int>(rng() % 4);
    if (sign == 1) text += '-';
    if (sign == 2) text += '+';
    const size_t length = 1 + rng() % 10;
    const size_t point = rng() % (length + 2);  // sometimes none
    for (size_t i = 0; i < length; ++i) {
      text += i == point ? '.' : digits[rng() % 10];
    }
    if (rng() % 50 == 0) text[rng() % text.size()] = "e.x -"[rng() % 5];
    std::string trailer;
    for (size_t i = rng() % 12; i > 0; --i) trailer += static_cast<char>(rng());
    ExpectSame(text, trailer);
  }
}

TEST(ShortDigitsTest, DecimalsAndFractionLengths) {
  double v = 0;
  uint64_t m = 0;
  unsigned fraction = 9;
  const std::string text = "1010.234,ok";
  ASSERT_TRUE(plain_decimal::ShortDigits(text.data(), 8, true, &m, &fraction));
  EXPECT_EQ(m, 1010234u);
  EXPECT_EQ(fraction, 3u);
  EXPECT_FALSE(plain_decimal::ShortDigits(text.data(), 8, false, &m, &fraction));
  ASSERT_TRUE(plain_decimal::ShortDigits("12345678", 8, false, &m, &fraction));
  EXPECT_EQ(m, 12345678u);
  ASSERT_TRUE(plain_decimal::ShortDigits("5.......", 2, true, &m, &fraction));
  EXPECT_EQ(m, 5u);
  EXPECT_EQ(fraction, 0u);
  EXPECT_FALSE(plain_decimal::ShortDigits(".5555555", 1, true, &m, &fraction));  // no digit
  EXPECT_FALSE(plain_decimal::ShortDigits("1.2.3456", 5, true, &m, &fraction));  // two points
  const std::string cells = "-7.57,29.39,-0.0,+.5";
  const char* end = cells.data() + cells.size();
  ASSERT_EQ(ParseFloat(std::string_view(cells.data(), 5), end, &v), ParseResult::kOk);
  EXPECT_EQ(v, -7.57);
  ASSERT_EQ(ParseFloat(std::string_view(cells.data() + 12, 4), end, &v), ParseResult::kOk);
  EXPECT_TRUE(SameBits(v, -0.0));
}

}  // namespace
}  // namespace sluice
