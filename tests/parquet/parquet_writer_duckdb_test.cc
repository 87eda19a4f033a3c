// ParquetWriter checked by an independent reader: files written with every column
// type, nulls, empty strings, unicode and extreme values, in several row groups,
// with each codec, are read back by DuckDB (scripts/duckdb.sh) and must hold
// exactly the values written, with the logical types, statistics and layout the
// writer promises.
//
// DuckDB comes from npm; without Node.js the tests skip, and fail when CI=true.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "duckdb_oracle.h"
#include "parquet/parquet_writer.h"
#include "test_util.h"

namespace sluice::parquet {
namespace {

using Cell = std::optional<std::string>;
using Rows = std::vector<std::vector<Cell>>;

using testing::DuckDbRun;

// One row of the test table; nullopt is NULL.
struct Row {
  std::optional<std::string> s;
  std::optional<int64_t> i;
  std::optional<double> f;
  std::optional<bool> b;
  std::optional<int64_t> d;  // days since 1970-01-01
  std::optional<int64_t> t;  // microseconds since 1970-01-01 UTC
  int64_t required_i = 0;
  std::string required_s;
};

std::vector<ColumnDef> Columns() {
  return {{"s", ColumnType::kString, true},    {"i", ColumnType::kInteger, true},
          {"f", ColumnType::kFloat, true},     {"b", ColumnType::kBoolean, true},
          {"d", ColumnType::kDate, true},      {"t", ColumnType::kTimestamp, true},
          {"ri", ColumnType::kInteger, false}, {"rs", ColumnType::kString, false}};
}

std::vector<Row> EdgeRows() {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Row> rows = {
      {"plain", 1, 1.5, true, 0, 0, 1, "a"},
      {"", 0, 0.0, false, -1, -1, 2, ""},  // empty string; 1969-12-31; 1 µs before 1970
      {std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 3,
       "nulls"},
      {"é日本語🦆", kMin, -0.0, true, -719162, -62135596800000000, kMin,
       "ünï"},  // 0001-01-01
      {"tab\there\nnewline \"quoted\" \\", kMax, inf, false, 2932896, 253402300799999999, kMax,
       "x"},  // 9999-12-31, its last microsecond
      {"z", -1, -inf, std::nullopt, 19000, 1700000000123456, -1, "y"},
      {std::nullopt, 42, nan, true, -25567, -2208988800000001, 0, "1900"},  // 1900-01-01
      {"max", 7, std::numeric_limits<double>::max(), false, 1, 1, 7, "m"},
      {"denormal", -7, std::numeric_limits<double>::denorm_min(), true, 2, 999999, 8, "d"},
      {"lowest", 8, std::numeric_limits<double>::lowest(), false, 3, 86400000000, 9, "l"},
      {"tenth", 9, 0.1, true, 4, -86400000000, 10, "t"},
  };
  return rows;
}

void Append(Batch& batch, const Row& row, uint64_t line) {
  auto& c = batch.columns();
  if (row.s)
    c[0].AppendString(*row.s);
  else
    c[0].AppendNull();
  if (row.i)
    c[1].AppendInt(*row.i);
  else
    c[1].AppendNull();
  if (row.f)
    c[2].AppendFloat(*row.f);
  else
    c[2].AppendNull();
  if (row.b)
    c[3].AppendInt(*row.b ? 1 : 0);
  else
    c[3].AppendNull();
  if (row.d)
    c[4].AppendInt(*row.d);
  else
    c[4].AppendNull();
  if (row.t)
    c[5].AppendInt(*row.t);
  else
    c[5].AppendNull();
  c[6].AppendInt(row.required_i);
  c[7].AppendString(row.required_s);
  batch.FinishRow(line);
}

// Writes `rows` to `path` in batches of `batch_rows`.
void WriteFileOf(const std::string& path, const std::vector<Row>& rows,
                 const ParquetWriterOptions& options, size_t batch_rows = 4) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  FdOutput out(fd, path);
  auto writer = ParquetWriter::Open(Columns(), options, &out);
  ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
  Batch batch;
  batch.Reset(Columns());
  for (size_t r = 0; r < rows.size(); ++r) {
    Append(batch, rows[r], r + 1);
    if (batch.rows() == batch_rows) {
      ASSERT_TRUE((*writer)->Write(batch).ok());
      batch.Clear();
    }
  }
  Status status = (*writer)->Write(batch);
  ASSERT_TRUE(status.ok()) << status.ToString();
  status = (*writer)->Close();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ((*writer)->rows_written(), rows.size());
  ASSERT_EQ(::close(fd), 0);
}

std::string ValuesQuery(const std::string& path) {
  return "SELECT s, i::VARCHAR, f::VARCHAR, b::VARCHAR, (d - DATE '1970-01-01')::VARCHAR, "
         "epoch_us(t)::VARCHAR, ri::VARCHAR, rs FROM read_parquet('" +
         path + "', file_row_number = true) ORDER BY file_row_number;\n";
}

Cell Text(const std::optional<int64_t>& v) { return v ? Cell(std::to_string(*v)) : std::nullopt; }

// Compares DuckDB's VARCHAR of a double with the value written, bit for bit
// (DuckDB prints the shortest text that parses back to the same double).
void ExpectDouble(const Cell& got, const std::optional<double>& want, size_t row) {
  if (!want) {
    EXPECT_FALSE(got.has_value()) << "row " << row;
    return;
  }
  ASSERT_TRUE(got.has_value()) << "row " << row;
  const double parsed = std::strtod(got->c_str(), nullptr);
  if (std::isnan(*want)) {
    EXPECT_TRUE(std::isnan(parsed)) << "row " << row << ": " << *got;
  } else {
    EXPECT_EQ(std::memcmp(&parsed, &*want, sizeof(double)), 0)
        << "row " << row << ": DuckDB read " << *got << ", written " << *want;
  }
}

void ExpectValues(const Rows& got, const std::vector<Row>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t r = 0; r < want.size(); ++r) {
    const auto& g = got[r];
    const Row& w = want[r];
    ASSERT_EQ(g.size(), 8u);
    EXPECT_EQ(g[0], w.s) << "row " << r;
    EXPECT_EQ(g[1], Text(w.i)) << "row " << r;
    ExpectDouble(g[2], w.f, r);
    EXPECT_EQ(g[3], w.b ? Cell(*w.b ? "true" : "false") : std::nullopt) << "row " << r;
    EXPECT_EQ(g[4], Text(w.d)) << "row " << r;
    EXPECT_EQ(g[5], Text(w.t)) << "row " << r;
    EXPECT_EQ(g[6], Cell(std::to_string(w.required_i))) << "row " << r;
    EXPECT_EQ(g[7], Cell(w.required_s)) << "row " << r;
  }
}

