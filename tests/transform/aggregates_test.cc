#include "transform/aggregates.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace sluice {
namespace {

using Text = std::optional<std::string>;

// Expected means and standard deviations below were computed independently with
// Python's statistics.fmean and statistics.stdev over the same double values
// (python3 -c "import statistics as s; print(repr(s.fmean(v)), repr(s.stdev(v)))").
constexpr double kRelative = 1e-9;

void ExpectClose(std::optional<double> actual, double expected) {
  ASSERT_TRUE(actual.has_value());
  EXPECT_LE(std::abs(*actual - expected), kRelative * std::abs(expected))
      << "actual " << *actual << ", expected " << expected;
}

TableDef Table(std::vector<ColumnDef> columns) {
  TableDef table;
  table.name = "sensors";
  table.columns = std::move(columns);
  return table;
}

// A batch of one float column; nullopt is NULL.
Batch FloatBatch(const std::vector<std::optional<double>>& values) {
  Batch batch;
  batch.Reset({{"x", ColumnType::kFloat}});
  for (const auto& v : values) {
    if (v) {
      batch.columns()[0].AppendFloat(*v);
    } else {
      batch.columns()[0].AppendNull();
    }
    batch.FinishRow(batch.rows() + 1);
  }
  return batch;
}

FileAggregator MakeAggregator(const AggregateSpec& spec, const TableDef& table,
                              size_t max_groups = kMaxAggregateGroups) {
  auto aggregator = FileAggregator::Create(spec, table, max_groups);
  EXPECT_TRUE(aggregator.has_value()) << aggregator.status().ToString();
  return std::move(aggregator).value();
}

std::vector<AggregateRow> AggregateFloats(const std::vector<std::optional<double>>& values) {
  FileAggregator aggregator = MakeAggregator({}, Table({{"x", ColumnType::kFloat}}));
  EXPECT_TRUE(aggregator.Add(FloatBatch(values)).ok());
  return aggregator.Rows();
}

TEST(AggregatesTableNameTest, DefaultsToTheTableFileStats) {
  EXPECT_EQ(AggregatesTableName({}, "sensors"), "sensors_file_stats");
  AggregateSpec spec;
  spec.table = "stats";
  EXPECT_EQ(AggregatesTableName(spec, "sensors"), "stats");
}

TEST(FileAggregatorTest, MeanAndStddevMatchPythonStatistics) {
  const auto rows = AggregateFloats({2.5, 3.1, 4.7, 1.2, 9.9, -3.3});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].column, "x");
  EXPECT_EQ(rows[0].count, 6u);
  EXPECT_EQ(rows[0].nulls, 0u);
  EXPECT_EQ(rows[0].min, -3.3);
  EXPECT_EQ(rows[0].max, 9.9);
  ExpectClose(rows[0].mean, 3.016666666666667);
  ExpectClose(rows[0].stddev, 4.328702653990762);
}

TEST(FileAggregatorTest, IntegersAggregateAsDoubles) {
  Batch batch;
  batch.Reset({{"n", ColumnType::kInteger}});
  for (int64_t v : {3, -7, 12, 0, 5, 100, -42}) {
    batch.columns()[0].AppendInt(v);
    batch.FinishRow(batch.rows() + 1);
  }
  FileAggregator aggregator = MakeAggregator({}, Table({{"n", ColumnType::kInteger}}));
  ASSERT_TRUE(aggregator.Add(batch).ok());
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].min, -42.0);
  EXPECT_EQ(rows[0].max, 100.0);
  ExpectClose(rows[0].mean, 10.142857142857142);
  ExpectClose(rows[0].stddev, 43.34139119221014);
}

// Values near 1e9 a thousandth apart: the naive sum-of-squares formula loses
// every significant digit of the variance; the aggregates keep it.
TEST(FileAggregatorTest, StableNearOneBillionWhereTheNaiveFormulaFails) {
  std::vector<std::optional<double>> values;
  double sum = 0, sum_squares = 0;
  for (int k = 0; k < 10; ++k) {
    const double v = 1e9 + k * 0.001;
    values.push_back(v);
    sum += v;
    sum_squares += v * v;
  }
  const double expected_stddev = 0.003027638717227192;
  const double naive_variance = (sum_squares - sum * sum / 10) / 9;
  const double naive_stddev = std::sqrt(std::max(naive_variance, 0.0));
  EXPECT_GT(std::abs(naive_stddev - expected_stddev), 1e-3 * expected_stddev)
      << "the data no longer tells a stable method from a naive one";

  const auto rows = AggregateFloats(values);
  ASSERT_EQ(rows.size(), 1u);
  ExpectClose(rows[0].mean, 1000000000.0045);
  ExpectClose(rows[0].stddev, expected_stddev);
}

