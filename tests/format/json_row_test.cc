// Tests of JsonRowBuilder's fast paths (json_row.h): FormatDouble against
// std::to_chars, the key-position cache against objects whose keys change, and
// the typed values beside the text (TextBatch::SetTypedPerCell).
#include "format/json_row.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cell_parse.h"
#include "read_all.h"

namespace sluice::testing {
namespace {

std::string Formatted(double value) {
  char buf[32];
  return std::string(buf, FormatDouble(value, buf, buf + sizeof buf));
}

std::string ToChars(double value) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

TEST(FormatDoubleTest, EdgesMatchToChars) {
  for (double v : {0.0,
                   -0.0,
                   0.1,
                   -0.1,
                   0.09999999999999999,
                   0.5,
                   1.0,
                   -1.0,
                   10.0,
                   1e6,
                   1e15,
                   999999999999999.0,
                   999999999999999.9,
                   123456789012345.6,
                   0.123456789012345,
                   0.1234567890123456,
                   1.7976931348623157e308,
                   5e-324,
                   1e-7,
                   0.01,
                   0.05,
                   21.5,
                   -20.0,
                   100.25,
                   1e14,
                   1.5e14,
                   3.0e14,
                   0.3,
                   0.7,
                   2.675,
                   1e22,
                   9007199254740993.0,
                   4.35,
                   1.005,
                   99.995,
                   0.99999999999999994,
                   9.999999999999999e14}) {
    EXPECT_EQ(Formatted(v), ToChars(v)) << ToChars(v);
  }
}

TEST(FormatDoubleTest, RandomDecimalsMatchToChars) {
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 200000; ++i) {
    // Decimals as they appear in files: up to 16 digits, 0 to 12 of them after the point.
    int digits = 1 + static_cast<int>(rng() % 16);
    int decimals = static_cast<int>(rng() % 13);
    std::string text = rng() % 2 ? "-" : "";
    for (int d = 0; d < digits; ++d) {
      if (d == digits - decimals) text += d == 0 ? "0." : ".";
      text += static_cast<char>('0' + rng() % 10);
    }
    double v = 0;
    std::from_chars(text.data() + (text[0] == '-'), text.data() + text.size(), v);
    if (text[0] == '-') v = -v;
    ASSERT_EQ(Formatted(v), ToChars(v)) << text;
  }
}

TEST(FormatDoubleTest, RandomBitPatternsMatchToChars) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (!std::isfinite(v)) continue;
    ASSERT_EQ(Formatted(v), ToChars(v)) << bits;
    // Near the fast path's range too: magnitudes 0.1 to 1e15.
    int exponent = 0;
    double scaled =
        std::ldexp(std::fabs(std::frexp(v, &exponent)), static_cast<int>(rng() % 54) - 3);
    ASSERT_EQ(Formatted(scaled), ToChars(scaled)) << bits;
  }
}

TEST(JsonRowTest, KeysChangingOrderMidFileKeepTheirColumns) {
  const std::string lines =
      "{\"a\": 1, \"b\": 2, \"c\": 3}\n"
      "{\"a\": 4, \"b\": 5, \"c\": 6}\n"
      "{\"c\": 7, \"a\": 8, \"b\": 9}\n"                // order changed
      "{\"b\": 10}\n"                                   // keys missing
      "{\"a\": 11, \"d\": 12, \"b\": 13, \"c\": 14}\n"  // a new key in the middle
      "{\"a\": 15, \"b\": 16, \"c\": 17}\n"             // back to the first order
      "{\"\\u0061\": 18, \"b\\\"\": 19}\n"              // an escaped "a", and a key with a quote
      "{\"a\": 20, \"a\": 21, \"ab\": 22}\n";           // a repeated key keeps its last value
  ReadOutcome got = ReadString(Format::kJsonl, lines);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.columns, (std::vector<std::string>{"a", "b", "c", "d", "b\"", "ab"}));
  EXPECT_EQ(got.rows, (std::vector<Row>{
                          {Cell("1"), Cell("2"), Cell("3"), Cell(), Cell(), Cell()},
                          {Cell("4"), Cell("5"), Cell("6"), Cell(), Cell(), Cell()},
                          {Cell("8"), Cell("9"), Cell("7"), Cell(), Cell(), Cell()},
                          {Cell(), Cell("10"), Cell(), Cell(), Cell(), Cell()},
                          {Cell("11"), Cell("13"), Cell("14"), Cell("12"), Cell(), Cell()},
                          {Cell("15"), Cell("16"), Cell("17"), Cell(), Cell(), Cell()},
                          {Cell("18"), Cell(), Cell(), Cell(), Cell("19"), Cell()},
                          {Cell("21"), Cell(), Cell(), Cell(), Cell(), Cell("22")},
                      }));
}

