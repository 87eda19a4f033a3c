// The MySQL sink against a real server (SLUICE_TEST_MYSQL_URL, started by
// scripts/test.sh): every coercion the server would make is refused as a bad row
// naming its file, line and column, on both load paths (LOAD DATA LOCAL and the
// INSERT fallback); keyed loads count the rows IGNORE skipped; string keys compare
// byte for byte; the INSERT fallback stores what LOAD DATA stores; names the
// server refuses are InvalidArgument; a refusal or an Abort while LOAD DATA
// statements are streamed leaves nothing behind; the first load into an empty
// table keeps every guarantee; timestamps keep their microseconds; TLS modes are
// enforced. (The
// fixture: mysql_sink_fixture.h; a user of its own: mysql_sink_user_test.cc.)
#include "sink/mysql/mysql_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "sink/contract_backends.h"
#include "sink/mysql/mysql_sink_fixture.h"
#include "sink/mysql/mysql_url.h"
#include "sink/registry.h"
#include "sink/sink_test_rows.h"
#include "sink/sink_text.h"
#include "test_util.h"

namespace sluice {
namespace {

using contract::Rows;
using contract::UniqueName;

// A table narrower than sluice's types, made by hand: each value it cannot hold
// fails the load with InvalidData naming the row's line and column, and nothing
// of the load is stored.
TEST_P(MysqlSinkTest, EachCoercionIsRefusedAsABadRowWithItsLine) {
  const std::string table = UniqueName("narrow");
  backend_->Query("CREATE TABLE " + backend_->QuoteId(table) +
                  "(id BIGINT NOT NULL, small TINYINT, at TIMESTAMP(6) NULL, "
                  "k VARCHAR(4), s LONGTEXT, nn BIGINT NOT NULL DEFAULT 0, "
                  "UNIQUE KEY sluice_key (k)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  const TableDef def{table,
                     {{"id", ColumnType::kInteger, false},
                      {"small", ColumnType::kInteger, true},
                      {"at", ColumnType::kTimestamp, true},
                      {"k", ColumnType::kString, true},
                      {"s", ColumnType::kString, true},
                      {"nn", ColumnType::kInteger, true}},
                     {"k"}};
  struct Case {
    const char* what;
    size_t column;
    int64_t value;
    std::string text;
    bool null = false;
  };
  const Case cases[] = {
      {"out-of-range integer", 1, 300, ""},
      {"bad date (TIMESTAMP ends in 2038)", 2, 4102444800000000, ""},  // 2100-01-01
      {"too-long key", 3, 0, "abcde"},
      {"invalid UTF-8", 4, 0, "ok\xff\xfe"},
      {"NULL into NOT NULL", 5, 0, "", true},
  };
  const std::string keys[] = {"k0", "k1", "k2"};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Batch batch;
    batch.Reset(def.columns);
    auto& cols = batch.columns();
    for (int row = 0; row < 3; ++row) {
      const bool bad = row == 1;
      cols[0].AppendInt(row);
      if (bad && c.column == 1) {
        cols[1].AppendInt(c.value);
      } else {
        cols[1].AppendInt(7);
      }
      if (bad && c.column == 2) {
        cols[2].AppendInt(c.value);
      } else {
        cols[2].AppendInt(1704153600000007);
      }
      cols[3].AppendString(bad && c.column == 3 ? std::string_view(c.text)
                                                : std::string_view(keys[row]));
      cols[4].AppendString(bad && c.column == 4 ? std::string_view(c.text) : "fine");
      if (bad && c.null) {
        cols[5].AppendNull();
      } else {
        cols[5].AppendInt(1);
      }
      batch.FinishRow(10 + row);
    }
    const LoadId load{UniqueName("bad"), "/in/f.csv"};
    const Status status = Load(def, batch, load);
    EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
    EXPECT_NE(status.message().find("/in/f.csv, line 11, column " + def.columns[c.column].name),
              std::string::npos)
        << status.message();
    // The refused row, as the pipeline reads it to load the file without it.
    ASSERT_EQ(sink_->refused().size(), 1u);
    EXPECT_EQ(sink_->refused()[0].load, 0u);
    EXPECT_EQ(sink_->refused()[0].line, 11u);
    EXPECT_EQ(sink_->refused()[0].column, def.columns[c.column].name);
    Result<bool> committed = sink_->IsCommitted(load.id);
    ASSERT_TRUE(committed.has_value());
    EXPECT_FALSE(*committed);
    EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(table)), (Rows{{"0"}}));
  }
}

