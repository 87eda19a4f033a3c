#include "sink/sqlite/sqlite_sink.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "sink/add_columns_contract.h"
#include "sink/registry.h"
#include "sink/sqlite_test_db.h"
#include "test_util.h"

namespace sluice {
namespace {

using Rows = testing::SqliteRows;

// Read the database through a separate connection, as another process would.
constexpr auto& Query = testing::SqliteQuery;
constexpr auto& Scalar = testing::SqliteScalar;
constexpr auto& OpenOrDie = testing::OpenSqliteOrFail;

TableDef Readings(std::vector<std::string> key = {}) {
  return {"readings",
          {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
          std::move(key)};
}

// Rows (id, "label<id>") for the given ids; row i comes from line 2 + i.
Batch ReadingsBatch(const std::vector<int64_t>& ids, std::vector<std::string>& labels) {
  Batch batch;
  batch.Reset(Readings().columns);
  labels.clear();
  labels.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    labels.push_back("label" + std::to_string(ids[i]));
    batch.columns()[0].AppendInt(ids[i]);
    batch.columns()[1].AppendString(labels.back());
    batch.FinishRow(2 + i);
  }
  return batch;
}

// Begin + Write(ids) + Commit.
Result<LoadCounts> Load(Sink& sink, const TableDef& table, const std::string& id,
                        const std::vector<int64_t>& ids) {
  std::vector<std::string> labels;
  Batch batch = ReadingsBatch(ids, labels);
  RETURN_IF_ERROR(sink.Begin(table, {{id, "/in/" + id + ".csv"}}));
  RETURN_IF_ERROR(sink.Write(batch, 0));
  ASSIGN_OR_RETURN(std::vector<LoadCounts> counts, sink.Commit());
  return counts.front();
}

// The database two folders down, which do not exist yet: every sink opened makes them.
class SqliteSinkTest : public testing::SqliteDbTest {
 protected:
  SqliteSinkTest() { db_ = dir_ / "out/sub/db.sqlite"; }
};

TEST_F(SqliteSinkTest, OpenCreatesParentDirectoryAndWal) {
  auto sink = OpenOrDie(db_);
  ASSERT_NE(sink, nullptr);
  EXPECT_TRUE(std::filesystem::exists(db_));
  EXPECT_EQ(Scalar(db_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM \"_sluice_loads\""), "0");
  EXPECT_TRUE(sink->Ping().ok());
}

TEST_F(SqliteSinkTest, OpenRejectsAFileThatIsNotADatabase) {
  testing::WriteFile(dir_ / "notes.txt", std::string(4096, 'x'));
  auto sink = SqliteSink::Open(dir_ / "notes.txt");
  ASSERT_FALSE(sink.has_value());
  EXPECT_EQ(sink.error().code(), StatusCode::kInvalidArgument) << sink.error().ToString();
}

TEST_F(SqliteSinkTest, OpenSinkDispatchesSqliteUrls) {
  auto plain = OpenSink("sqlite:" + (dir_ / "a/plain.db"));
  ASSERT_TRUE(plain.has_value()) << plain.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "a/plain.db"));

  auto slashes = OpenSink("sqlite://" + (dir_ / "b/slashes.db"));  // sqlite:///tmp/...
  ASSERT_TRUE(slashes.has_value()) << slashes.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "b/slashes.db"));

  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  auto relative = OpenSink("sqlite:rel/one.db");
  auto relative_slashes = OpenSink("sqlite://rel/two.db");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(relative.has_value()) << relative.status().ToString();
  ASSERT_TRUE(relative_slashes.has_value()) << relative_slashes.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "rel/one.db"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "rel/two.db"));
}

TEST_F(SqliteSinkTest, OpenSinkRejectsUnknownSchemesAndEmptyPaths) {
  for (const char* url : {"postgresx://host/db", "nonsense", "", "sqlite:", "sqlite://"}) {
    auto sink = OpenSink(url);
    ASSERT_FALSE(sink.has_value()) << url;
    EXPECT_EQ(sink.error().code(), StatusCode::kInvalidArgument) << url;
  }
  EXPECT_NE(OpenSink("oracle://x").error().message().find("unsupported sink"), std::string::npos);
}