// The edge rows, then `extra` generated rows with repeating strings (dictionary
// material) and every third value null.
std::vector<Row> TestRows(size_t extra) {
  std::vector<Row> rows = EdgeRows();
  for (size_t k = 0; k < extra; ++k) {
    Row row;
    const auto v = static_cast<int64_t>(k);
    if (k % 3 != 0) {
      row.s = "city-" + std::to_string(k % 7);
      row.i = v * 1000003 - 500000;
      row.f = static_cast<double>(v) / 8.0 - 3.0;
      row.b = k % 2 == 0;
      row.d = v - 1000;
      row.t = v * 1000001 - 123456789;
    }
    row.required_i = v;
    row.required_s = "r" + std::to_string(k % 5);
    rows.push_back(std::move(row));
  }
  return rows;
}

class ParquetWriterDuckDbTest : public ::testing::TestWithParam<Codec> {};

TEST_P(ParquetWriterDuckDbTest, EveryTypeReadsBackExactlyAcrossRowGroups) {
  testing::TempDir dir;
  const std::string path = dir / "all.parquet";
  const std::vector<Row> rows = TestRows(200);
  ParquetWriterOptions options;
  options.codec = GetParam();
  options.row_group_rows = 64;  // 211 rows: four row groups, the last one short
  options.page_bytes = 512;     // several pages per chunk
  WriteFileOf(path, rows, options, 5);

  const std::string sql =
      ValuesQuery(path) +
      "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('" + path +
      "'));\n"
      "SELECT num_rows::VARCHAR, num_row_groups::VARCHAR, created_by FROM "
      "parquet_file_metadata('" +
      path +
      "');\n"
      "SELECT DISTINCT compression FROM parquet_metadata('" +
      path + "');\n";
  DUCKDB_OR_SKIP(run, dir, sql);
  ASSERT_EQ(run.results.size(), 4u);
  ExpectValues(run.results[0], rows);
  const Rows expected_types = {{"s", "VARCHAR"}, {"i", "BIGINT"},
                               {"f", "DOUBLE"},  {"b", "BOOLEAN"},
                               {"d", "DATE"},    {"t", "TIMESTAMP WITH TIME ZONE"},
                               {"ri", "BIGINT"}, {"rs", "VARCHAR"}};
  EXPECT_EQ(run.results[1], expected_types);
  ASSERT_EQ(run.results[2].size(), 1u);
  EXPECT_EQ(run.results[2][0][0], "211");
  EXPECT_EQ(run.results[2][0][1], "4");
  EXPECT_EQ(run.results[2][0][2].value_or("").rfind("sluice version ", 0), 0u);
  const char* names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD"};
  EXPECT_EQ(run.results[3], (Rows{{names[static_cast<int>(GetParam())]}}));
}