TEST(JsonRowTest, NumbersAndNestingBecomeText) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  const std::string lines =
      "{\"i\": -9223372036854775808, \"u\": 18446744073709551615, \"f\": 21.50, \"e\": 1E6, "
      "\"s\": 0.05, \"z\": -0.0}\n"
      "{\"n\": 123456789012345678901234567890}\n"  // past 64 bits: simdjson rejects it
      "{\"i\": 1e400}\n"                           // past a double's range
      "{\"f\": 2.675, \"e\": 1.5e-3, \"s\": 12345678901234567, \"deep\": " +
      deep + "}\n";
  ReadOutcome got = ReadString(Format::kJsonl, lines);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.columns, (std::vector<std::string>{"i", "u", "f", "e", "s", "z", "deep"}));
  EXPECT_EQ(got.rows, (std::vector<Row>{
                          {Cell("-9223372036854775808"), Cell("18446744073709551615"), Cell("21.5"),
                           Cell("1e+06"), Cell("0.05"), Cell("-0"), Cell()},
                          {Cell(), Cell(), Cell("2.675"), Cell("0.0015"), Cell("12345678901234567"),
                           Cell(), Cell(deep)},
                      }));
  ASSERT_EQ(got.errors.size(), 2u);
  EXPECT_EQ(got.errors[0].line, 2u);
  EXPECT_EQ(got.errors[1].line, 3u);
}

// One batch of `lines` (JSON Lines) as the reader gives it; `textless` as given
// to RecordReader::SetTextless.
void ReadOneBatch(const std::string& lines, TextBatch& batch,
                  const std::vector<bool>& textless = {}) {
  Result<std::unique_ptr<RecordReader>> reader =
      OpenReader(Format::kJsonl, StringInput(lines, 1 << 20), ReaderOptions{});
  ASSERT_TRUE(reader.has_value()) << reader.status().ToString();
  (*reader)->SetTextless(textless);
  CollectingErrors errors;
  Result<size_t> rows = (*reader)->ReadBatch(batch, errors);
  ASSERT_TRUE(rows.has_value()) << rows.status().ToString();
  EXPECT_TRUE(errors.errors.empty());
}

TEST(JsonRowTest, TypedValuesAreWhatTheirTextParsesTo) {
  const std::string lines =
      "{\"v\": 0}\n{\"v\": -0}\n{\"v\": -0.0}\n{\"v\": 7}\n{\"v\": -9223372036854775808}\n"
      "{\"v\": 9223372036854775807}\n{\"v\": 9223372036854775808}\n"
      "{\"v\": 18446744073709551615}\n{\"v\": 21.50}\n{\"v\": 100.0}\n{\"v\": 1E2}\n"
      "{\"v\": 1e21}\n{\"v\": -1.5e-3}\n{\"v\": 2.675}\n{\"v\": 12345678901234567.0}\n"
      "{\"v\": 1.7976931348623157e308}\n{\"v\": 2.2250738585072014e-308}\n"
      "{\"v\": 5e-324}\n{\"v\": 1e-400}\n{\"v\": true}\n{\"v\": false}\n"
      "{\"v\": \"12\"}\n{\"v\": null}\n{\"v\": [1]}\n{\"v\": {\"a\": 1}}\n";
  TextBatch batch;
  ReadOneBatch(lines, batch);
  ASSERT_EQ(batch.rows(), 25u);
  const TypedCells* typed = batch.Typed(0);
  ASSERT_NE(typed, nullptr);
  ASSERT_TRUE(typed->per_cell);
  std::vector<TypedKind> kinds;
  for (size_t r = 0; r < batch.rows(); ++r) {
    kinds.push_back(typed->kinds[r]);
    const std::string_view text = batch.Cell(r, 0);
    switch (typed->kinds[r]) {
      case TypedKind::kInteger: {
        int64_t v = 0;
        ASSERT_EQ(ParseInteger(text, &v), ParseResult::kOk) << text;
        EXPECT_EQ(typed->ints[r], v) << text;
        break;
      }
      case TypedKind::kFloat: {
        double v = 0;
        ASSERT_EQ(ParseFloat(text, &v), ParseResult::kOk) << text;
        EXPECT_EQ(std::bit_cast<int64_t>(typed->Float(r)), std::bit_cast<int64_t>(v)) << text;
        break;
      }
      case TypedKind::kBoolean: {
        bool v = false;
        ASSERT_TRUE(ParseBoolean(text, &v)) << text;
        EXPECT_EQ(typed->ints[r], v ? 1 : 0) << text;
        break;
      }
      case TypedKind::kText:
        break;
    }
  }
  constexpr TypedKind I = TypedKind::kInteger, F = TypedKind::kFloat, B = TypedKind::kBoolean,
                      T = TypedKind::kText;
  // Past int64 and subnormals are text only; so are strings, null and nesting.
  EXPECT_EQ(kinds, (std::vector<TypedKind>{I, batch.Cell(1, 0) == "0" ? I : F,
                                           F, I,
                                           I, I,
                                           T, T,
                                           F, F,
                                           F, F,
                                           F, F,
                                           F, F,
                                           F, T,
                                           F, B,
                                           B, T,
                                           T, T,
                                           T}));
}