TEST_F(SqliteSinkTest, CreateAndDescribeRoundTripEveryType) {
  auto sink = OpenOrDie(db_);
  const TableDef table{"all_types",
                       {{"i", ColumnType::kInteger, false},
                        {"f", ColumnType::kFloat, true},
                        {"b", ColumnType::kBoolean, false},
                        {"d", ColumnType::kDate, true},
                        {"t", ColumnType::kTimestamp, false},
                        {"s", ColumnType::kString, true}},
                       {"t", "i"}};
  auto missing = sink->DescribeTable("all_types");
  ASSERT_TRUE(missing.has_value()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(sink->EnsureTable(table).ok());
  auto described = sink->DescribeTable("all_types");
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  ASSERT_TRUE(described->has_value());
  EXPECT_EQ((*described)->name, table.name);
  EXPECT_EQ((*described)->columns, table.columns);
  EXPECT_EQ((*described)->key, table.key);
  EXPECT_EQ(Scalar(db_, "SELECT type FROM pragma_table_info('all_types') WHERE name = 'd'"),
            "DATE");
}

TEST_F(SqliteSinkTest, EnsureTableLeavesAnExistingTableAlone) {
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  TableDef changed = Readings({"id"});
  changed.columns.push_back({"extra", ColumnType::kFloat, true});
  ASSERT_TRUE(sink->EnsureTable(changed).ok());
  auto described = sink->DescribeTable("readings");
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->columns, Readings().columns);
  EXPECT_TRUE((*described)->key.empty());
}

TEST_F(SqliteSinkTest, EnsureTableRejectsBadDefinitions) {
  auto sink = OpenOrDie(db_);
  const std::vector<TableDef> bad = {
      {"", {{"a", ColumnType::kInteger, true}}, {}},
      {"no_columns", {}, {}},
      {"t", {{"a", ColumnType::kInteger, true}}, {"missing"}},
      {"t", {{"a", ColumnType::kInteger, true}, {"A", ColumnType::kString, true}}, {}},
      {"_sluice_loads", {{"a", ColumnType::kInteger, true}}, {}},
      {"sqlite_x", {{"a", ColumnType::kInteger, true}}, {}},
  };
  for (const TableDef& table : bad) {
    Status status = sink->EnsureTable(table);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument)
        << table.name << " " << status.ToString();
  }
}