// Side rows go in on both paths with the loads' rows; a side row the server
// would coerce fails the Commit with InvalidData naming the side table and the
// load's file, no RefusedRow, and nothing stored; a coerced row of the loads
// still pending when the side rows follow is reported with its line.
TEST_P(MysqlSinkTest, SideRowsAreCheckedLikeRowsAndNameNoRow) {
  const std::string table = UniqueName("main"), side_table = UniqueName("side");
  for (const std::string& name : {table, side_table}) {
    backend_->Query("CREATE TABLE " + backend_->QuoteId(name) +
                    "(id BIGINT NOT NULL, small TINYINT, k VARCHAR(4)) ENGINE=InnoDB DEFAULT "
                    "CHARSET=utf8mb4");
  }
  const std::vector<ColumnDef> columns = {{"id", ColumnType::kInteger, false},
                                          {"small", ColumnType::kInteger, true},
                                          {"k", ColumnType::kString, true}};
  const TableDef def{table, columns, {}}, side{side_table, columns, {}};
  // Rows (i, small, "k<i>") for i in [0, n), from line 10 + i.
  const std::string keys[] = {"k0", "k1", "k2"};
  auto rows = [&](const TableDef& into, size_t n, int64_t small) {
    Batch batch;
    batch.Reset(into.columns);
    for (size_t i = 0; i < n; ++i) {
      batch.columns()[0].AppendInt(static_cast<int64_t>(i));
      batch.columns()[1].AppendInt(i == 1 ? small : 7);
      batch.columns()[2].AppendString(keys[i]);
      batch.FinishRow(10 + i);
    }
    return batch;
  };
  auto count = [&](const std::string& name) {
    return backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(name));
  };

  // A side value the column cannot hold.
  const LoadId first{UniqueName("side"), "/in/first.csv"};
  ASSERT_TRUE(sink_->Begin(def, {first}, &side).ok());
  ASSERT_TRUE(sink_->Write(rows(def, 3, 7), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(rows(side, 2, 300), 0).ok());
  Status status = sink_->Commit().status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
  EXPECT_NE(status.message().find("side table \"" + side_table + "\", /in/first.csv"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(sink_->refused().empty());
  EXPECT_EQ(count(table), (Rows{{"0"}}));
  EXPECT_EQ(count(side_table), (Rows{{"0"}}));

  // A row of the load the column cannot hold: reported with its line, by the
  // Write (INSERT fallback) or when the side rows follow it (LOAD DATA).
  ASSERT_TRUE(sink_->Begin(def, {first}, &side).ok());
  status = sink_->Write(rows(def, 3, 300), 0);
  if (status.ok()) status = sink_->WriteSide(rows(side, 2, 7), 0);
  if (status.ok()) status = sink_->Commit().status();
  sink_->Abort();
  EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
  ASSERT_EQ(sink_->refused().size(), 1u);
  EXPECT_EQ(sink_->refused()[0].line, 11u);
  EXPECT_EQ(sink_->refused()[0].column, "small");
  EXPECT_EQ(count(side_table), (Rows{{"0"}}));

  ASSERT_TRUE(sink_->Begin(def, {first}, &side).ok());
  ASSERT_TRUE(sink_->Write(rows(def, 3, 7), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(rows(side, 2, -5), 0).ok());
  ASSERT_TRUE(sink_->Commit().has_value());
  EXPECT_EQ(count(table), (Rows{{"3"}}));
  EXPECT_EQ(
      backend_->Query("SELECT id, small, k FROM " + backend_->QuoteId(side_table) + " ORDER BY id"),
      (Rows{{"0", "7", "k0"}, {"1", "-5", "k1"}}));
}

// Every row a statement's warnings name is reported at once, each with its own
// load and line, so that one more try of the files loads without all of them.
TEST_P(MysqlSinkTest, EveryRefusedRowOfAStatementIsReported) {
  const TableDef def = HandMadeTable("narrow_all", "small", "TINYINT", ColumnType::kInteger);
  const std::string& table = def.name;
  auto batch_of = [&](const std::vector<int64_t>& smalls, uint64_t first_line) {
    Batch batch;
    batch.Reset(def.columns);
    for (size_t i = 0; i < smalls.size(); ++i) {
      batch.columns()[0].AppendInt(static_cast<int64_t>(i));
      batch.columns()[1].AppendInt(smalls[i]);
      batch.FinishRow(first_line + i);
    }
    return batch;
  };
  const std::vector<LoadId> loads = {{UniqueName("a"), "/in/a.csv"},
                                     {UniqueName("b"), "/in/b.csv"}};
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  Status status = sink_->Write(batch_of({1, 300, 2, -400}, 2), 0);
  if (status.ok()) status = sink_->Write(batch_of({500, 3}, 2), 1);
  if (status.ok()) status = sink_->Commit().status();
  sink_->Abort();
  ASSERT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
  std::vector<std::pair<size_t, uint64_t>> refused;
  for (const RefusedRow& row : sink_->refused()) {
    EXPECT_EQ(row.column, "small");
    EXPECT_NE(row.reason.find("1264"), std::string::npos) << row.reason;
    refused.emplace_back(row.load, row.line);
  }
  // LOAD DATA sends both loads' rows as one statement (at Commit); the INSERT
  // fallback stops at the first batch's statement.
  if (GetParam()) {
    EXPECT_EQ(refused, (std::vector<std::pair<size_t, uint64_t>>{{0, 3}, {0, 5}}));
  } else {
    EXPECT_EQ(refused, (std::vector<std::pair<size_t, uint64_t>>{{0, 3}, {0, 5}, {1, 2}}));
  }
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(table)), (Rows{{"0"}}));
}

// IGNORE skips the rows whose key exists (in the table or earlier in the load)
// and the skipped rows are counted per load; string keys are compared byte for
// byte, without case folding or trailing-space padding.
TEST_P(MysqlSinkTest, KeyedLoadsCountTheRowsIgnoreSkipped) {
  const TableDef def{UniqueName("keyed"),
                     {{"k", ColumnType::kString, false}, {"v", ColumnType::kInteger, true}},
                     {"k"}};
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  auto batch_of = [&](const std::vector<std::pair<std::string, int64_t>>& rows) {
    Batch batch;
    batch.Reset(def.columns);
    uint64_t line = 2;
    for (const auto& [k, v] : rows) {
      batch.columns()[0].AppendString(k);
      batch.columns()[1].AppendInt(v);
      batch.FinishRow(line++);
    }
    return batch;
  };
  // The strings must outlive the batches.
  const std::vector<std::pair<std::string, int64_t>> first = {{"a", 1}, {"b", 2}, {"a", 3}};
  const std::vector<std::pair<std::string, int64_t>> second = {
      {"a", 4}, {"A", 5}, {"a ", 6}, {"b", 7}, {"c", 8}};
  const Batch one = batch_of(first), two = batch_of(second);
  const std::vector<LoadId> loads = {{UniqueName("k1"), "/in/1.csv"},
                                     {UniqueName("k2"), "/in/2.csv"}};
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  ASSERT_TRUE(sink_->Write(one, 0).ok());
  ASSERT_TRUE(sink_->Write(two, 1).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].inserted, 2u);
  EXPECT_EQ((*counts)[0].skipped_by_key, 1u);
  EXPECT_EQ((*counts)[1].inserted, 3u);
  EXPECT_EQ((*counts)[1].skipped_by_key, 2u);
  EXPECT_EQ(backend_->Query("SELECT concat('[', k, ']'), v FROM " + backend_->QuoteId(def.name) +
                            " ORDER BY v"),
            (Rows{{"[a]", "1"}, {"[b]", "2"}, {"[A]", "5"}, {"[a ]", "6"}, {"[c]", "8"}}));
  EXPECT_EQ(backend_->Query(backend_->MarkerSql(loads[1].id)), (Rows{{"/in/2.csv", "3"}}));
}

