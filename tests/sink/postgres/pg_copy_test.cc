#include "sink/postgres/pg_copy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "sink/hex.h"

namespace sluice {
namespace {

using pgcopy::Wire;
using ::sluice::testing::Hex;

// One column per wire type, in the order of kWires below.
const std::vector<ColumnDef> kDefs = {
    {"i8", ColumnType::kInteger, true}, {"i4", ColumnType::kInteger, true},
    {"i2", ColumnType::kInteger, true}, {"f8", ColumnType::kFloat, true},
    {"f4", ColumnType::kFloat, true},   {"b", ColumnType::kBoolean, true},
    {"d", ColumnType::kDate, true},     {"ts", ColumnType::kTimestamp, true},
    {"t", ColumnType::kString, true},
};
const std::vector<Wire> kWires = {Wire::kInt8,   Wire::kInt4,      Wire::kInt2,
                                  Wire::kFloat8, Wire::kFloat4,    Wire::kBool,
                                  Wire::kDate,   Wire::kTimestamp, Wire::kText};

TEST(PgCopyTest, HeaderAndTrailerAreTheBinaryCopyFrame) {
  std::string out;
  pgcopy::AppendHeader(out);
  // "PGCOPY\n\377\r\n\0", flags 0, header extension length 0.
  EXPECT_EQ(Hex(out),
            "5047434f50590aff0d0a00"
            "00000000"
            "00000000");
  out.clear();
  pgcopy::AppendTrailer(out);
  EXPECT_EQ(Hex(out), "ffff");
}

TEST(PgCopyTest, EncodesEachTypeBigEndianAndNullsAsMinusOne) {
  Batch batch;
  batch.Reset(kDefs);
  auto& c = batch.columns();
  c[0].AppendInt(-2);
  c[1].AppendInt(7);
  c[2].AppendInt(-1);
  c[3].AppendFloat(1.5);
  c[4].AppendFloat(1.5);
  c[5].AppendInt(1);
  c[6].AppendInt(10958);                            // 2000-01-02: day 1 of PostgreSQL's epoch
  c[7].AppendInt((10957LL * 86400 + 1) * 1000000);  // 2000-01-01T00:00:01Z: 10^6 µs
  c[8].AppendString("h\xC3\xA9");
  batch.FinishRow(2);
  for (Column& column : c) column.AppendNull();
  batch.FinishRow(3);
  std::string out;
  pgcopy::AppendRows(batch, kWires, out);
  EXPECT_EQ(Hex(out),
            "0009"                      // fields
            "00000008fffffffffffffffe"  // int8 -2
            "0000000400000007"          // int4 7
            "00000002ffff"              // int2 -1
            "000000083ff8000000000000"  // float8 1.5
            "000000043fc00000"          // float4 1.5
            "0000000101"                // bool true
            "0000000400000001"          // date 2000-01-02
            "0000000800000000000f4240"  // timestamp 2000-01-01T00:00:01
            "0000000368c3a9"            // text "hé"
            "0009"                      // the second row: nine NULLs
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
}

TEST(PgCopyTest, EncodesValuesBeforeTheEpochsAndEmptyText) {
  Batch batch;
  batch.Reset({{"d", ColumnType::kDate, false},
               {"ts", ColumnType::kTimestamp, false},
               {"t", ColumnType::kString, false},
               {"b", ColumnType::kBoolean, false}});
  auto& c = batch.columns();
  c[0].AppendInt(-1);  // 1969-12-31: 10958 days before 2000-01-01
  c[1].AppendInt(-1);  // 1969-12-31T23:59:59.999999Z
  c[2].AppendString("");
  c[3].AppendInt(0);
  batch.FinishRow(1);
  std::string out;
  pgcopy::AppendRows(batch, {Wire::kDate, Wire::kTimestamp, Wire::kText, Wire::kBool}, out);
  // -10958 = 0xffffd532; -(946684800 * 10^6 + 1) = 0xfffca2fec4c81fff.
  EXPECT_EQ(Hex(out),
            "0004"                      // fields
            "00000004ffffd532"          // date
            "00000008fffca2fec4c81fff"  // timestamp
            "00000000"                  // empty text: length 0, no bytes
            "0000000100");              // bool false
}

// Rows encoded a range at a time, after bytes already in the buffer, are the
// bytes of the whole batch encoded at once: texts of every length and NULLs
// (whose empty strings take no room) in any column.
TEST(PgCopyTest, RangesOfRowsEncodeAsTheWholeBatchDoes) {
  Batch batch;
  batch.Reset(kDefs);
  auto& c = batch.columns();
  constexpr int kRows = 37;
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + i % 26);
  for (int row = 0; row < kRows; ++row) {
    for (size_t i = 0; i < c.size(); ++i) {
      if ((row + static_cast<int>(i)) % 5 == 0) {
        c[i].AppendNull();
      } else if (kDefs[i].type == ColumnType::kFloat) {
        c[i].AppendFloat(row * -0.75);
      } else if (kDefs[i].type == ColumnType::kString) {
        // Every length up to 18 (each way of copying short texts), then longer.
        c[i].AppendString(std::string_view(text).substr(0, row < 19 ? row : row * 7 % 300));
      } else if (kDefs[i].type == ColumnType::kBoolean) {
        c[i].AppendInt(row % 2);
      } else {
        c[i].AppendInt(row * 1001 - 9000);
      }
    }
    batch.FinishRow(row + 2);
  }
  std::string whole = "prefix";
  pgcopy::AppendRows(batch, kWires, whole);
  std::string ranges = "prefix";
  pgcopy::AppendRows(batch, kWires, 0, 0, ranges);  // nothing
  EXPECT_EQ(ranges, "prefix");
  for (size_t begin : {0, 1, 13, 30}) {
    const size_t end = begin == 0 ? 1 : begin == 1 ? 13 : begin == 13 ? 30 : kRows;
    pgcopy::AppendRows(batch, kWires, begin, end, ranges);
  }
  EXPECT_EQ(Hex(ranges), Hex(whole));
  // Row 0 (its own range): int8 NULL, then int4 -9000, ..., empty text.
  EXPECT_EQ(Hex(ranges.substr(6, 2 + 4 + 8)), "0009ffffffff00000004ffffdcd8");
}

// Texts of every length a short copy handles (0 to 18 bytes), and a long one,
// arrive byte for byte after their length.
TEST(PgCopyTest, EncodesTextsOfEveryShortLength) {
  Batch batch;
  batch.Reset({{"t", ColumnType::kString, false}});
  const std::string text = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
  std::string expected;
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 18; ++n) lengths.push_back(n);
  lengths.push_back(text.size());
  for (size_t n : lengths) {
    // Each text starts at another offset, so no two copies look alike.
    const std::string_view value =
        std::string_view(text).substr(n % 7, std::min(n, text.size() - n % 7));
    batch.columns()[0].AppendString(value);
    batch.FinishRow(n + 2);
    char length[16];
    std::snprintf(length, sizeof(length), "%08zx", value.size());
    expected += "0001" + std::string(length) + Hex(std::string(value));
  }
  std::string out;
  pgcopy::AppendRows(batch, {Wire::kText}, out);
  EXPECT_EQ(Hex(out), expected);
}

TEST(PgCopyTest, FindsTheFirstValueANarrowColumnCannotHold) {
  Batch batch;
  batch.Reset({{"i4", ColumnType::kInteger, true},
               {"i2", ColumnType::kInteger, true},
               {"d", ColumnType::kDate, true},
               {"i8", ColumnType::kInteger, true}});
  const std::vector<Wire> wires = {Wire::kInt4, Wire::kInt2, Wire::kDate, Wire::kInt8};
  auto& c = batch.columns();
  auto row = [&](int64_t i4, int64_t i2, int64_t d, int64_t i8) {
    c[0].AppendInt(i4);
    c[1].AppendInt(i2);
    c[2].AppendInt(d);
    c[3].AppendInt(i8);
    batch.FinishRow(batch.rows() + 1);
  };
  // The limits themselves fit; a date's range is int32 days from 2000-01-01.
  row(2147483647, -32768, 2147483647LL + 10957, INT64_MIN);
  row(-2147483648LL, 32767, -2147483648LL + 10957, INT64_MAX);
  EXPECT_FALSE(pgcopy::FindUnfit(batch, wires).has_value());
  for (Column& column : c) column.AppendNull();
  batch.FinishRow(3);
  EXPECT_FALSE(pgcopy::FindUnfit(batch, wires).has_value());

  row(0, 32768, 0, 0);
  auto unfit = pgcopy::FindUnfit(batch, wires);
  ASSERT_TRUE(unfit.has_value());
  EXPECT_EQ(unfit->row, 3u);
  EXPECT_EQ(unfit->column, 1u);
  EXPECT_EQ(unfit->problem, "value 32768 is out of range for the column's type");

  c[0].ints[3] = 2147483648LL;  // the earlier column is reported first
  unfit = pgcopy::FindUnfit(batch, wires);
  ASSERT_TRUE(unfit.has_value());
  EXPECT_EQ(unfit->column, 0u);
  EXPECT_EQ(unfit->row, 3u);

  c[0].ints[3] = 0;
  c[1].ints[3] = 0;
  c[2].ints[3] = 2147483648LL + 10957;
  unfit = pgcopy::FindUnfit(batch, wires);
  ASSERT_TRUE(unfit.has_value());
  EXPECT_EQ(unfit->column, 2u);
}

// A timestamp the shift to PostgreSQL's epoch overflows would be sent as another,
// valid one (INT64_MIN µs as a date in the year 294247).
TEST(PgCopyTest, FindsATimestampTheEpochShiftOverflows) {
  Batch batch;
  batch.Reset({{"ts", ColumnType::kTimestamp, true}});
  batch.columns()[0].AppendInt(INT64_MAX);  // shifted down: fits
  batch.FinishRow(1);
  EXPECT_FALSE(pgcopy::FindUnfit(batch, {Wire::kTimestamp}).has_value());
  batch.columns()[0].AppendInt(INT64_MIN);
  batch.FinishRow(2);
  auto unfit = pgcopy::FindUnfit(batch, {Wire::kTimestamp});
  ASSERT_TRUE(unfit.has_value());
  EXPECT_EQ(unfit->row, 1u);
  EXPECT_EQ(unfit->problem,
            "value " + std::to_string(INT64_MIN) + " is out of range for the column's type");
}

TEST(PgCopyTest, ReadsTheRowAndColumnOfACopyError) {
  EXPECT_EQ(pgcopy::ErrorRow("COPY t, line 3, column x: \"1\""), 3u);
  EXPECT_EQ(pgcopy::ErrorColumn("COPY t, line 3, column x: \"1\""), "x");
  EXPECT_EQ(pgcopy::ErrorColumn("COPY t, line 12, column weird name"), "weird name");
  EXPECT_EQ(pgcopy::ErrorRow("COPY t, line 12"), 12u);
  EXPECT_EQ(pgcopy::ErrorColumn("COPY t, line 12"), "");
  EXPECT_EQ(pgcopy::ErrorRow(nullptr), 0u);
  EXPECT_EQ(pgcopy::ErrorColumn(nullptr), "");
  EXPECT_EQ(pgcopy::ErrorRow("SQL statement"), 0u);
}

TEST(PgCopyTest, RowMapKeepsRunsOfFollowingLinesAndFindsEachRow) {
  pgcopy::RowMap map;
  map.Add(0, {2, 3, 4});     // one run
  map.Add(0, {5, 6});        // the same run, in a later batch
  map.Add(0, {9, 10});       // a gap: a new run
  map.Add(1, {11, 12, 14});  // another load: a new run, then a gap
  EXPECT_EQ(map.rows(), 10u);
  EXPECT_EQ(map.runs(), 4u);
  const std::vector<std::pair<size_t, uint64_t>> want = {
      {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 6}, {0, 9}, {0, 10}, {1, 11}, {1, 12}, {1, 14}};
  for (uint64_t row = 0; row < want.size(); ++row) {
    const pgcopy::RowMap::Source source = map.At(row);
    EXPECT_EQ(source.load, want[row].first) << "row " << row;
    EXPECT_EQ(source.line, want[row].second) << "row " << row;
  }
  map.Clear();
  EXPECT_EQ(map.rows(), 0u);
  map.Add(2, {7});
  EXPECT_EQ(map.At(0).load, 2u);
  EXPECT_EQ(map.At(0).line, 7u);
}

}  // namespace
}  // namespace sluice