TEST_F(SqliteSinkTest, DescribeMapsDeclaredTypesOfHandMadeTables) {
  auto sink = OpenOrDie(db_);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE manual(a bigint NOT NULL, b VARCHAR(20), c datetime, "
                           "d double, e BLOB, f, g INTEGER GENERATED ALWAYS AS (a + 1))",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto described = sink->DescribeTable("manual");
  ASSERT_TRUE(described.has_value() && described->has_value());
  const std::vector<ColumnDef> expected = {
      {"a", ColumnType::kInteger, false},  {"b", ColumnType::kString, true},
      {"c", ColumnType::kTimestamp, true}, {"d", ColumnType::kFloat, true},
      {"e", ColumnType::kString, true},    {"f", ColumnType::kString, true},
  };
  EXPECT_EQ((*described)->columns, expected);
  EXPECT_TRUE((*described)->key.empty());
}

TEST_F(SqliteSinkTest, CommittedRowsHaveTheRightStoredValues) {
  auto sink = OpenOrDie(db_);
  const TableDef table{"v",
                       {{"i", ColumnType::kInteger, true},
                        {"f", ColumnType::kFloat, true},
                        {"b", ColumnType::kBoolean, true},
                        {"d", ColumnType::kDate, true},
                        {"t", ColumnType::kTimestamp, true},
                        {"s", ColumnType::kString, true}},
                       {}};
  ASSERT_TRUE(sink->EnsureTable(table).ok());
  Batch batch;
  batch.Reset(table.columns);
  auto& c = batch.columns();
  // Row 1: modern values with a fractional timestamp.
  c[0].AppendInt(-9'000'000'000'000'000'000);
  c[1].AppendFloat(2.5);
  c[2].AppendInt(1);
  c[3].AppendInt(19782);                         // 2024-02-29
  c[4].AppendInt(1'709'210'096'000'001);         // 2024-02-29T12:34:56.000001Z
  c[5].AppendString("h\xC3\xA9llo, \"world\"");  // UTF-8 and quotes
  batch.FinishRow(7);
  // Row 2: before 1970, whole seconds, empty string (not NULL).
  c[0].AppendInt(0);
  c[1].AppendFloat(-1e-300);
  c[2].AppendInt(0);
  c[3].AppendInt(-1);          // 1969-12-31
  c[4].AppendInt(-1'500'000);  // 1969-12-31T23:59:58.500000Z
  c[5].AppendString(std::string_view());
  batch.FinishRow(8);
  // Row 3: all NULL.
  for (Column& column : c) column.AppendNull();
  batch.FinishRow(9);
  // Row 4: the first day of year 1 and an exact second.
  c[0].AppendInt(42);
  c[1].AppendFloat(1e300);
  c[2].AppendInt(1);
  c[3].AppendInt(-719162);                 // 0001-01-01
  c[4].AppendInt(-2'208'988'800'000'000);  // 1900-01-01T00:00:00Z
  c[5].AppendString("");
  batch.FinishRow(10);

  ASSERT_TRUE(sink->Begin(table, {{"hash1", "/in/v.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 4u);
  EXPECT_EQ(counts->front().skipped_by_key, 0u);

  const Rows expected = {
      {"-9000000000000000000", "2.5", "1", "2024-02-29", "2024-02-29 12:34:56.000001",
       "h\xC3\xA9llo, \"world\""},
      {"0", "-1.0e-300", "0", "1969-12-31", "1969-12-31 23:59:58.500000", ""},
      {"NULL", "NULL", "NULL", "NULL", "NULL", "NULL"},
      {"42", "1.0e+300", "1", "0001-01-01", "1900-01-01 00:00:00", ""},
  };
  EXPECT_EQ(Query(db_, "SELECT i, f, b, d, t, s FROM v ORDER BY rowid"), expected);
  // Storage classes: numbers as numbers, dates as text, '' is not NULL.
  EXPECT_EQ(Query(db_,
                  "SELECT typeof(i), typeof(f), typeof(b), typeof(d), typeof(t), "
                  "typeof(s) FROM v WHERE rowid = 2"),
            (Rows{{"integer", "real", "integer", "text", "text", "text"}}));
  // SQLite's date functions read the stored text.
  EXPECT_EQ(Scalar(db_, "SELECT strftime('%Y-%m-%d %H:%M:%f', t) FROM v WHERE rowid = 2"),
            "1969-12-31 23:59:58.500");
  EXPECT_EQ(Scalar(db_, "SELECT unixepoch(t) FROM v WHERE rowid = 1"), "1709210096");

  EXPECT_EQ(Query(db_, "SELECT load_id, table_name, file, rows, skipped FROM _sluice_loads"),
            (Rows{{"hash1", "v", "/in/v.csv", "4", "0"}}));
  EXPECT_EQ(Scalar(db_,
                   "SELECT committed_at GLOB "
                   "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:*' FROM _sluice_loads"),
            "1");
}

TEST_F(SqliteSinkTest, IsCommittedOnlyAfterCommit) {
  auto sink = OpenOrDie(db_);
  auto other = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  EXPECT_FALSE(*sink->IsCommitted("h"));
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(Readings(), {{"h", "/in/h.csv"}}).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch({1, 2}, labels), 0).ok());
  EXPECT_FALSE(*sink->IsCommitted("h"));
  EXPECT_FALSE(*other->IsCommitted("h"));
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM readings"), "0");  // not visible yet
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_TRUE(*sink->IsCommitted("h"));
  EXPECT_TRUE(*other->IsCommitted("h"));
  EXPECT_FALSE(*other->IsCommitted("other"));
}

TEST_F(SqliteSinkTest, AbortLeavesNothingAndTheIdCanBeLoadedAgain) {
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(Readings(), {{"h", "/in/h.csv"}}).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch({1, 2, 3}, labels), 0).ok());
  sink->Abort();
  sink->Abort();  // idempotent
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM readings"), "0");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM _sluice_loads"), "0");
  EXPECT_FALSE(*sink->IsCommitted("h"));

  auto counts = Load(*sink, Readings(), "h", {4, 5});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(Scalar(db_, "SELECT group_concat(id) FROM readings"), "4,5");
}

TEST_F(SqliteSinkTest, DestroyingTheSinkMidLoadLeavesNothing) {
  {
    auto sink = OpenOrDie(db_);
    ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
    std::vector<std::string> labels;
    ASSERT_TRUE(sink->Begin(Readings(), {{"h", "/in/h.csv"}}).ok());
    ASSERT_TRUE(sink->Write(ReadingsBatch({1, 2, 3}, labels), 0).ok());
  }
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM readings"), "0");
  auto sink = OpenOrDie(db_);
  EXPECT_FALSE(*sink->IsCommitted("h"));
  EXPECT_TRUE(Load(*sink, Readings(), "h", {1}).has_value());
}

// A process killed with SIGKILL runs no destructor: what it committed stays, what
// it had in flight vanishes.
TEST_F(SqliteSinkTest, KilledProcessKeepsCommittedLoadsAndLosesTheOneInFlight) {
  {
    auto sink = OpenOrDie(db_);
    ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto sink = SqliteSink::Open(db_);
    if (!sink.has_value()) _exit(2);
    if (!Load(**sink, Readings(), "done", {1, 2, 3}).has_value()) _exit(3);
    std::vector<int64_t> ids(50000);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = 100 + static_cast<int64_t>(i);
    std::vector<std::string> labels;
    Batch batch = ReadingsBatch(ids, labels);
    if (!(*sink)->Begin(Readings(), {{"in_flight", "/in/x.csv"}}).ok()) _exit(4);
    if (!(*sink)->Write(batch, 0).ok()) _exit(5);
    kill(getpid(), SIGKILL);
    _exit(6);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited with " << WEXITSTATUS(wstatus);
  ASSERT_EQ(WTERMSIG(wstatus), SIGKILL);

  auto sink = OpenOrDie(db_);
  EXPECT_TRUE(*sink->IsCommitted("done"));
  EXPECT_FALSE(*sink->IsCommitted("in_flight"));
  EXPECT_EQ(Scalar(db_, "SELECT group_concat(id) FROM readings"), "1,2,3");
  auto redo = Load(*sink, Readings(), "in_flight", {100});
  ASSERT_TRUE(redo.has_value()) << redo.status().ToString();
}

TEST_F(SqliteSinkTest, BeginWithACommittedIdIsAlreadyExistsAndReleasesTheLock) {
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  ASSERT_TRUE(Load(*sink, Readings(), "h", {1}).has_value());
  Status again = sink->Begin(Readings(), {{"h", "/in/copy.csv"}});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();

  // The write lock is free: another connection gets it without waiting.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE; ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_TRUE(Load(*sink, Readings(), "h2", {2}).has_value());
}

TEST_F(SqliteSinkTest, ProtocolMisuseIsRefused) {
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  std::vector<std::string> labels;
  EXPECT_EQ(sink->Write(ReadingsBatch({1}, labels), 0).code(), StatusCode::kInternal);
  EXPECT_EQ(sink->Commit().status().code(), StatusCode::kInternal);
  EXPECT_EQ(sink->Begin(Readings(), {{"", "/in/x.csv"}}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(sink->Begin(Readings(), {{"h", "/in/h.csv"}}).ok());
  EXPECT_EQ(sink->Begin(Readings(), {{"h2", "/in/h2.csv"}}).code(), StatusCode::kInternal);
  Batch wrong;
  wrong.Reset({{"id", ColumnType::kString, true}, {"label", ColumnType::kString, true}});
  wrong.columns()[0].AppendString("1");
  wrong.columns()[1].AppendString("x");
  wrong.FinishRow(2);
  EXPECT_EQ(sink->Write(wrong, 0).code(), StatusCode::kInternal);
  sink->Abort();
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM readings"), "0");
}

// sink.h requires the rows of a group's loads in order ("load" never decreases);
// SQLite took a Write to an earlier load, counting its rows for the wrong file.
TEST_F(SqliteSinkTest, WriteToAnEarlierLoadOfTheGroupIsRefused) {
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(Readings(), {{"a", "/in/a.csv"}, {"b", "/in/b.csv"}}).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch({1}, labels), 1).ok());
  EXPECT_EQ(sink->Write(ReadingsBatch({2}, labels), 0).code(), StatusCode::kInternal);
  // The refused Write stored nothing; the loads go on.
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 0u);
  EXPECT_EQ((*counts)[1].inserted, 1u);
  EXPECT_EQ(Scalar(db_, "SELECT group_concat(id) FROM readings"), "1");
  EXPECT_EQ(Scalar(db_,
                   "SELECT group_concat(load_id || ':' || rows) FROM _sluice_loads "
                   "ORDER BY load_id"),
            "a:0,b:1");
}

TEST_F(SqliteSinkTest, KeySkipsExistingRowsAcrossLoads) {
  auto sink = OpenOrDie(db_);
  const TableDef table = Readings({"id"});
  ASSERT_TRUE(sink->EnsureTable(table).ok());
  auto first = Load(*sink, table, "f1", {1, 2, 3});
  ASSERT_TRUE(first.has_value()) << first.status().ToString();
  EXPECT_EQ(first->inserted, 3u);
  EXPECT_EQ(first->skipped_by_key, 0u);

  // A second open, so the statement cache is not what remembers the key.
  sink = OpenOrDie(db_);
  std::vector<std::string> labels;
  Batch batch = ReadingsBatch({2, 3, 4, 4}, labels);
  labels[0] = "changed";  // an existing key is skipped, not updated
  batch.columns()[1].strings[0] = labels[0];
  ASSERT_TRUE(sink->Begin(table, {{"f2", "/in/f2.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  auto second = sink->Commit();
  ASSERT_TRUE(second.has_value()) << second.status().ToString();
  EXPECT_EQ(second->front().inserted, 1u);
  EXPECT_EQ(second->front().skipped_by_key, 3u);

  EXPECT_EQ(Query(db_, "SELECT id, label FROM readings ORDER BY id"),
            (Rows{{"1", "label1"}, {"2", "label2"}, {"3", "label3"}, {"4", "label4"}}));
  EXPECT_EQ(Query(db_, "SELECT load_id, rows, skipped FROM _sluice_loads ORDER BY load_id"),
            (Rows{{"f1", "3", "0"}, {"f2", "1", "3"}}));
}

TEST_F(SqliteSinkTest, HostileIdentifiersAreJustNames) {
  auto sink = OpenOrDie(db_);
  const TableDef victim{"x", {{"a", ColumnType::kInteger, true}}, {}};
  ASSERT_TRUE(sink->EnsureTable(victim).ok());
  const TableDef table{"we\"ird; DROP TABLE x; --",
                       {{"select", ColumnType::kInteger, false},
                        {"a\"b", ColumnType::kString, true},
                        {"\xE6\x97\xA5\xE6\x9C\xAC", ColumnType::kDate, true}},  // 日本
                       {"a\"b"}};
  Status created = sink->EnsureTable(table);
  ASSERT_TRUE(created.ok()) << created.ToString();
  auto described = sink->DescribeTable(table.name);
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  ASSERT_TRUE(described->has_value());
  EXPECT_EQ((*described)->columns, table.columns);
  EXPECT_EQ((*described)->key, table.key);

  Batch batch;
  batch.Reset(table.columns);
  for (int i = 0; i < 2; ++i) {
    batch.columns()[0].AppendInt(i);
    batch.columns()[1].AppendString("same key");
    batch.columns()[2].AppendInt(0);
    batch.FinishRow(2 + i);
  }
  ASSERT_TRUE(sink->Begin(table, {{"h", "/in/\"; DROP TABLE x; --.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 1u);
  EXPECT_EQ(counts->front().skipped_by_key, 1u);

  EXPECT_EQ(Query(db_,
                  "SELECT \"select\", \"a\"\"b\", \"\xE6\x97\xA5\xE6\x9C\xAC\" FROM "
                  "\"we\"\"ird; DROP TABLE x; --\""),
            (Rows{{"0", "same key", "1970-01-01"}}));
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM sqlite_master WHERE name = 'x'"), "1");
  EXPECT_EQ(Scalar(db_, "SELECT file FROM _sluice_loads"), "/in/\"; DROP TABLE x; --.csv");
}

TEST_F(SqliteSinkTest, NotNullViolationIsInvalidDataNamingTheLine) {
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  Batch batch;
  batch.Reset(Readings().columns);
  batch.columns()[0].AppendInt(1);
  batch.columns()[1].AppendString("ok");
  batch.FinishRow(10);
  batch.columns()[0].AppendNull();  // id is NOT NULL
  batch.columns()[1].AppendString("bad");
  batch.FinishRow(11);
  ASSERT_TRUE(sink->Begin(Readings(), {{"h", "/in/h.csv"}}).ok());
  Status status = sink->Write(batch, 0);
  EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
  EXPECT_NE(status.message().find("line 11"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("NOT NULL"), std::string::npos) << status.ToString();
  // The row, as the pipeline reads it to load the file again without it.
  ASSERT_EQ(sink->refused().size(), 1u);
  EXPECT_EQ(sink->refused()[0].line, 11u);
  EXPECT_NE(sink->refused()[0].reason.find("NOT NULL"), std::string::npos);
  // Line 10 was inserted before the failure; the load must not commit it alone.
  EXPECT_EQ(sink->Commit().status().code(), StatusCode::kInternal);
  sink->Abort();
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM readings"), "0");
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM _sluice_loads"), "0");
  EXPECT_TRUE(Load(*sink, Readings(), "h", {1}).has_value());
}

// The aggregates table is wider than many loaded tables and holds timestamps:
// its dates and times are bound from their own text buffers, past the table's
// columns. Both tables are committed with the marker, in one transaction.
TEST_F(SqliteSinkTest, SideRowsOfAWiderTableKeepTheirDatesAndTimes) {
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(Readings()).ok());
  const TableDef side{"readings_file_stats",
                      {{"_file", ColumnType::kString, false},
                       {"column", ColumnType::kString, false},
                       {"mean", ColumnType::kFloat, true},
                       {"day", ColumnType::kDate, true},
                       {"_loaded_at", ColumnType::kTimestamp, false}},
                      {}};
  ASSERT_TRUE(sink->EnsureTable(side).ok());
  Batch stats;
  stats.Reset(side.columns);
  auto& c = stats.columns();
  for (int64_t i : {0, 1}) {
    c[0].AppendString("/in/h.csv");
    c[1].AppendString(i == 0 ? "id" : "label");
    c[2].AppendFloat(2.5 + static_cast<double>(i));
    c[3].AppendInt(19782 + i);                              // 2024-02-29, 2024-03-01
    c[4].AppendInt(1'709'210'096'000'001 + i * 1'000'000);  // 2024-02-29T12:34:56.000001Z
    stats.FinishRow(0);
  }
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(Readings(), {{"h", "/in/h.csv"}}, &side).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch({1, 2}, labels), 0).ok());
  ASSERT_TRUE(sink->WriteSide(stats, 0).ok());
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM readings_file_stats"), "0");
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(Query(db_, "SELECT * FROM readings_file_stats ORDER BY \"column\""),
            (Rows{{"/in/h.csv", "id", "2.5", "2024-02-29", "2024-02-29 12:34:56.000001"},
                  {"/in/h.csv", "label", "3.5", "2024-03-01", "2024-02-29 12:34:57.000001"}}));
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM readings"), "2");
}

TEST_F(SqliteSinkTest, ConcurrentOpensOfAFreshFileSucceed) {
  constexpr int kThreads = 4;
  std::latch start(kThreads);
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto sink = SqliteSink::Open(db_);
      if (!sink.has_value()) {
        results[t] = sink.error();
        return;
      }
      results[t] = (*sink)->EnsureTable(Readings({"id"}));
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& status : results) EXPECT_TRUE(status.ok()) << status.ToString();
}

// Each load holds the write lock from Begin to Commit, so two workers loading
// into one file take turns: both succeed and their rows do not interleave.
TEST_F(SqliteSinkTest, TwoSinksLoadTheSameFileConcurrently) {
  const TableDef table{
      "events", {{"worker", ColumnType::kInteger, false}, {"n", ColumnType::kInteger, true}}, {}};
  ASSERT_TRUE(OpenOrDie(db_)->EnsureTable(table).ok());
  std::latch start(2);
  std::vector<Status> results(2);
  auto worker = [&](int id) {
    auto sink = SqliteSink::Open(db_);
    if (!sink.has_value()) {
      results[id] = sink.error();
      return;
    }
    start.arrive_and_wait();
    results[id] = [&]() -> Status {
      RETURN_IF_ERROR((*sink)->Begin(table, {{"load" + std::to_string(id), "/in/f.csv"}}));
      Batch batch;
      batch.Reset(table.columns);
      for (int round = 0; round < 5; ++round) {
        batch.Clear();
        for (int i = 0; i < 1000; ++i) {
          batch.columns()[0].AppendInt(id);
          batch.columns()[1].AppendInt(round * 1000 + i);
          batch.FinishRow(i + 2);
        }
        RETURN_IF_ERROR((*sink)->Write(batch, 0));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return (*sink)->Commit().status();
    }();
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1);
  a.join();
  b.join();
  ASSERT_TRUE(results[0].ok()) << results[0].ToString();
  ASSERT_TRUE(results[1].ok()) << results[1].ToString();

  const Rows ranges =
      Query(db_,
            "SELECT worker, min(rowid), max(rowid), count(*) FROM events GROUP BY worker "
            "ORDER BY min(rowid)");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0][3], "5000");
  EXPECT_EQ(ranges[1][3], "5000");
  EXPECT_LT(std::stoll(ranges[0][2]), std::stoll(ranges[1][1]));
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM _sluice_loads"), "2");
}

// The bulk path: 1,000,000 rows of (sensor_id, ts, three floats, status) in
// batches of 4096, timed from Begin to Commit (building the batches included).
TEST_F(SqliteSinkTest, BulkLoadOfAMillionRows) {
  constexpr size_t kRows = 1'000'000;
  constexpr size_t kBatch = 4096;
  const TableDef table{"measurements",
                       {{"sensor_id", ColumnType::kInteger, false},
                        {"ts", ColumnType::kTimestamp, false},
                        {"temperature", ColumnType::kFloat, true},
                        {"humidity", ColumnType::kFloat, true},
                        {"pressure", ColumnType::kFloat, true},
                        {"status", ColumnType::kString, true}},
                       {}};
  auto sink = OpenOrDie(db_);
  ASSERT_TRUE(sink->EnsureTable(table).ok());
  const std::string_view statuses[] = {"ok", "warn", "error", "maintenance"};
  Batch batch;
  batch.Reset(table.columns);

  // CPU time too: wall time swings with whatever else shares the machine.
  const std::clock_t cpu_start = std::clock();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(sink->Begin(table, {{"bulk", "/in/bulk.csv"}}).ok());
  for (size_t row = 0; row < kRows;) {
    batch.Clear();
    for (size_t i = 0; i < kBatch && row < kRows; ++i, ++row) {
      auto& c = batch.columns();
      c[0].AppendInt(static_cast<int64_t>(row % 1000));
      c[1].AppendInt(1'700'000'000'000'000 + static_cast<int64_t>(row) * 250'000);
      c[2].AppendFloat(20.0 + static_cast<double>(row % 100) / 10);
      c[3].AppendFloat(0.5 + static_cast<double>(row % 50) / 100);
      c[4].AppendFloat(1013.25 - static_cast<double>(row % 30));
      c[5].AppendString(statuses[row % 4]);
      batch.FinishRow(row + 2);
    }
    ASSERT_TRUE(sink->Write(batch, 0).ok());
  }
  auto counts = sink->Commit();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, kRows);
  std::printf("[ rate     ] %zu rows in %.3f s: %.0f rows/s (CPU %.3f s: %.0f rows/s)\n", kRows,
              seconds, kRows / seconds, cpu_seconds, kRows / cpu_seconds);

  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM measurements"), std::to_string(kRows));
  EXPECT_EQ(Query(db_, "SELECT sensor_id, ts, status FROM measurements WHERE rowid = 1000000"),
            (Rows{{"999", "2023-11-17 19:39:59.750000", "maintenance"}}));
}

TEST_F(SqliteSinkTest, AddColumnsAddsMissingColumnsNullableOnce) {
  ::sluice::testing::CheckAddColumns([&]() -> std::unique_ptr<Sink> { return OpenOrDie(db_); },
                                     "evolving", "evolving",
                                     [&](const std::string& sql) { return Scalar(db_, sql); });
  // Names compare as SQLite compares them: ignoring ASCII case.
  auto added = OpenOrDie(db_)->AddColumns("evolving", {{"NOTE", ColumnType::kString, true}});
  ASSERT_TRUE(added.has_value()) << added.status().ToString();
  EXPECT_TRUE(added->empty());
}

}  // namespace
}  // namespace sluice