// Timestamps go as text without their fraction's trailing zeros (".019"): the
// server stores each to the microsecond, in both paths.
TEST_P(MysqlSinkTest, TimestampFractionsAreStoredToTheMicrosecond) {
  const TableDef def{UniqueName("fractions"),
                     {{"id", ColumnType::kInteger, false}, {"at", ColumnType::kTimestamp, true}},
                     {}};
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  const int64_t base = 1704153600000000;  // 2024-01-02 00:00:00 UTC
  const int64_t offsets[] = {0, 7, 19000, 100000, 120, 999999, 10000000, -1};
  Batch batch;
  batch.Reset(def.columns);
  for (size_t i = 0; i < std::size(offsets); ++i) {
    batch.columns()[0].AppendInt(static_cast<int64_t>(i));
    batch.columns()[1].AppendInt(base + offsets[i]);
    batch.FinishRow(2 + i);
  }
  ASSERT_TRUE(Load(def, batch, {UniqueName("fractions"), "/in/f.csv"}).ok());
  EXPECT_EQ(backend_->Query("SELECT id, CAST(at AS CHAR) FROM " + backend_->QuoteId(def.name) +
                            " ORDER BY id"),
            (Rows{{"0", "2024-01-02 00:00:00.000000"},
                  {"1", "2024-01-02 00:00:00.000007"},
                  {"2", "2024-01-02 00:00:00.019000"},
                  {"3", "2024-01-02 00:00:00.100000"},
                  {"4", "2024-01-02 00:00:00.000120"},
                  {"5", "2024-01-02 00:00:00.999999"},
                  {"6", "2024-01-02 00:00:10.000000"},
                  {"7", "2024-01-01 23:59:59.999999"}}));
}