TEST(FileAggregatorTest, StableOverManyBatchesOfLargeValues) {
  FileAggregator aggregator = MakeAggregator({}, Table({{"x", ColumnType::kFloat}}));
  std::vector<std::optional<double>> values;
  for (int i = 0; i < 10000; ++i) {
    values.push_back(1e9 + (i % 7) * 0.001);
    if (values.size() == 1000) {
      ASSERT_TRUE(aggregator.Add(FloatBatch(values)).ok());
      values.clear();
    }
  }
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 10000u);
  ExpectClose(rows[0].mean, 1000000000.0029994);
  ExpectClose(rows[0].stddev, 0.002000049708148503);
}

// Batches whose means lie far apart, some starting with nulls or all null: each
// batch is summed up on its own and merged in, as one pass over the values would.
TEST(FileAggregatorTest, BatchesOfDifferentMeansMergeAsOnePass) {
  FileAggregator aggregator = MakeAggregator({}, Table({{"x", ColumnType::kFloat}}));
  const std::vector<int> sizes = {3, 1, 500, 7, 3000, 1234};
  for (size_t b = 0; b < sizes.size(); ++b) {
    std::vector<std::optional<double>> values;
    for (int i = 0; i < sizes[b]; ++i) {
      const bool null = (b == 0 && i < 2) || b == 3 || i % 17 == 5;
      values.push_back(null ? std::nullopt
                            : std::optional<double>(1e6 + b * 1000.0 + (i % 13) * 0.01));
    }
    ASSERT_TRUE(aggregator.Add(FloatBatch(values)).ok());
  }
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 4456u);
  EXPECT_EQ(rows[0].nulls, 4745u - 4456u);
  EXPECT_EQ(rows[0].min, 1000000.02);
  EXPECT_EQ(rows[0].max, 1005000.12);
  ExpectClose(rows[0].mean, 1004048.0850314182);
  ExpectClose(rows[0].stddev, 828.1961293338073);
}

TEST(FileAggregatorTest, NullsAreCountedAndLeftOut) {
  const auto rows = AggregateFloats({std::nullopt, 2.5, 3.1, std::nullopt, 4.7, 1.2, 9.9, -3.3});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 6u);
  EXPECT_EQ(rows[0].nulls, 2u);
  ExpectClose(rows[0].mean, 3.016666666666667);
  ExpectClose(rows[0].stddev, 4.328702653990762);
}

TEST(FileAggregatorTest, OneValueHasNoStddev) {
  auto rows = AggregateFloats({std::nullopt, 7.5});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 1u);
  EXPECT_EQ(rows[0].mean, 7.5);
  EXPECT_EQ(rows[0].min, 7.5);
  EXPECT_EQ(rows[0].max, 7.5);
  EXPECT_FALSE(rows[0].stddev.has_value());

  rows = AggregateFloats({7.5, 8.5});
  ExpectClose(rows[0].stddev, std::sqrt(0.5));
}

TEST(FileAggregatorTest, OnlyNullsHaveNoStatistics) {
  const auto rows = AggregateFloats({std::nullopt, std::nullopt});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 0u);
  EXPECT_EQ(rows[0].nulls, 2u);
  EXPECT_FALSE(rows[0].min || rows[0].max || rows[0].mean || rows[0].stddev);
}

TEST(FileAggregatorTest, EmptyFileWithoutByHasOneRowPerColumn) {
  FileAggregator aggregator = MakeAggregator(
      {},
      Table({{"a", ColumnType::kFloat}, {"s", ColumnType::kString}, {"b", ColumnType::kInteger}}));
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].column, "a");
  EXPECT_EQ(rows[1].column, "b");
  for (const AggregateRow& row : rows) {
    EXPECT_EQ(row.count, 0u);
    EXPECT_EQ(row.nulls, 0u);
    EXPECT_FALSE(row.min || row.max || row.mean || row.stddev);
  }
  EXPECT_EQ(aggregator.ToBatch("f.csv", "id", 0).rows(), 2u);
}

