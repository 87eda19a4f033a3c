// Keyed ClickHouse tables against a real server: of the rows of one key, the one
// written first is the one merges keep (as the first committed row in the SQL
// sinks), and the rows a crashed attempt left behind never beat rows committed
// before them.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/clickhouse/clickhouse_test_util.h"
#include "test_util.h"

namespace sluice {
namespace {

using namespace ::sluice::clickhouse_test;  // NOLINT(build/namespaces)

class ClickHouseVersionsTest : public ClickHouseServerTest {};

// Rows (id, label), row i from line 2 + i.
Batch LabelledBatch(const TableDef& table,
                    const std::vector<std::pair<int64_t, std::string>>& rows) {
  Batch batch;
  batch.Reset(table.columns);
  for (size_t i = 0; i < rows.size(); ++i) {
    batch.columns()[0].AppendInt(rows[i].first);
    batch.columns()[1].AppendString(rows[i].second);
    batch.FinishRow(2 + i);
  }
  return batch;
}

Status LoadLabelled(Sink& sink, const TableDef& table, const std::string& id,
                    const std::vector<std::pair<int64_t, std::string>>& rows) {
  RETURN_IF_ERROR(sink.Begin(table, {LoadId{id, "/in/" + id + ".csv"}}));
  Status status = sink.Write(LabelledBatch(table, rows), 0);
  if (!status.ok()) {
    sink.Abort();
    return status;
  }
  return sink.Commit().status();
}

// "id\tlabel\n" rows of `table` for ids below `below`, after merging every part.
std::string MergedRows(const std::string& url, const std::string& table, int64_t below) {
  Query(url, "OPTIMIZE TABLE " + Table(url, table) + " FINAL");
  return Query(url, "SELECT id, label FROM " + Table(url, table) + " WHERE id < " +
                        std::to_string(below) + " ORDER BY id");
}

TEST_F(ClickHouseVersionsTest, FirstWrittenRowOfAKeyWinsMerges) {
  const TableDef def = Readings(Unique("first_wins"), {"id"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  EXPECT_EQ(Query(url,
                  "SELECT engine_full LIKE 'ReplacingMergeTree(_sluice_version)%' FROM "
                  "system.tables WHERE database = '" +
                      Database(url) + "' AND name = '" + def.name + "'"),
            "1\n");
  // The version column is sluice's, like the load id.
  auto described = sink->DescribeTable(def.name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->columns, def.columns);
  EXPECT_EQ((*described)->key, std::vector<std::string>{"id"});

  // Two files in order, then a third; the first also repeats a key (as in the SQL
  // sinks, the file's first row of it is the one kept).
  ASSERT_TRUE(LoadLabelled(*sink, def, Unique("a"),
                           {{1, "a1"}, {2, "a2-first"}, {2, "a2-again"}, {3, "a3"}})
                  .ok());
  ASSERT_TRUE(LoadLabelled(*sink, def, Unique("b"), {{2, "b2"}, {3, "b3"}, {4, "b4"}}).ok());
  ASSERT_TRUE(LoadLabelled(*sink, def, Unique("c"), {{4, "c4"}, {5, "c5"}, {1, "c1"}}).ok());
  const std::string expected = "1\ta1\n2\ta2-first\n3\ta3\n4\tb4\n5\tc5\n";
  // FINAL collapses at read time by the same rule, before any merge.
  EXPECT_EQ(Query(url, "SELECT id, label FROM " + Table(url, def.name) + " FINAL ORDER BY id"),
            expected);
  EXPECT_EQ(MergedRows(url, def.name, 100), expected);
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "5\n");
  // The same holds across groups: a group's loads are written in order.
  ASSERT_TRUE(sink->Begin(def, {LoadId{Unique("g0"), "g0"}, LoadId{Unique("g1"), "g1"}}).ok());
  ASSERT_TRUE(sink->Write(LabelledBatch(def, {{6, "g0-6"}}), 0).ok());
  ASSERT_TRUE(sink->Write(LabelledBatch(def, {{6, "g1-6"}, {5, "g1-5"}}), 1).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(MergedRows(url, def.name, 100), expected + "6\tg0-6\n");
}

// An attempt that crashed after its rows' insert, before its marker's, leaves its
// rows in the table uncommitted (simulated: a load whose marker is then deleted).
// They came after a committed load's rows of the same keys, so they lose every
// merge; the file begun again removes them, and its committed rows still lose to
// the earlier load's.
TEST_F(ClickHouseVersionsTest, CrashedAttemptsRowsNeverBeatCommittedRows) {
  const TableDef def = Readings(Unique("crash_loses"), {"id"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  auto rows_labelled = [](int64_t n, const std::string& label) {
    std::vector<std::pair<int64_t, std::string>> rows;
    for (int64_t i = 0; i < n; ++i) rows.push_back({i, label});
    return rows;
  };
  ASSERT_TRUE(LoadLabelled(*sink, def, Unique("committed"), rows_labelled(10, "committed")).ok());

  const std::string id = Unique("crashed");
  ASSERT_TRUE(LoadLabelled(*sink, def, id, rows_labelled(100, "crashed")).ok());
  Exec(url, "ALTER TABLE " + Table(url, "sluice_loads") +
                " DELETE WHERE load_id = " + QuoteClickHouseString(id));
  while (*sink->IsCommitted(id)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(RowsOf(url, def.name, id), "100\n");

  std::string expected;
  for (int64_t i = 0; i < 10; ++i) expected += std::to_string(i) + "\tcommitted\n";
  EXPECT_EQ(Query(url, "SELECT id, label FROM " + Table(url, def.name) +
                           " FINAL WHERE id < 10 ORDER BY id"),
            expected);
  EXPECT_EQ(MergedRows(url, def.name, 10), expected);

  // The file again: its leftovers go, its rows load, the committed ones still win.
  ASSERT_TRUE(LoadLabelled(*sink, def, id, rows_labelled(100, "again")).ok());
  EXPECT_EQ(MergedRows(url, def.name, 10), expected);
  EXPECT_EQ(
      Query(url, "SELECT count(), countIf(label = 'again'), countIf(label = 'crashed') FROM " +
                     Table(url, def.name)),
      "100\t90\t0\n");
}

// At start-up, recovery hands every uncommitted load it finds to DiscardAttempt:
// the crashed attempt's rows start going at once, not at the file's next Begin,
// which may never come (the file was replaced) or come after other files' rows
// of the same keys were written.
TEST_F(ClickHouseVersionsTest, RecoveryRemovesACrashedAttemptsRowsWithoutItsNextBegin) {
  const TableDef def = Readings(Unique("discard"), {"id"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::string kept = Unique("kept");
  ASSERT_TRUE(LoadLabelled(*sink, def, kept, {{1, "kept"}}).ok());
  const std::string id = Unique("crashed");
  ASSERT_TRUE(LoadLabelled(*sink, def, id, {{2, "crashed"}, {3, "crashed"}}).ok());
  Exec(url, "ALTER TABLE " + Table(url, "sluice_loads") +
                " DELETE WHERE load_id = " + QuoteClickHouseString(id));
  while (*sink->IsCommitted(id)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(RowsOf(url, def.name, id), "2\n");

  sink->DiscardAttempt(def.name, LoadId{id, "/in/crashed.csv"});
  // The mutation is not awaited by DiscardAttempt: poll, bounded.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (RowsOf(url, def.name, id) != "0\n" && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(RowsOf(url, def.name, id), "0\n");
  EXPECT_EQ(RowsOf(url, def.name, kept), "1\n");
  // Nothing to remove: no mutation.
  const std::string before = Mutations(url, def.name);
  sink->DiscardAttempt(def.name, LoadId{Unique("never_sent"), "/in/never.csv"});
  EXPECT_EQ(Mutations(url, def.name), before);
}

// A keyed table made before sluice versioned its rows (ReplacingMergeTree without
// a version) still loads, under ClickHouse's own rule.
TEST_F(ClickHouseVersionsTest, KeyedTableWithoutVersionStillLoads) {
  const std::string name = Unique("unversioned");
  const TableDef described = HandMade(
      name,
      "(id Int64, label Nullable(String), _sluice_load_id String) ENGINE = ReplacingMergeTree "
      "ORDER BY id");
  EXPECT_EQ(described.key, std::vector<std::string>{"id"});
  ASSERT_TRUE(LoadLabelled(*sink, described, Unique("u1"), {{1, "one"}, {2, "two"}}).ok());
  ASSERT_TRUE(LoadLabelled(*sink, described, Unique("u2"), {{2, "deux"}}).ok());
  EXPECT_EQ(MergedRows(url, name, 100), "1\tone\n2\tdeux\n");
}

}  // namespace
}  // namespace sluice