// The first load into an empty table (the case InnoDB's bulk insert is made for,
// see docs/benchmarks.md) is a load like any other: a bad row rolls all of it
// back and leaves the table empty, the load without it commits once, its id
// cannot commit again, and a later load adds to the rows; keyed, the rows the
// key skips are counted exactly, within a load and against committed rows.
TEST_P(MysqlSinkTest, LoadsIntoAnEmptyTableKeepEveryGuarantee) {
  for (const bool keyed : {false, true}) {
    SCOPED_TRACE(keyed ? "keyed" : "no key");
    const TableDef def{UniqueName("empty"),
                       {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
                       keyed ? std::vector<std::string>{"id"} : std::vector<std::string>{}};
    ASSERT_TRUE(sink_->EnsureTable(def).ok());
    const std::string table = backend_->QuoteId(def.name);
    // A value only the server finds bad: a label longer than the column.
    backend_->Query("ALTER TABLE " + table + " MODIFY label VARCHAR(8)");
    // Rows (id, "l<id>") from line 2 on; the label of `bad_id` too long. The
    // labels must outlive the batches.
    std::deque<std::string> labels;
    auto batch_of = [&](const std::vector<int64_t>& ids, int64_t bad_id) {
      Batch batch;
      batch.Reset(def.columns);
      for (size_t i = 0; i < ids.size(); ++i) {
        batch.columns()[0].AppendInt(ids[i]);
        labels.push_back(ids[i] == bad_id ? "much too long for the column"
                                          : "l" + std::to_string(ids[i]));
        batch.columns()[1].AppendString(labels.back());
        batch.FinishRow(2 + i);
      }
      return batch;
    };
    // Two statements' worth, the bad row in the second; keyed, a duplicate.
    std::vector<int64_t> ids = testing::IdRange(0, 40000);
    if (keyed) ids.push_back(5);
    const LoadId load{UniqueName("empty"), "/in/empty.csv"};
    Batch batch = batch_of(ids, 39000);
    const Status status = Load(def, batch, load);
    EXPECT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
    ASSERT_EQ(sink_->refused().size(), 1u);
    EXPECT_EQ(sink_->refused()[0].line, 2u + 39000);
    EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + table), (Rows{{"0"}}));
    EXPECT_EQ(backend_->Query(backend_->MarkerSql(load.id)), (Rows{}));
    // The load again without the bad row: committed once, every row once.
    ids.erase(ids.begin() + 39000);
    batch = batch_of(ids, -1);
    auto first = [&]() -> Result<std::vector<LoadCounts>> {
      RETURN_IF_ERROR(sink_->Begin(def, {load}));
      RETURN_IF_ERROR(sink_->Write(batch, 0));
      return sink_->Commit();
    }();
    ASSERT_TRUE(first.has_value()) << first.status().ToString();
    EXPECT_EQ((*first)[0].inserted, 39999u);
    EXPECT_EQ((*first)[0].skipped_by_key, keyed ? 1u : 0u);
    EXPECT_EQ(Load(def, batch, load).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(backend_->Query("SELECT count(*), count(DISTINCT id), sum(label = concat('l', id)) "
                              "FROM " +
                              table),
              (Rows{{"39999", "39999", "39999"}}));
    EXPECT_EQ(backend_->Query(backend_->MarkerSql(load.id)), (Rows{{"/in/empty.csv", "39999"}}));
    // A later load into the table, no longer empty: ids 39990..40009, the first
    // ten of them committed already.
    const LoadId later{UniqueName("later"), "/in/later.csv"};
    ASSERT_TRUE(sink_->Begin(def, {later}).ok());
    ASSERT_TRUE(sink_->Write(batch_of(testing::IdRange(39990, 40010), -1), 0).ok());
    auto counts = sink_->Commit();
    ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
    EXPECT_EQ((*counts)[0].inserted, keyed ? 10u : 20u);
    EXPECT_EQ((*counts)[0].skipped_by_key, keyed ? 10u : 0u);
    EXPECT_EQ(backend_->Query("SELECT count(*), count(DISTINCT id) FROM " + table),
              keyed ? (Rows{{"40009", "40009"}}) : (Rows{{"40019", "40009"}}));
  }
}

