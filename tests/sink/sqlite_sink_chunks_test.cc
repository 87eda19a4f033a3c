// The SQLite sink's multi-row inserts: rows go in statements of many rows, the
// rest one statement each. These tests load batches whose sizes straddle the
// chunk size, refuse rows at every place of a chunk, skip keys repeated inside a
// chunk and load tables too wide for a full chunk.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sink/sqlite/sqlite_sink.h"
#include "sink/sqlite_test_db.h"
#include "test_util.h"

namespace sluice {
namespace {

using namespace ::sluice::testing;  // NOLINT: SqliteDbTest and the Sqlite* readers

// Comfortably more than one statement's rows (64) and not a multiple of them.
constexpr size_t kManyRows = 300;

const TableDef kTyped{"typed",
                      {{"id", ColumnType::kInteger, false},
                       {"f", ColumnType::kFloat, true},
                       {"d", ColumnType::kDate, true},
                       {"t", ColumnType::kTimestamp, true},
                       {"s", ColumnType::kString, true}},
                      {}};

// Row i of kTyped: id i, f i + 0.5, date i days after 1970, timestamp i seconds
// after 2024-01-01, string "s<i>"; every seventh row has NULLs but for its id.
// Source line 2 + i. The strings live in `storage`.
Batch TypedBatch(size_t rows, std::vector<std::string>& storage) {
  Batch batch;
  batch.Reset(kTyped.columns);
  storage.clear();
  storage.reserve(rows);
  auto& c = batch.columns();
  for (size_t i = 0; i < rows; ++i) {
    const auto n = static_cast<int64_t>(i);
    c[0].AppendInt(n);
    if (i % 7 == 3) {
      for (size_t k = 1; k < c.size(); ++k) c[k].AppendNull();
    } else {
      storage.push_back("s" + std::to_string(i));
      c[1].AppendFloat(static_cast<double>(n) + 0.5);
      c[2].AppendInt(n);
      c[3].AppendInt(1'704'067'200'000'000 + n * 1'000'000);
      c[4].AppendString(storage.back());
    }
    batch.FinishRow(2 + i);
  }
  return batch;
}

// What SqliteQuery reads back for TypedBatch's row i.
std::vector<std::string> ExpectedTypedRow(size_t i) {
  if (i % 7 == 3) return {std::to_string(i), "NULL", "NULL", "NULL", "NULL"};
  char date[32];
  char time[48];
  const int day = static_cast<int>(i);  // under 300 days: within 1970
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int month = 0;
  int rest = day;
  while (rest >= kMonthDays[month]) rest -= kMonthDays[month++];
  std::snprintf(date, sizeof date, "1970-%02d-%02d", month + 1, rest + 1);
  std::snprintf(time, sizeof time, "2024-01-01 %02zu:%02zu:%02zu", i / 3600, i / 60 % 60, i % 60);
  std::string f = std::to_string(i) + ".5";
  return {std::to_string(i), f, date, time, "s" + std::to_string(i)};
}

class SqliteSinkChunksTest : public SqliteDbTest {};

TEST_F(SqliteSinkChunksTest, EveryRowIsStoredWhateverTheBatchSize) {
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_TRUE(sink->EnsureTable(kTyped).ok());
  // Around one and two whole statements, and none at all.
  const std::vector<size_t> sizes = {1, 63, 64, 65, 127, 128, 129, kManyRows};
  std::vector<std::string> storage;
  for (size_t rows : sizes) {
    const std::string id = "load" + std::to_string(rows);
    ASSERT_TRUE(sink->Begin(kTyped, {{id, "/in/" + id + ".csv"}}).ok());
    Status written = sink->Write(TypedBatch(rows, storage), 0);
    ASSERT_TRUE(written.ok()) << rows << ": " << written.ToString();
    auto counts = sink->Commit();
    ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
    EXPECT_EQ(counts->front().inserted, rows);

    SqliteRows expected;
    for (size_t i = 0; i < rows; ++i) expected.push_back(ExpectedTypedRow(i));
    EXPECT_EQ(SqliteQuery(db_, "SELECT id, f, d, t, s FROM typed ORDER BY rowid"), expected)
        << rows;
    EXPECT_EQ(SqliteScalar(db_, "SELECT rows FROM _sluice_loads WHERE load_id = '" + id + "'"),
              std::to_string(rows));
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DELETE FROM typed", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
}

// A refused row anywhere (first or last of a statement, inside one, in the rows
// after the last whole statement) is named by its own line, and nothing of the
// load stays.
TEST_F(SqliteSinkChunksTest, ARefusedRowIsNamedWhereverItIs) {
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_TRUE(sink->EnsureTable(kTyped).ok());
  std::vector<std::string> storage;
  for (size_t bad : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{100}, size_t{127},
                     size_t{128}, kManyRows - 1}) {
    Batch batch = TypedBatch(kManyRows, storage);
    Column& id = batch.columns()[0];
    id.nulls[bad] = 1;  // id is NOT NULL
    ASSERT_TRUE(sink->Begin(kTyped, {{"h", "/in/h.csv"}}).ok());
    Status status = sink->Write(batch, 0);
    EXPECT_EQ(status.code(), StatusCode::kInvalidData) << bad << ": " << status.ToString();
    const std::string line = "line " + std::to_string(2 + bad);
    EXPECT_NE(status.message().find(line), std::string::npos) << status.ToString();
    ASSERT_EQ(sink->refused().size(), 1u) << bad;
    EXPECT_EQ(sink->refused()[0].line, 2 + bad);
    EXPECT_NE(sink->refused()[0].reason.find("NOT NULL"), std::string::npos);
    EXPECT_EQ(sink->Commit().status().code(), StatusCode::kInternal);
    sink->Abort();
    EXPECT_EQ(SqliteScalar(db_, "SELECT count(*) FROM typed"), "0") << bad;
  }
  EXPECT_EQ(SqliteScalar(db_, "SELECT count(*) FROM _sluice_loads"), "0");
  // The sink is usable afterwards, through the same statements.
  ASSERT_TRUE(sink->Begin(kTyped, {{"h", "/in/h.csv"}}).ok());
  ASSERT_TRUE(sink->Write(TypedBatch(kManyRows, storage), 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(SqliteScalar(db_, "SELECT count(*) FROM typed"), std::to_string(kManyRows));
}

// A key repeated inside one statement, or already in the table, is skipped: the
// first row of a key is kept and the counts add up.
TEST_F(SqliteSinkChunksTest, KeysRepeatedInsideAStatementAreSkipped) {
  const TableDef table{
      "keyed", {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}}, {"id"}};
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_TRUE(sink->EnsureTable(table).ok());
  std::vector<std::string> labels;
  auto batch_of = [&](const std::vector<int64_t>& ids) {
    Batch batch;
    batch.Reset(table.columns);
    labels.clear();
    labels.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      labels.push_back("row" + std::to_string(i));
      batch.columns()[0].AppendInt(ids[i]);
      batch.columns()[1].AppendString(labels.back());
      batch.FinishRow(2 + i);
    }
    return batch;
  };
  // Ids 0..9 exist before.
  std::vector<int64_t> first;
  for (int64_t i = 0; i < 10; ++i) first.push_back(i);
  ASSERT_TRUE(sink->Begin(table, {{"f1", "/in/f1.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch_of(first), 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());

  // Ids 0, 1, 1, 2, 2, ..., 150: twice in a row, inside one statement and (32,
  // rows 63 and 64) across two.
  std::vector<int64_t> ids;
  for (size_t i = 0; i < kManyRows; ++i) ids.push_back(static_cast<int64_t>((i + 1) / 2));
  constexpr size_t kNew = kManyRows / 2 + 1 - 10;
  ASSERT_TRUE(sink->Begin(table, {{"f2", "/in/f2.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch_of(ids), 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, kNew);
  EXPECT_EQ(counts->front().skipped_by_key, kManyRows - kNew);

  EXPECT_EQ(SqliteScalar(db_, "SELECT count(*) FROM keyed"), std::to_string(kManyRows / 2 + 1));
  EXPECT_EQ(
      SqliteQuery(db_, "SELECT label FROM keyed WHERE id IN (5, 10, 31, 32, 150) ORDER BY id"),
      (SqliteRows{{"row5"}, {"row19"}, {"row61"}, {"row63"}, {"row299"}}));
  EXPECT_EQ(SqliteQuery(db_, "SELECT rows, skipped FROM _sluice_loads WHERE load_id = 'f2'"),
            (SqliteRows{{std::to_string(kNew), std::to_string(kManyRows - kNew)}}));
}

// With a key, statements of many rows keep the rows before a refused one (OR
// FAIL); the refused row is still the one named, and nothing of the load stays.
TEST_F(SqliteSinkChunksTest, ARefusedRowOfAKeyedLoadIsNamedWhereverItIs) {
  TableDef table = kTyped;
  table.name = "typed_keyed";
  table.key = {"s"};  // NULL in every seventh row: NULL keys never match
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_TRUE(sink->EnsureTable(table).ok());
  std::vector<std::string> storage;
  for (size_t bad : {size_t{0}, size_t{40}, size_t{63}, size_t{64}, size_t{200}, kManyRows - 1}) {
    Batch batch = TypedBatch(kManyRows, storage);
    // Row 20 again as row 30: a key repeated before the refused row.
    batch.columns()[4].strings[30] = batch.columns()[4].strings[20];
    batch.columns()[0].nulls[bad] = 1;  // id is NOT NULL
    ASSERT_TRUE(sink->Begin(table, {{"h", "/in/h.csv"}}).ok());
    Status status = sink->Write(batch, 0);
    EXPECT_EQ(status.code(), StatusCode::kInvalidData) << bad << ": " << status.ToString();
    ASSERT_EQ(sink->refused().size(), 1u) << bad;
    EXPECT_EQ(sink->refused()[0].line, 2 + bad);
    EXPECT_NE(sink->refused()[0].reason.find("NOT NULL"), std::string::npos);
    sink->Abort();
    EXPECT_EQ(SqliteScalar(db_, "SELECT count(*) FROM typed_keyed"), "0") << bad;
  }
  ASSERT_TRUE(sink->Begin(table, {{"h", "/in/h.csv"}}).ok());
  ASSERT_TRUE(sink->Write(TypedBatch(kManyRows, storage), 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, kManyRows);
  EXPECT_EQ(counts->front().skipped_by_key, 0u);
}

// A conflict clause of a table made by hand decides as it says: OR FAIL, which
// would override it, is not used on such a table.
TEST_F(SqliteSinkChunksTest, AConflictClauseOfAHandMadeKeyedTableIsHonoured) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE hand(id INTEGER NOT NULL, label TEXT NOT NULL ON "
                           "CONFLICT IGNORE); CREATE UNIQUE INDEX sluice_key_hand ON hand(id)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto sink = OpenSqliteOrFail(db_);
  auto table = sink->DescribeTable("hand");
  ASSERT_TRUE(table.has_value() && table->has_value());
  ASSERT_EQ((*table)->key, std::vector<std::string>{"id"});
  Batch batch;
  batch.Reset((*table)->columns);
  size_t ignored = 0;
  for (size_t i = 0; i < kManyRows; ++i) {
    batch.columns()[0].AppendInt(static_cast<int64_t>(i));
    if (i % 10 == 5) {
      batch.columns()[1].AppendNull();  // ignored by the table's own clause
      ++ignored;
    } else {
      batch.columns()[1].AppendString("x");
    }
    batch.FinishRow(2 + i);
  }
  ASSERT_TRUE(sink->Begin(**table, {{"h", "/in/h.csv"}}).ok());
  Status written = sink->Write(batch, 0);
  ASSERT_TRUE(written.ok()) << written.ToString();
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, kManyRows - ignored);
  EXPECT_EQ(SqliteScalar(db_, "SELECT count(*) FROM hand"), std::to_string(kManyRows - ignored));
}

// So wide that 64 rows would pass SQLite's limit of bound parameters: fewer rows
// go in each statement.
TEST_F(SqliteSinkChunksTest, WideTablesLoadInSmallerStatements) {
  constexpr size_t kColumns = 1500;
  TableDef table{"wide", {}, {}};
  for (size_t i = 0; i < kColumns; ++i) {
    table.columns.push_back({"c" + std::to_string(i), ColumnType::kInteger, true});
  }
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_TRUE(sink->EnsureTable(table).ok());
  Batch batch;
  batch.Reset(table.columns);
  constexpr size_t kRows = 100;
  for (size_t row = 0; row < kRows; ++row) {
    for (size_t i = 0; i < kColumns; ++i) {
      if ((row + i) % 11 == 0) {
        batch.columns()[i].AppendNull();
      } else {
        batch.columns()[i].AppendInt(static_cast<int64_t>(row * kColumns + i));
      }
    }
    batch.FinishRow(2 + row);
  }
  ASSERT_TRUE(sink->Begin(table, {{"w", "/in/w.csv"}}).ok());
  Status written = sink->Write(batch, 0);
  ASSERT_TRUE(written.ok()) << written.ToString();
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, kRows);
  // Every cell in its place.
  SqliteRows expected(kRows);
  for (size_t row = 0; row < kRows; ++row) {
    for (size_t i = 0; i < kColumns; ++i) {
      expected[row].push_back((row + i) % 11 == 0 ? "NULL" : std::to_string(row * kColumns + i));
    }
  }
  EXPECT_EQ(SqliteQuery(db_, "SELECT * FROM wide ORDER BY rowid"), expected);
}

}  // namespace
}  // namespace sluice