// Textless, typed cells have no bytes but are not null, and CellText makes the
// text the reader gives when not textless; other cells keep their text.
TEST(JsonRowTest, TextlessCellsHaveTheirTextOnDemand) {
  const std::string lines =
      "{\"v\": 21.50, \"w\": 1}\n{\"v\": -0.0, \"w\": 2}\n{\"v\": 1e21}\n"
      "{\"v\": -9223372036854775808}\n{\"v\": 18446744073709551615}\n{\"v\": 5e-324}\n"
      "{\"v\": true}\n{\"v\": false}\n{\"v\": \" 12\"}\n{\"v\": \"\"}\n{\"v\": null}\n"
      "{\"v\": [1, 2.50]}\n";
  TextBatch text;
  ReadOneBatch(lines, text);
  TextBatch textless;
  ReadOneBatch(lines, textless, {true});
  ASSERT_EQ(textless.rows(), text.rows());
  ASSERT_TRUE(textless.Textless(0));
  EXPECT_FALSE(textless.Textless(1));  // not asked for
  EXPECT_FALSE(text.Textless(0));
  const TypedCells* typed = textless.Typed(0);
  ASSERT_NE(typed, nullptr);
  std::string scratch;
  for (size_t r = 0; r < text.rows(); ++r) {
    EXPECT_EQ(textless.IsNull(r, 0), text.IsNull(r, 0)) << r;
    EXPECT_EQ(textless.CellText(r, 0, scratch), text.Cell(r, 0)) << r;
    EXPECT_EQ(typed->kinds[r], text.Typed(0)->kinds[r]) << r;
    if (typed->kinds[r] != TypedKind::kText) {
      EXPECT_TRUE(textless.Cell(r, 0).empty()) << r;
    } else {
      EXPECT_EQ(textless.Cell(r, 0), text.Cell(r, 0)) << r;
    }
  }
}

TEST(JsonRowTest, AKeyTypedMidBatchLeavesEarlierRowsText) {
  TextBatch batch;
  ReadOneBatch("{\"a\": \"x\"}\n{\"b\": 1}\n{\"a\": 2, \"b\": \"y\"}\n", batch);
  ASSERT_EQ(batch.rows(), 3u);
  const TypedCells* a = batch.Typed(0);
  const TypedCells* b = batch.Typed(1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->kinds,
            (std::vector<TypedKind>{TypedKind::kText, TypedKind::kText, TypedKind::kInteger}));
  EXPECT_EQ(a->ints[2], 2);
  EXPECT_EQ(b->kinds,
            (std::vector<TypedKind>{TypedKind::kText, TypedKind::kInteger, TypedKind::kText}));
  EXPECT_EQ(b->ints[1], 1);
  EXPECT_EQ(batch.Cell(2, 1), "y");
}

}  // namespace
}  // namespace sluice::testing