// Many rows, more than one LOAD DATA statement (kMaxChunkRows) and several
// Writes: every row arrives once, in both paths.
TEST_P(MysqlSinkTest, LargeLoadsSpanSeveralStatements) {
  const TableDef def{UniqueName("large"),
                     {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
                     {}};
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  const LoadId load{UniqueName("large"), "/in/large.csv"};
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  const int64_t per_batch = 25000;
  for (int64_t b = 0; b < 3; ++b) {
    std::vector<std::string> storage;
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < per_batch; ++i) ids.push_back(b * per_batch + i);
    ASSERT_TRUE(sink_->Write(testing::IdLabelBatch(def, ids, storage, "x\t"), 0).ok());
  }
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 3u * per_batch);
  EXPECT_EQ(backend_->Query("SELECT count(*), count(DISTINCT id), min(id), max(id), "
                            "sum(label = concat('x\\t', id)) FROM " +
                            backend_->QuoteId(def.name)),
            (Rows{{"75000", "75000", "0", "74999", "75000"}}));
}

// A refused row in a statement that has ended while later rows are still being
// sent (LOAD DATA streams its statements): a later Write or Commit fails with
// InvalidData naming every bad row, nothing is stored, and the sink loads again.
TEST_P(MysqlSinkTest, ARefusedRowStopsTheLoadWhileLaterRowsAreSent) {
  const TableDef def = HandMadeTable("refused_mid", "label", "VARCHAR(8)", ColumnType::kString);
  const std::string& table = def.name;
  const LoadId load{UniqueName("mid"), "/in/mid.csv"};
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  // Lines 2..5 are too long for VARCHAR(8) (four rows: one INSERT statement on
  // the fallback path); then the first statement fills up, and more rows follow
  // until the refusal comes back.
  Status status = sink_->Write(testing::IdLabelBatch(def, {0, 1, 2, 3}, storage, "too-long-"), 0);
  const int64_t full = static_cast<int64_t>(MysqlSink::kMaxChunkRows);
  if (status.ok()) {
    status = sink_->Write(testing::IdLabelBatch(def, testing::IdRange(4, full), storage, "l"), 0);
  }
  for (int64_t b = 0; b < 10 && status.ok(); ++b) {
    const int64_t from = full + b * 8192;
    status = sink_->Write(
        testing::IdLabelBatch(def, testing::IdRange(from, from + 8192), storage, "l"), 0);
  }
  if (status.ok()) status = sink_->Commit().status();
  ASSERT_EQ(status.code(), StatusCode::kInvalidData) << status.ToString();
  EXPECT_NE(status.message().find("/in/mid.csv, line 2, column label"), std::string::npos)
      << status.message();
  std::vector<uint64_t> lines;
  for (const RefusedRow& row : sink_->refused()) {
    EXPECT_EQ(row.column, "label");
    lines.push_back(row.line);
  }
  EXPECT_EQ(lines, (std::vector<uint64_t>{2, 3, 4, 5}));
  sink_->Abort();
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(table)), (Rows{{"0"}}));
  Result<bool> committed = sink_->IsCommitted(load.id);
  ASSERT_TRUE(committed.has_value()) << committed.status().ToString();
  EXPECT_FALSE(*committed);
  auto counts = testing::LoadIdLabels(*sink_, def, {load}, {testing::IdRange(0, 5)});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(table)), (Rows{{"5"}}));
}

