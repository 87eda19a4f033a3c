// The short-cell paths of ParseFloat and ParseInteger (core/cell_parse.h, given
// how far a cell may be read: plain_decimal::ShortDigits reads 8 bytes at a time)
// against the same parsers without it, on every short text over an alphabet of
// digits, points, signs and junk, and on random ones, followed by random bytes:
// the same result and the same bits. And ParseIsoTimestamp's time of day (one
// 8-byte word) against the grammar.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
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

// ParseIsoTimestamp's time of day, read as one word, against a parser written
// from the grammar character by character: HH:MM[:SS[.f{1,9}]] then "", Z, z,
// ±HH, ±HHMM or ±HH:MM.
std::optional<int64_t> ReferenceTime(std::string_view t) {
  auto digit = [&](size_t i) { return i < t.size() && t[i] >= '0' && t[i] <= '9'; };
  auto two = [&](size_t i) { return (t[i] - '0') * 10 + (t[i + 1] - '0'); };
  if (!digit(0) || !digit(1) || t.size() < 5 || t[2] != ':' || !digit(3) || !digit(4)) {
    return std::nullopt;
  }
  int64_t seconds = two(0) * 3600 + two(3) * 60;
  if (two(0) > 23 || two(3) > 59) return std::nullopt;
  size_t i = 5;
  int64_t micros = 0;
  if (i < t.size() && t[i] == ':') {
    if (!digit(6) || !digit(7) || two(6) > 59) return std::nullopt;
    seconds += two(6);
    i = 8;
    if (i < t.size() && t[i] == '.') {
      size_t n = 0;
      for (++i; digit(i); ++i, ++n) {
        if (n < 6) micros = micros * 10 + (t[i] - '0');
      }
      if (n == 0 || n > 9) return std::nullopt;
      for (; n < 6; ++n) micros *= 10;
    }
  }
  const std::string_view zone = t.substr(i);
  if (zone == "Z" || zone == "z" || zone.empty()) return seconds * 1000000 + micros;
  if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
  const std::string z(zone.substr(1));
  int h = 0;
  int m = 0;
  auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (z.size() == 2 && all_digits(z)) {
    h = std::stoi(z);
  } else if (z.size() == 4 && all_digits(z)) {
    h = std::stoi(z.substr(0, 2));
    m = std::stoi(z.substr(2));
  } else if (z.size() == 5 && z[2] == ':' && all_digits(z.substr(0, 2)) &&
             all_digits(z.substr(3))) {
    h = std::stoi(z.substr(0, 2));
    m = std::stoi(z.substr(3));
  } else {
    return std::nullopt;
  }
  if (h > 23 || m > 59) return std::nullopt;
  const int64_t offset = (h * 3600 + m * 60) * (zone[0] == '-' ? -1 : 1);
  return (seconds - offset) * 1000000 + micros;
}

TEST(ShortDigitsTest, TimestampTimeOfDayAgainstTheGrammar) {
  const std::string date = "2026-03-01T";
  const int64_t day = int64_t{20513} * 86400 * 1000000;  // 2026-03-01
  std::mt19937_64 rng(23);
  const std::string alphabet = "0123456789:.Z+-";
  for (int n = 0; n < 600000; ++n) {
    std::string t;
    if (n % 3 == 0) {
      // Mostly well formed, with one byte changed now and then.
      char buffer[40];
      std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d.%0*d%s", static_cast<int>(rng() % 26),
                    static_cast<int>(rng() % 62), static_cast<int>(rng() % 62),
                    static_cast<int>(1 + rng() % 10), static_cast<int>(rng() % 1000),
                    n % 2 ? "Z" : "+01:30");
      t = buffer;
      if (rng() % 4 == 0) t[rng() % t.size()] = alphabet[rng() % alphabet.size()];
      if (rng() % 4 == 0) t.resize(rng() % (t.size() + 1));
    } else {
      for (size_t i = 3 + rng() % 14; i > 0; --i) t += alphabet[rng() % alphabet.size()];
      t[2] = rng() % 8 ? ':' : t[2];
      if (t.size() > 5) t[5] = rng() % 4 ? ':' : t[5];
    }
    const std::string text = date + t;
    int64_t micros = -1;
    const bool ok = ParseIsoTimestamp(text, &micros);
    const std::optional<int64_t> want = ReferenceTime(t);
    ASSERT_EQ(ok, want.has_value()) << text;
    if (ok) ASSERT_EQ(micros, day + *want) << text;
  }
}

}  // namespace
}  // namespace sluice
