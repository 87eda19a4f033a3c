// The Native encoder (native.*): the bytes of blocks and of each column type, as
// ClickHouse reads them, without a server.
#include "sink/clickhouse/native.h"

#include <gtest/gtest.h>

#include <string>

#include "sink/hex.h"

namespace sluice {
namespace {

using ::sluice::testing::Hex;

TEST(NativeTest, VarUIntIsLeb128) {
  std::string out;
  native::AppendVarUInt(out, 0);
  native::AppendVarUInt(out, 127);
  native::AppendVarUInt(out, 300);
  EXPECT_EQ(Hex(out), "007fac02");
  out.clear();
  native::AppendString(out, "ab");
  EXPECT_EQ(Hex(out), "026162");
}

// A whole block as the sink writes one: counts, then per column its name, type
// and values.
TEST(NativeTest, BlockIsHeaderThenEachColumnWithNameTypeAndValues) {
  Column id;
  id.def = {"id", ColumnType::kInteger, false};
  id.AppendInt(1);
  id.AppendInt(2);
  Column name;
  name.def = {"n", ColumnType::kString, true};
  name.AppendNull();
  name.AppendString("x");
  std::string out;
  native::AppendBlockHeader(out, 2, 2);
  size_t bad_row = 0;
  for (const Column* column : {&id, &name}) {
    const std::string type = column == &id ? "Int64" : "Nullable(String)";
    native::AppendColumnHeader(out, column->def.name, type);
    ASSERT_TRUE(
        AppendNativeColumn(*column, *ClickHouseEncodingFor(type, column->def.type), out, &bad_row)
            .ok());
  }
  EXPECT_EQ(Hex(out),
            "02"                                      // columns
            "02"                                      // rows
            "02696405496e743634"                      // "id" "Int64"
            "01000000000000000200000000000000"        // 1, 2
            "016e104e756c6c61626c6528537472696e6729"  // "n" "Nullable(String)"
            "0100"                                    // null map: NULL, not NULL
            "000178");                                // "" (NULL), "x"
}

TEST(NativeTest, EncodesEachTypeAsClickHouseReadsIt) {
  auto encode = [](ColumnType type, std::string_view ch_type, auto fill) {
    Column column;
    column.def = {"c", type, true};
    fill(column);
    auto encoding = ClickHouseEncodingFor(ch_type, type);
    EXPECT_TRUE(encoding.has_value()) << ch_type;
    EXPECT_EQ(encoding->type, ch_type);
    std::string out;
    size_t bad_row = 0;
    Status s = AppendNativeColumn(column, *encoding, out, &bad_row);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return Hex(out);
  };
  EXPECT_EQ(encode(ColumnType::kInteger, "Int64",
                   [](Column& c) {
                     c.AppendInt(-2);
                     c.AppendInt(1);
                   }),
            "feffffffffffffff0100000000000000");
  EXPECT_EQ(encode(ColumnType::kFloat, "Float64", [](Column& c) { c.AppendFloat(1.5); }),
            "000000000000f83f");
  EXPECT_EQ(encode(ColumnType::kFloat, "Float32", [](Column& c) { c.AppendFloat(1.5); }),
            "0000c03f");
  EXPECT_EQ(encode(ColumnType::kBoolean, "UInt8", [](Column& c) { c.AppendInt(1); }), "01");
  // 2024-01-02 is day 19724 = 0x4d0c.
  EXPECT_EQ(encode(ColumnType::kDate, "Date", [](Column& c) { c.AppendInt(19724); }), "0c4d");
  EXPECT_EQ(encode(ColumnType::kDate, "Date32", [](Column& c) { c.AppendInt(-1); }), "ffffffff");
  // 1.9 s after the epoch: DateTime truncates to 1 s, DateTime64(6) keeps the micros.
  EXPECT_EQ(encode(ColumnType::kTimestamp, "DateTime", [](Column& c) { c.AppendInt(1900000); }),
            "01000000");
  EXPECT_EQ(encode(ColumnType::kTimestamp, "DateTime64(6, 'UTC')",
                   [](Column& c) { c.AppendInt(1900000); }),
            "e0fd1c0000000000");
  EXPECT_EQ(encode(ColumnType::kTimestamp, "DateTime64(3)",
                   [](Column& c) { c.AppendInt(-1500); }),  // floor(-1.5 ms) = -2 ms
            "feffffffffffffff");
  EXPECT_EQ(encode(ColumnType::kString, "String",
                   [](Column& c) {
                     c.AppendString("hé");
                     c.AppendString("");
                   }),
            "0368c3a900");
  // Nullable: the null map (1 = NULL), then a value for every row (0 where NULL).
  EXPECT_EQ(encode(ColumnType::kInteger, "Nullable(Int32)",
                   [](Column& c) {
                     c.AppendNull();
                     c.AppendInt(7);
                   }),
            "010000000000"
            "07000000");
  EXPECT_EQ(encode(ColumnType::kString, "Nullable(String)",
                   [](Column& c) {
                     c.AppendString("a");
                     c.AppendNull();
                   }),
            "0001"
            "0161"
            "00");
}

TEST(NativeTest, RefusesValuesTheColumnCannotHold) {
  Column column;
  column.def = {"c", ColumnType::kInteger, true};
  column.AppendInt(1);
  column.AppendInt(300);
  column.AppendNull();
  std::string out;
  size_t bad_row = 0;
  Status s = AppendNativeColumn(column, *ClickHouseEncodingFor("Nullable(Int8)", column.def.type),
                                out, &bad_row);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
  EXPECT_EQ(bad_row, 1u);
  s = AppendNativeColumn(column, *ClickHouseEncodingFor("Int64", column.def.type), out, &bad_row);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
  EXPECT_EQ(bad_row, 2u);  // NULL into a column that is not Nullable
  Column date;
  date.def = {"d", ColumnType::kDate, true};
  date.AppendInt(-1);  // 1969-12-31: before Date's range
  s = AppendNativeColumn(date, *ClickHouseEncodingFor("Date", date.def.type), out, &bad_row);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
  EXPECT_EQ(bad_row, 0u);
  EXPECT_FALSE(ClickHouseEncodingFor("Array(Int64)", ColumnType::kInteger).has_value());
  EXPECT_FALSE(ClickHouseEncodingFor("String", ColumnType::kInteger).has_value());
  // LowCardinality has a Native layout of its own, which sluice does not write.
  EXPECT_FALSE(ClickHouseEncodingFor("LowCardinality(String)", ColumnType::kString).has_value());
}

}  // namespace
}  // namespace sluice