// Abort (and the sink's destruction) while a statement is half sent: nothing
// is stored, no marker, and the same sink loads again; a call that needs the
// connection during a load (IsCommitted) waits for the statements sent.
TEST_P(MysqlSinkTest, AbortWhileAStatementIsHalfSentStoresNothing) {
  const TableDef def{UniqueName("abort_mid"),
                     {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
                     {}};
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  const std::string count_sql = "SELECT count(*) FROM " + backend_->QuoteId(def.name);
  const LoadId load{UniqueName("abort"), "/in/abort.csv"};
  std::vector<std::string> storage;
  const Batch many = MoreThanAStatement(def, storage);
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  ASSERT_TRUE(sink_->Write(many, 0).ok());
  sink_->Abort();
  EXPECT_EQ(backend_->Query(count_sql), (Rows{{"0"}}));
  EXPECT_EQ(backend_->Query(backend_->MarkerSql(load.id)), (Rows{}));

  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  ASSERT_TRUE(sink_->Write(many, 0).ok());
  Result<bool> other = sink_->IsCommitted(UniqueName("other"));
  ASSERT_TRUE(other.has_value()) << other.status().ToString();
  EXPECT_FALSE(*other);
  ASSERT_TRUE(sink_->Write(many, 0).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 80000u);
  EXPECT_EQ(backend_->Query(count_sql), (Rows{{"80000"}}));

  const LoadId dropped{UniqueName("dropped"), "/in/dropped.csv"};
  ASSERT_TRUE(sink_->Begin(def, {dropped}).ok());
  ASSERT_TRUE(sink_->Write(many, 0).ok());
  sink_.reset();
  EXPECT_EQ(backend_->Query(count_sql), (Rows{{"80000"}}));
  EXPECT_EQ(backend_->Query(backend_->MarkerSql(dropped.id)), (Rows{}));
}

// Two sluices claim one id at once: the second waits on the marker's row lock
// and, once the first commits, finds the id committed (AlreadyExists).
TEST_P(MysqlSinkTest, AConcurrentClaimantWaitsThenSeesTheIdCommitted) {
  const TableDef def{UniqueName("claim"),
                     {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
                     {}};
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  const LoadId load{UniqueName("claim"), "/in/claim.csv"};
  std::vector<std::string> storage;
  const Batch rows = testing::IdLabelBatch(def, {1, 2}, storage, "l");
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  ASSERT_TRUE(sink_->Write(rows, 0).ok());
  auto second = OpenSink(url_);
  ASSERT_TRUE(second.has_value()) << second.status().ToString();
  Status claimed;
  std::atomic<bool> returned{false};
  std::thread claimant([&] {
    claimed = (*second)->Begin(def, {load});
    returned = true;
  });
  // Bounded: the claimant's INSERT of the marker shows as a lock wait, or as a
  // statement naming the id that has not returned (a wait InnoDB does not list).
  const auto blocked = [&] {
    return backend_->Query(
               "SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_state = "
               "'LOCK WAIT' AND trx_query LIKE '%" +
               load.id + "%'") != Rows{} ||
           backend_->Query(
               "SELECT 1 FROM information_schema.PROCESSLIST WHERE id <> "
               "CONNECTION_ID() AND command = 'Query' AND info LIKE '%" +
               load.id + "%'") != Rows{};
  };
  bool waiting = false;
  for (int i = 0; i < 300 && !waiting && !returned; ++i) {
    waiting = blocked();
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(waiting) << "claimant: "
                       << (returned ? "returned " + claimed.ToString() : "still waiting")
                       << "\ntransactions: "
                       << ::testing::PrintToString(backend_->Query(
                              "SELECT trx_state, trx_mysql_thread_id, coalesce(trx_query, 'NULL') "
                              "FROM information_schema.INNODB_TRX"))
                       << "\nprocesses: "
                       << ::testing::PrintToString(backend_->Query(
                              "SELECT id, user, coalesce(state, 'NULL'), coalesce(info, 'NULL') "
                              "FROM information_schema.PROCESSLIST WHERE command <> 'Sleep'"));
  auto counts = sink_->Commit();
  claimant.join();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(claimed.code(), StatusCode::kAlreadyExists) << claimed.ToString();
  EXPECT_NE(claimed.message().find("/in/claim.csv"), std::string::npos) << claimed.message();
  EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name)), (Rows{{"2"}}));
}