TEST(FileAggregatorTest, EmptyFileWithByHasNoRows) {
  AggregateSpec spec;
  spec.by = {"s"};
  FileAggregator aggregator =
      MakeAggregator(spec, Table({{"a", ColumnType::kFloat}, {"s", ColumnType::kString}}));
  EXPECT_TRUE(aggregator.Rows().empty());
  EXPECT_EQ(aggregator.ToBatch("f.csv", "id", 0).rows(), 0u);
}

// sensor_id (string), temperature (float), with a NULL sensor.
Batch SensorBatch(const std::vector<std::pair<Text, double>>& rows) {
  Batch batch;
  batch.Reset({{"sensor_id", ColumnType::kString}, {"temperature", ColumnType::kFloat}});
  for (const auto& [id, t] : rows) {
    if (id) {
      batch.columns()[0].AppendString(*id);
    } else {
      batch.columns()[0].AppendNull();
    }
    batch.columns()[1].AppendFloat(t);
    batch.FinishRow(batch.rows() + 1);
  }
  return batch;
}

// Aggregates SensorBatch's temperature by sensor_id.
FileAggregator BySensor(size_t max_groups = kMaxAggregateGroups) {
  AggregateSpec spec;
  spec.by = {"sensor_id"};
  return MakeAggregator(
      spec, Table({{"sensor_id", ColumnType::kString}, {"temperature", ColumnType::kFloat}}),
      max_groups);
}

TEST(FileAggregatorTest, ByGroupsInTheOrderFirstSeenWithNullAGroup) {
  FileAggregator aggregator = BySensor();
  // Two batches: the groups carry over, and the strings of the first batch may die.
  {
    std::vector<std::string> ids = {"b", "a"};
    ASSERT_TRUE(aggregator.Add(SensorBatch({{ids[0], 1}, {std::nullopt, 5}, {ids[1], 2}})).ok());
  }
  ASSERT_TRUE(aggregator.Add(SensorBatch({{"a", 4}, {"b", 3}, {std::nullopt, 6}, {"", 9}})).ok());
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].by, std::vector<Text>{"b"});
  EXPECT_EQ(rows[1].by, std::vector<Text>{std::nullopt});
  EXPECT_EQ(rows[2].by, std::vector<Text>{"a"});
  EXPECT_EQ(rows[3].by, std::vector<Text>{""});  // the empty string is not NULL
  EXPECT_EQ(rows[0].column, "temperature");
  EXPECT_EQ(rows[0].count, 2u);
  EXPECT_EQ(rows[0].mean, 2.0);
  EXPECT_EQ(rows[1].mean, 5.5);
  EXPECT_EQ(rows[2].min, 2.0);
  EXPECT_EQ(rows[2].max, 4.0);
  EXPECT_EQ(rows[3].count, 1u);
  EXPECT_FALSE(rows[3].stddev.has_value());
}

TEST(FileAggregatorTest, ByValuesAsText) {
  AggregateSpec spec;
  spec.by = {"i", "f", "b", "d", "t"};
  const TableDef table = Table({{"i", ColumnType::kInteger},
                                {"f", ColumnType::kFloat},
                                {"b", ColumnType::kBoolean},
                                {"d", ColumnType::kDate},
                                {"t", ColumnType::kTimestamp},
                                {"x", ColumnType::kFloat}});
  Batch batch;
  batch.Reset(table.columns);
  auto row = [&](int64_t i, double f, int64_t b, int64_t d, int64_t t) {
    auto& c = batch.columns();
    c[0].AppendInt(i);
    c[1].AppendFloat(f);
    c[2].AppendInt(b);
    c[3].AppendInt(d);
    c[4].AppendInt(t);
    c[5].AppendFloat(1);
    batch.FinishRow(batch.rows() + 1);
  };
  row(-12, 0.1, 1, 19723, 1704067200123456);  // 2024-01-01 00:00:00.123456
  row(-12, -0.0, 0, -1, 0);
  row(-12, 0.0, 0, -1, 0);  // 0.0 and -0.0 are one group
  FileAggregator aggregator = MakeAggregator(spec, table);
  ASSERT_TRUE(aggregator.Add(batch).ok());
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].by,
            (std::vector<Text>{"-12", "0.1", "true", "2024-01-01", "2024-01-01 00:00:00.123456"}));
  EXPECT_EQ(rows[1].by,
            (std::vector<Text>{"-12", "0", "false", "1969-12-31", "1970-01-01 00:00:00"}));
  EXPECT_EQ(rows[1].count, 2u);
}