INSTANTIATE_TEST_SUITE_P(Codecs, ParquetWriterDuckDbTest,
                         ::testing::Values(Codec::kZstd, Codec::kSnappy, Codec::kGzip,
                                           Codec::kUncompressed),
                         [](const auto& info) { return std::string(CodecName(info.param)); });

}  // namespace
}  // namespace sluice::parquet

namespace sluice::parquet {
namespace {

TEST(ParquetWriterDuckDbFileTest, SchemaStatisticsAndLogicalTypes) {
  testing::TempDir dir;
  const std::string path = dir / "edge.parquet";
  WriteFileOf(path, EdgeRows(), ParquetWriterOptions{});
  const std::string sql =
      "SET TimeZone = 'UTC';\n"
      "SELECT name, repetition_type, converted_type, logical_type FROM parquet_schema('" +
      path +
      "') ORDER BY column_id;\n"
      "SELECT path_in_schema, stats_min_value, stats_max_value, stats_null_count::VARCHAR "
      "FROM parquet_metadata('" +
      path + "') ORDER BY column_id;\n";
  DUCKDB_OR_SKIP(run, dir, sql);
  ASSERT_EQ(run.results.size(), 3u);
  const Rows schema = run.results[1];
  ASSERT_EQ(schema.size(), 9u);  // the root, then the columns
  EXPECT_EQ(schema[1], (std::vector<Cell>{"s", "OPTIONAL", "UTF8", "StringType()"}));
  EXPECT_EQ(schema[2], (std::vector<Cell>{"i", "OPTIONAL", std::nullopt, std::nullopt}));
  EXPECT_EQ(schema[5], (std::vector<Cell>{"d", "OPTIONAL", "DATE", "DateType()"}));
  EXPECT_EQ(schema[6][2], Cell("TIMESTAMP_MICROS"));
  EXPECT_NE(schema[6][3].value_or("").find("isAdjustedToUTC=1"), std::string::npos)
      << schema[6][3].value_or("");
  EXPECT_NE(schema[6][3].value_or("").find("MICROS"), std::string::npos);
  EXPECT_EQ(schema[7], (std::vector<Cell>{"ri", "REQUIRED", std::nullopt, std::nullopt}));
  const Rows stats = run.results[2];
  ASSERT_EQ(stats.size(), 8u);
  // Strings order as unsigned bytes: "" is the smallest, "é..." (0xC3) the largest.
  EXPECT_EQ(stats[0], (std::vector<Cell>{"s", "", "é日本語🦆", "2"}));
  EXPECT_EQ(stats[1], (std::vector<Cell>{"i", "-9223372036854775808", "9223372036854775807", "1"}));
  // A chunk holding a NaN has no min/max: readers order NaN differently.
  EXPECT_EQ(stats[2], (std::vector<Cell>{"f", std::nullopt, std::nullopt, "1"}));
  EXPECT_EQ(stats[3], (std::vector<Cell>{"b", "false", "true", "2"}));
  EXPECT_EQ(stats[4], (std::vector<Cell>{"d", "0001-01-01", "9999-12-31", "1"}));
  EXPECT_EQ(stats[5][3], Cell("1"));
  EXPECT_EQ(stats[7], (std::vector<Cell>{"rs", "", "ünï", "0"}));
}

TEST(ParquetWriterDuckDbFileTest, ZeroRowsIsASchemaWithoutRowGroups) {
  testing::TempDir dir;
  const std::string path = dir / "empty.parquet";
  WriteFileOf(path, {}, ParquetWriterOptions{});
  const std::string sql =
      "SELECT count(*)::VARCHAR FROM read_parquet('" + path +
      "');\n"
      "SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('" +
      path +
      "'));\n"
      "SELECT num_rows::VARCHAR, num_row_groups::VARCHAR FROM parquet_file_metadata('" +
      path + "');\n";
  DUCKDB_OR_SKIP(run, dir, sql);
  EXPECT_EQ(run.results[0], (Rows{{"0"}}));
  EXPECT_EQ(run.results[1].size(), 8u);
  EXPECT_EQ(run.results[2], (Rows{{"0", "0"}}));
}

// Numbers of few distinct values (integers, floats with -0.0, dates, timestamps)
// are dictionary-encoded; their statistics come from the dictionary's entries;
// a column of distinct integers is DELTA_BINARY_PACKED. DuckDB reads back every
// value, and the statistics, as written.
TEST(ParquetWriterDuckDbFileTest, NumberDictionariesDeltaAndTheirStatistics) {
  testing::TempDir dir;
  const std::string path = dir / "numbers.parquet";
  std::vector<Row> rows;
  for (int64_t k = 0; k < 3000; ++k) {
    Row row;
    if (k % 5 != 4) {
      row.s = "s" + std::to_string(k % 3);
      row.i = (k % 13) * 1000 - 6000;
      row.f = k % 11 == 0 ? -0.0 : static_cast<double>(k % 11) / 4.0 - 1.0;
      row.b = k % 2 == 0;
      row.d = k % 9 - 4;
      row.t = 1'700'000'000'000'000 + (k % 17) * 1'000'000;
    }
    row.required_i = k * 7 - 5000;  // distinct: DELTA_BINARY_PACKED
    row.required_s = "r" + std::to_string(k % 5);
    rows.push_back(std::move(row));
  }
  WriteFileOf(path, rows, ParquetWriterOptions{}, 1000);
  const std::string sql = ValuesQuery(path) +
                          "SELECT path_in_schema, encodings, stats_min_value, stats_max_value, "
                          "stats_null_count::VARCHAR FROM parquet_metadata('" +
                          path + "') ORDER BY column_id;\n";
  DUCKDB_OR_SKIP(run, dir, sql);
  ASSERT_EQ(run.results.size(), 2u);
  ExpectValues(run.results[0], rows);
  const Rows& meta = run.results[1];
  ASSERT_EQ(meta.size(), 8u);
  for (size_t c : {0, 1, 2, 4, 5, 7}) {
    EXPECT_NE(meta[c][1].value_or("").find("RLE_DICTIONARY"), std::string::npos)
        << meta[c][0].value_or("") << ": " << meta[c][1].value_or("");
  }
  EXPECT_NE(meta[6][1].value_or("").find("DELTA_BINARY_PACKED"), std::string::npos)
      << meta[6][1].value_or("");
  EXPECT_EQ(meta[1], (std::vector<Cell>{"i", meta[1][1], "-6000", "6000", "600"}));
  EXPECT_EQ(meta[2][2], Cell("-0.75"));
  EXPECT_EQ(meta[2][3], Cell("1.5"));
  EXPECT_EQ(meta[4], (std::vector<Cell>{"d", meta[4][1], "1969-12-28", "1970-01-05", "600"}));
  EXPECT_EQ(meta[6], (std::vector<Cell>{"ri", meta[6][1], "-5000", "15993", "0"}));
}

// Dictionary pages for a low-cardinality column, the fall back to PLAIN within a
// chunk for a column of unique values, and row groups cut by bytes.
TEST(ParquetWriterDuckDbFileTest, DictionaryFallbackAndRowGroupsBySize) {
  testing::TempDir dir;
  const std::string path = dir / "dict.parquet";
  const std::vector<ColumnDef> columns = {{"low", ColumnType::kString, true},
                                          {"unique", ColumnType::kString, false},
                                          {"n", ColumnType::kInteger, false}};
  constexpr int kRows = 60000;
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    FdOutput out(fd, path);
    ParquetWriterOptions options;
    options.page_bytes = 4096;
    options.row_group_bytes = 512 * 1024;
    auto writer = ParquetWriter::Open(columns, options, &out);
    ASSERT_TRUE(writer.has_value());
    Batch batch;
    batch.Reset(columns);
    std::deque<std::string> storage;
    for (int r = 0; r < kRows; ++r) {
      auto& c = batch.columns();
      if (r % 11 == 0) {
        c[0].AppendNull();
      } else {
        c[0].AppendString(r % 3 == 0 ? "alpha" : r % 3 == 1 ? "beta" : "gamma");
      }
      storage.push_back("unique value number " + std::to_string(r));
      c[1].AppendString(storage.back());
      c[2].AppendInt(r);
      batch.FinishRow(r + 1);
      if (batch.rows() == 1000) {
        ASSERT_TRUE((*writer)->Write(batch).ok());
        batch.Clear();
        storage.clear();
      }
    }
    ASSERT_TRUE((*writer)->Close().ok());
    ASSERT_EQ(::close(fd), 0);
  }
  const std::string sql =
      "SELECT count(*)::VARCHAR, count(low)::VARCHAR, count(DISTINCT low)::VARCHAR, "
      "count(DISTINCT \"unique\")::VARCHAR, sum(n)::VARCHAR, "
      "bool_and(\"unique\" = 'unique value number ' || n)::VARCHAR, "
      "bool_and(low IS NULL = (n % 11 = 0))::VARCHAR, "
      "bool_and(low IS NULL OR low = CASE n % 3 WHEN 0 THEN 'alpha' WHEN 1 THEN 'beta' "
      "ELSE 'gamma' END)::VARCHAR FROM read_parquet('" +
      path +
      "');\n"
      "SELECT num_row_groups > 1 FROM parquet_file_metadata('" +
      path +
      "');\n"
      "SELECT DISTINCT path_in_schema, encodings FROM parquet_metadata('" +
      path +
      "') ORDER BY 1;\n"
      "SELECT min(stats_min_value::BIGINT)::VARCHAR, max(stats_max_value::BIGINT)::VARCHAR, "
      "sum(stats_null_count)::VARCHAR FROM parquet_metadata('" +
      path + "') WHERE path_in_schema = 'n';\n";
  DUCKDB_OR_SKIP(run, dir, sql);
  EXPECT_EQ(run.results[0],
            (Rows{{"60000", "54545", "3", "60000", "1799970000", "true", "true", "true"}}));
  EXPECT_EQ(run.results[1], (Rows{{"true"}}));
  const Rows& encodings = run.results[2];
  ASSERT_EQ(encodings.size(), 3u) << "one encoding list per column in every row group";
  EXPECT_EQ(encodings[0][0], Cell("low"));
  EXPECT_NE(encodings[0][1].value_or("").find("RLE_DICTIONARY"), std::string::npos);
  EXPECT_EQ(encodings[2][0], Cell("unique"));
  EXPECT_NE(encodings[2][1].value_or("").find("PLAIN"), std::string::npos);
  EXPECT_EQ(run.results[3], (Rows{{"0", "59999", "0"}}));
}

}  // namespace
}  // namespace sluice::parquet