TEST_P(MysqlSinkTest, NamesTheServerRefusesAreInvalidArgument) {
  for (const std::string& name : {std::string("trailing space "), std::string(65, 'n')}) {
    const TableDef def{name, {{"id", ColumnType::kInteger, false}}, {}};
    EXPECT_EQ(sink_->EnsureTable(def).code(), StatusCode::kInvalidArgument) << name;
  }
  const TableDef twice{UniqueName("case"),
                       {{"Id", ColumnType::kInteger, false}, {"iD", ColumnType::kInteger, true}},
                       {}};
  EXPECT_EQ(sink_->EnsureTable(twice).code(), StatusCode::kInvalidArgument);
}

// ssl-mode=REQUIRED connects over TLS or not at all; VERIFY_IDENTITY without a
// CA that signed the server's certificate does not connect.
TEST_P(MysqlSinkTest, TlsModesAreEnforced) {
  const Rows have = backend_->Query("SELECT @@have_ssl");
  const bool tls = !have.empty() && have[0][0] == "YES";
  const std::string sep = url_.find('?') == std::string::npos ? "?" : "&";
  auto required = OpenSink(url_ + sep + "ssl-mode=REQUIRED");
  if (tls) {
    EXPECT_TRUE(required.has_value()) << required.status().ToString();
  } else {
    ASSERT_FALSE(required.has_value());
    EXPECT_EQ(required.status().code(), StatusCode::kPermissionDenied)
        << required.status().ToString();
  }
  auto verified = OpenSink(url_ + sep + "ssl-mode=VERIFY_IDENTITY&ssl-ca=%2Fnonexistent.pem");
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.status().code(), StatusCode::kPermissionDenied)
      << verified.status().ToString();
  auto disabled = OpenSink(url_ + sep + "ssl-mode=DISABLED");
  EXPECT_TRUE(disabled.has_value()) << disabled.status().ToString();
  // The CA of the test server's certificate, when scripts/servers/mariadb.sh
  // could make one: the certificate verifies for 127.0.0.1, and a load works.
  const char* ca = std::getenv("SLUICE_TEST_MYSQL_SSL_CA");
  if (tls && ca != nullptr && *ca != '\0') {
    auto sink = OpenSink(url_ + sep + "ssl-mode=VERIFY_IDENTITY&ssl-ca=" + PercentEncode(ca));
    ASSERT_TRUE(sink.has_value()) << sink.status().ToString();
    const TableDef def{UniqueName("tls"), {{"id", ColumnType::kInteger, false}}, {}};
    ASSERT_TRUE((*sink)->EnsureTable(def).ok());
    Batch batch;
    batch.Reset(def.columns);
    batch.columns()[0].AppendInt(1);
    batch.FinishRow(2);
    ASSERT_TRUE((*sink)->Begin(def, {{UniqueName("tls"), "/in/tls.csv"}}).ok());
    ASSERT_TRUE((*sink)->Write(batch, 0).ok());
    ASSERT_TRUE((*sink)->Commit().has_value());
    EXPECT_EQ(backend_->Query("SELECT count(*) FROM " + backend_->QuoteId(def.name)),
              (Rows{{"1"}}));
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, MysqlSinkTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? std::string("InsertFallback")
                                             : std::string("LoadDataLocal");
                         });

}  // namespace
}  // namespace sluice