TEST(FileAggregatorTest, ToBatchHasTheTableShape) {
  AggregateSpec spec;
  spec.by = {"sensor_id"};
  spec.columns = {"temperature"};
  const TableDef table =
      Table({{"sensor_id", ColumnType::kString}, {"temperature", ColumnType::kFloat}});
  FileAggregator aggregator = MakeAggregator(spec, table);
  ASSERT_TRUE(aggregator.Add(SensorBatch({{"a", 1}, {std::nullopt, 2}, {"a", 3}})).ok());

  const std::vector<ColumnDef> expected = {{"_file", ColumnType::kString, false},
                                           {"_load_id", ColumnType::kString, false},
                                           {"_loaded_at", ColumnType::kTimestamp, false},
                                           {"sensor_id", ColumnType::kString, true},
                                           {"column", ColumnType::kString, false},
                                           {"count", ColumnType::kInteger, false},
                                           {"nulls", ColumnType::kInteger, false},
                                           {"min", ColumnType::kFloat, true},
                                           {"max", ColumnType::kFloat, true},
                                           {"mean", ColumnType::kFloat, true},
                                           {"stddev", ColumnType::kFloat, true}};
  EXPECT_EQ(aggregator.table().name, "sensors_file_stats");
  EXPECT_EQ(aggregator.table().columns, expected);

  const Batch& batch = aggregator.ToBatch("in/f.csv", "abc123", 1704067200000000);
  ASSERT_EQ(batch.columns().size(), expected.size());
  for (size_t c = 0; c < expected.size(); ++c) EXPECT_EQ(batch.columns()[c].def, expected[c]);
  ASSERT_EQ(batch.rows(), 2u);
  const auto& col = batch.columns();
  for (size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(col[0].strings[r], "in/f.csv");
    EXPECT_EQ(col[1].strings[r], "abc123");
    EXPECT_EQ(col[2].ints[r], 1704067200000000);
    EXPECT_EQ(col[4].strings[r], "temperature");
  }
  EXPECT_EQ(col[3].strings[0], "a");
  EXPECT_TRUE(col[3].IsNull(1));
  EXPECT_EQ(col[5].ints[0], 2);
  EXPECT_EQ(col[6].ints[0], 0);
  EXPECT_EQ(col[7].floats[0], 1.0);
  EXPECT_EQ(col[8].floats[0], 3.0);
  EXPECT_EQ(col[9].floats[0], 2.0);
  EXPECT_DOUBLE_EQ(col[10].floats[0], std::sqrt(2.0));
  EXPECT_EQ(col[5].ints[1], 1);
  EXPECT_EQ(col[9].floats[1], 2.0);
  EXPECT_TRUE(col[10].IsNull(1));
  EXPECT_FALSE(col[7].IsNull(1));
}

TEST(FileAggregatorTest, ToBatchWithoutByLeavesNullStatisticsNull) {
  FileAggregator aggregator = MakeAggregator({}, Table({{"x", ColumnType::kFloat}}));
  const Batch& batch = aggregator.ToBatch("f.csv", "id", 7);
  ASSERT_EQ(batch.columns().size(), 10u);
  ASSERT_EQ(batch.rows(), 1u);
  EXPECT_EQ(batch.columns()[3].strings[0], "x");
  EXPECT_EQ(batch.columns()[4].ints[0], 0);
  for (size_t c = 6; c < 10; ++c) EXPECT_TRUE(batch.columns()[c].IsNull(0)) << c;
}

