// The LOAD DATA text encoder (mysql_load_data.h): escaping, NULL, numbers,
// dates and timestamps, hostile bytes, the values MySQL cannot store, and how
// the server's warnings are read back to a row and a column.
#include "sink/mysql/mysql_load_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace sluice::mysqlload {
namespace {

Batch OneColumn(ColumnType type) {
  Batch batch;
  batch.Reset({{"c", type, true}});
  return batch;
}

std::string Encode(const Batch& batch) {
  std::string out;
  AppendRows(batch, 0, batch.rows(), out);
  return out;
}

TEST(MysqlLoadData, StringsAreEscapedSoNoByteEndsAFieldOrALine) {
  Batch batch = OneColumn(ColumnType::kString);
  const std::string hostile = std::string("a\tb\nc\\d\re") + '\0' + "f";
  // The batch holds views: the strings outlive it.
  const std::vector<std::string> values = {hostile, "\\N", "NULL", "", "\xff\xfe", "'\"`"};
  for (const std::string& s : values) {
    batch.columns()[0].AppendString(s);
    batch.FinishRow(1);
  }
  batch.columns()[0].AppendNull();
  batch.FinishRow(2);
  EXPECT_EQ(Encode(batch),
            "a\\tb\\nc\\\\d\\re\\0f\n"
            "\\\\N\n"
            "NULL\n"
            "\n"
            "\xff\xfe\n"
            "'\"`\n"
            "\\N\n");
}

TEST(MysqlLoadData, FieldsAreTabSeparatedAndNullIsBackslashN) {
  Batch batch;
  batch.Reset({{"i", ColumnType::kInteger, true},
               {"f", ColumnType::kFloat, true},
               {"b", ColumnType::kBoolean, true},
               {"s", ColumnType::kString, true}});
  auto& c = batch.columns();
  c[0].AppendInt(std::numeric_limits<int64_t>::min());
  c[1].AppendFloat(0.1);
  c[2].AppendInt(1);
  c[3].AppendNull();
  batch.FinishRow(1);
  c[0].AppendNull();
  c[1].AppendFloat(-2.5e-300);
  c[2].AppendInt(0);
  c[3].AppendString("x");
  batch.FinishRow(2);
  EXPECT_EQ(Encode(batch), "-9223372036854775808\t0.1\t1\t\\N\n\\N\t-2.5e-300\t0\tx\n");
}

TEST(MysqlLoadData, FloatsRoundTripBitForBit) {
  Batch batch = OneColumn(ColumnType::kFloat);
  const double values[] = {1.7976931348623157e308, 4.9406564584124654e-324, 0.30000000000000004};
  for (double v : values) {
    batch.columns()[0].AppendFloat(v);
    batch.FinishRow(1);
  }
  const std::string text = Encode(batch);
  size_t from = 0;
  for (double v : values) {
    const size_t end = text.find('\n', from);
    EXPECT_EQ(std::strtod(text.substr(from, end - from).c_str(), nullptr), v);
    from = end + 1;
  }
}

TEST(MysqlLoadData, DatesAndTimestampsAreUtcText) {
  Batch batch;
  batch.Reset({{"d", ColumnType::kDate, true}, {"t", ColumnType::kTimestamp, true}});
  auto& c = batch.columns();
  c[0].AppendInt(kMinDay);
  c[1].AppendInt(kMinMicros);
  batch.FinishRow(1);
  c[0].AppendInt(19724);
  c[1].AppendInt(1704153600000007);
  batch.FinishRow(2);
  c[0].AppendInt(kMaxDay);
  c[1].AppendInt(kMaxMicros);
  batch.FinishRow(3);
  c[0].AppendInt(-1);
  c[1].AppendInt(-1);
  batch.FinishRow(4);
  // The fraction without its trailing zeros (DATETIME(6) reads ".019" as 19000 µs).
  c[0].AppendInt(0);
  c[1].AppendInt(1704153600019000);
  batch.FinishRow(5);
  c[0].AppendInt(0);
  c[1].AppendInt(1704153600100000);
  batch.FinishRow(6);
  c[0].AppendInt(0);
  c[1].AppendInt(1704153610000000);
  batch.FinishRow(7);
  EXPECT_EQ(Encode(batch),
            "0001-01-01\t0001-01-01 00:00:00\n"
            "2024-01-02\t2024-01-02 00:00:00.000007\n"
            "9999-12-31\t9999-12-31 23:59:59.999999\n"
            "1969-12-31\t1969-12-31 23:59:59.999999\n"
            "1970-01-01\t2024-01-02 00:00:00.019\n"
            "1970-01-01\t2024-01-02 00:00:00.1\n"
            "1970-01-01\t2024-01-02 00:00:10\n");
}

TEST(MysqlLoadData, ValuesMysqlCannotStoreAreFoundBeforeSending) {
  Batch batch;
  batch.Reset({{"f", ColumnType::kFloat, true},
               {"d", ColumnType::kDate, true},
               {"t", ColumnType::kTimestamp, true}});
  auto row = [&](double f, int64_t d, int64_t t) {
    batch.columns()[0].AppendFloat(f);
    batch.columns()[1].AppendInt(d);
    batch.columns()[2].AppendInt(t);
    batch.FinishRow(1);
  };
  row(1, kMinDay, kMinMicros);
  row(-0.0, kMaxDay, kMaxMicros);
  EXPECT_FALSE(FindUnfit(batch).has_value());
  row(std::nan(""), 0, 0);
  auto unfit = FindUnfit(batch);
  ASSERT_TRUE(unfit.has_value());
  EXPECT_EQ(unfit->row, 2u);
  EXPECT_EQ(unfit->column, 0u);
  for (auto [d, t, column] : {std::tuple{kMinDay - 1, int64_t{0}, size_t{1}},
                              std::tuple{kMaxDay + 1, int64_t{0}, size_t{1}},
                              std::tuple{int64_t{0}, kMaxMicros + 1, size_t{2}},
                              std::tuple{int64_t{0}, kMinMicros - 1, size_t{2}}}) {
    Batch one;
    one.Reset({{"f", ColumnType::kFloat, true},
               {"d", ColumnType::kDate, true},
               {"t", ColumnType::kTimestamp, true}});
    one.columns()[0].AppendFloat(1);
    one.columns()[1].AppendInt(d);
    one.columns()[2].AppendInt(t);
    one.FinishRow(7);
    auto found = FindUnfit(one);
    ASSERT_TRUE(found.has_value()) << d << " " << t;
    EXPECT_EQ(found->column, column);
  }
  Batch nulls = OneColumn(ColumnType::kDate);
  nulls.columns()[0].AppendNull();  // a NULL's slot holds no value to check
  nulls.FinishRow(1);
  EXPECT_FALSE(FindUnfit(nulls).has_value());
}

TEST(MysqlLoadData, WarningsNameTheirRowAndColumn) {
  EXPECT_EQ(WarningRow("Out of range value for column 'i' at row 3"), 3u);
  EXPECT_EQ(WarningRow("Row 12 was truncated; it contained more data than there were input "
                       "columns"),
            12u);
  EXPECT_EQ(WarningRow("Duplicate entry '1' for key 'sluice_key'"), 0u);
  EXPECT_EQ(WarningColumn("Out of range value for column 'i' at row 3"), "i");
  EXPECT_EQ(WarningColumn("Incorrect integer value: 'x' for column `db`.`t`.`a``b` at row 1"),
            "a`b");
  EXPECT_EQ(WarningColumn("Data truncated for column 'it''s' at row 2"), "it's");
  EXPECT_EQ(WarningColumn("Column 'nn' cannot be null"), "nn");
  EXPECT_EQ(WarningColumn("Duplicate entry '1' for key 'sluice_key'"), "");
}

}  // namespace
}  // namespace sluice::mysqlload
