// The SQLite sink's page-cache budget: the large cache only for loads into a
// table that has an index (or is ordered by its own key), and a connection's
// cache freed after its load when other sinks of the process load into the same
// database, so that the page caches of several workers together hold one load's
// pages.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "sink/sqlite/sqlite_sink.h"
#include "sink/sqlite_test_db.h"
#include "test_util.h"

namespace sluice {
namespace {

using ::sluice::testing::OpenSqliteOrFail;

constexpr int kSmallKiB = 8 << 10;
constexpr int kLargeKiB = 64 << 10;

TableDef Notes(std::string name, std::vector<std::string> key = {}) {
  return {std::move(name),
          {{"id", ColumnType::kInteger, false}, {"note", ColumnType::kString, true}},
          std::move(key)};
}

// Begin, `rows` rows of 1 KiB notes, Commit: about rows KiB of pages.
Status Load(Sink& sink, const TableDef& table, const std::string& id, int rows) {
  const std::string note(1024, 'n');
  Batch batch;
  batch.Reset(table.columns);
  for (int i = 0; i < rows; ++i) {
    batch.columns()[0].AppendInt(i);
    batch.columns()[1].AppendString(note);
    batch.FinishRow(2 + i);
  }
  RETURN_IF_ERROR(sink.Begin(table, {{id, "/in/" + id + ".csv"}}));
  RETURN_IF_ERROR(sink.Write(batch, 0));
  return sink.Commit().status();
}

void ExecOrFail(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// The cache limit in force during a load of one row into `table`.
int CacheKiBDuringLoad(SqliteSink& sink, const TableDef& table, const std::string& id) {
  Batch batch;
  batch.Reset(table.columns);
  batch.columns()[0].AppendInt(1);
  batch.columns()[1].AppendString("x");
  batch.FinishRow(2);
  EXPECT_TRUE(sink.Begin(table, {{id, "/in/" + id + ".csv"}}).ok());
  EXPECT_TRUE(sink.Write(batch, 0).ok());
  auto kib = sink.CacheKiB();
  EXPECT_TRUE(sink.Commit().has_value());
  return kib.has_value() ? *kib : -1;
}

class SqliteSinkCacheTest : public ::sluice::testing::SqliteDbTest {};

TEST_F(SqliteSinkCacheTest, LoadsIntoATableWithoutIndexUseTheSmallCache) {
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->EnsureTable(Notes("plain")).ok());
  EXPECT_EQ(CacheKiBDuringLoad(*sink, Notes("plain"), "a"), kSmallKiB);
}

TEST_F(SqliteSinkCacheTest, LoadsIntoAKeyedTableUseTheLargeCache) {
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->EnsureTable(Notes("keyed", {"id"})).ok());
  ASSERT_TRUE(sink->EnsureTable(Notes("plain")).ok());
  EXPECT_EQ(CacheKiBDuringLoad(*sink, Notes("keyed", {"id"}), "a"), kLargeKiB);
  // And back: the limit follows each load's table.
  EXPECT_EQ(CacheKiBDuringLoad(*sink, Notes("plain"), "b"), kSmallKiB);
}

TEST_F(SqliteSinkCacheTest, HandMadeTablesOrderedByAKeyUseTheLargeCache) {
  ExecOrFail(db_,
             "CREATE TABLE indexed(id INTEGER NOT NULL, note TEXT);"
             "CREATE INDEX indexed_note ON indexed(note);"
             "CREATE TABLE unique_note(id INTEGER NOT NULL, note TEXT UNIQUE);"
             "CREATE TABLE rowid_key(id INTEGER PRIMARY KEY, note TEXT);"
             "CREATE TABLE no_rowid(id INTEGER NOT NULL PRIMARY KEY, note TEXT) WITHOUT ROWID;");
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_NE(sink, nullptr);
  for (const char* name : {"indexed", "unique_note", "rowid_key", "no_rowid"}) {
    EXPECT_EQ(CacheKiBDuringLoad(*sink, Notes(name), name), kLargeKiB) << name;
  }
}

TEST_F(SqliteSinkCacheTest, ALoneSinkKeepsItsCacheForItsNextLoad) {
  auto sink = OpenSqliteOrFail(db_);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->EnsureTable(Notes("plain")).ok());
  ASSERT_TRUE(Load(*sink, Notes("plain"), "a", 4000).ok());
  EXPECT_GT(sink->CacheBytes(), 2 << 20);
}

// Several workers' sinks on one database: each frees its cache after its load
// (the one that loaded last too), so they never hold one cache per worker.
TEST_F(SqliteSinkCacheTest, SinksSharingADatabaseFreeTheirCacheAfterEachLoad) {
  auto a = OpenSqliteOrFail(db_);
  auto b = OpenSqliteOrFail(db_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (const TableDef& table : {Notes("plain"), Notes("keyed", {"id"})}) {
    ASSERT_TRUE(a->EnsureTable(table).ok());
    ASSERT_TRUE(Load(*a, table, table.name + "a", 4000).ok());
    ASSERT_TRUE(Load(*b, table, table.name + "b", 4000).ok());
    EXPECT_LT(a->CacheBytes(), 256 << 10) << table.name;
    EXPECT_LT(b->CacheBytes(), 256 << 10) << table.name;
  }
  // Both loads of each table are there: freeing the cache loses nothing.
  EXPECT_EQ(testing::SqliteScalar(db_, "SELECT count(*) FROM plain"), "8000");
  EXPECT_EQ(testing::SqliteScalar(db_, "SELECT count(*) FROM keyed"), "4000");
  // Once the other sink is closed, the remaining one keeps its cache again.
  b.reset();
  ASSERT_TRUE(Load(*a, Notes("plain"), "c", 4000).ok());
  EXPECT_GT(a->CacheBytes(), 2 << 20);
}

}  // namespace
}  // namespace sluice