TEST(FileAggregatorTest, TooManyGroupsIsInvalidDataNamingTheLimit) {
  FileAggregator aggregator = BySensor(3);
  ASSERT_TRUE(aggregator.Add(SensorBatch({{"a", 1}, {"b", 1}, {std::nullopt, 1}, {"a", 2}})).ok());
  const Status status = aggregator.Add(SensorBatch({{"b", 1}, {"c", 1}}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidData);
  EXPECT_NE(status.message().find("more than 3 groups"), std::string::npos) << status.message();
}

TEST(FileAggregatorTest, TheDefaultGroupLimitHolds) {
  AggregateSpec spec;
  spec.by = {"id"};
  const TableDef table = Table({{"id", ColumnType::kInteger}, {"x", ColumnType::kFloat}});
  FileAggregator aggregator = MakeAggregator(spec, table);
  Batch batch;
  batch.Reset(table.columns);
  for (int64_t i = 0; i < static_cast<int64_t>(kMaxAggregateGroups); ++i) {
    batch.columns()[0].AppendInt(i);
    batch.columns()[1].AppendFloat(1);
    batch.FinishRow(static_cast<uint64_t>(i) + 1);
  }
  ASSERT_TRUE(aggregator.Add(batch).ok());
  batch.Clear();
  batch.columns()[0].AppendInt(-1);
  batch.columns()[1].AppendFloat(1);
  batch.FinishRow(1);
  const Status status = aggregator.Add(batch);
  EXPECT_EQ(status.code(), StatusCode::kInvalidData);
  EXPECT_NE(status.message().find(std::to_string(kMaxAggregateGroups)), std::string::npos);
}

TEST(FileAggregatorTest, ResetForgetsTheRows) {
  FileAggregator aggregator = BySensor(1);
  ASSERT_TRUE(aggregator.Add(SensorBatch({{"a", 1}})).ok());
  aggregator.Reset();
  ASSERT_TRUE(aggregator.Add(SensorBatch({{"b", 2}})).ok());  // within the limit again
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].by, std::vector<Text>{"b"});
  EXPECT_EQ(rows[0].count, 1u);

  FileAggregator plain = MakeAggregator({}, Table({{"x", ColumnType::kFloat}}));
  ASSERT_TRUE(plain.Add(FloatBatch({1, 2})).ok());
  plain.Reset();
  ASSERT_EQ(plain.Rows().size(), 1u);
  EXPECT_EQ(plain.Rows()[0].count, 0u);
}

TEST(AggregatesTableTest, DefaultColumnsAreTheNumericOnesExceptByAndLine) {
  AggregateSpec spec;
  spec.by = {"id"};
  const TableDef table = Table({{"id", ColumnType::kInteger},
                                {"name", ColumnType::kString},
                                {"t", ColumnType::kFloat},
                                {"ok", ColumnType::kBoolean},
                                {"day", ColumnType::kDate},
                                {"n", ColumnType::kInteger},
                                {"_line", ColumnType::kInteger}});
  FileAggregator aggregator = MakeAggregator(spec, table);
  Batch batch;
  batch.Reset(table.columns);
  auto& c = batch.columns();
  c[0].AppendInt(1);
  c[1].AppendString("x");
  c[2].AppendFloat(1.5);
  c[3].AppendInt(1);
  c[4].AppendInt(0);
  c[5].AppendInt(9);
  c[6].AppendInt(1);
  batch.FinishRow(1);
  ASSERT_TRUE(aggregator.Add(batch).ok());
  const auto rows = aggregator.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].column, "t");
  EXPECT_EQ(rows[1].column, "n");
  EXPECT_EQ(rows[1].mean, 9.0);
}

TEST(AggregatesTableTest, RefusesWhatCannotBeAggregated) {
  const TableDef table = Table({{"id", ColumnType::kString},
                                {"t", ColumnType::kFloat},
                                {"ok", ColumnType::kBoolean},
                                {"count", ColumnType::kInteger}});
  auto refused = [&](AggregateSpec spec, std::string_view words) {
    auto result = AggregatesTable(spec, table);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), StatusCode::kInvalidData);
    EXPECT_NE(result.error().message().find(words), std::string::npos) << result.error().message();
    EXPECT_FALSE(FileAggregator::Create(spec, table).has_value());
  };
  refused({"", {"missing"}, {}}, "\"missing\" is not a column of sensors");
  refused({"", {"id"}, {}}, "\"id\" is string, not integer or float");
  refused({"", {"ok"}, {}}, "\"ok\" is boolean");
  refused({"", {}, {"nope"}}, "`by` column \"nope\" is not a column");
  refused({"", {}, {"id", "id"}}, "twice");
  refused({"", {}, {"count"}}, "name of a column of the aggregates table");
  refused({"sensors", {}, {}}, "must not be the table sensors");
  EXPECT_TRUE(AggregatesTable({"", {"t"}, {"id", "ok"}}, table).has_value());
}

}  // namespace
}  // namespace sluice
