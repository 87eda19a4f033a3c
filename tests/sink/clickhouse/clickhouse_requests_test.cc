// What a group of loads costs the ClickHouse sink in requests (Begin is one
// query: the columns and the loads' state together, and the record of the
// attempts; DescribeTable one), how attempts are recorded, and that the one query
// still gives each failure its own error and leaves exactly-once intact after
// a crash between the rows' insert and the markers'.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/clickhouse/clickhouse_test_util.h"
#include "test_util.h"

namespace sluice {
namespace {

using namespace ::sluice::clickhouse_test;  // NOLINT(build/namespaces)

std::vector<LoadId> Group(const std::string& base, int n) {
  std::vector<LoadId> loads;
  for (int i = 0; i < n; ++i) {
    const std::string id = Unique(base + std::to_string(i));
    loads.push_back({id, "/in/" + id + ".csv"});
  }
  return loads;
}

// Writes 5 rows for each of `loads` (ids 100 * i ...).
void WriteEach(Sink& sink, const TableDef& def, const std::vector<LoadId>& loads) {
  std::vector<std::string> labels;
  for (size_t i = 0; i < loads.size(); ++i) {
    const int64_t from = 100 * static_cast<int64_t>(i);
    ASSERT_TRUE(sink.Write(ReadingsBatch(def, Range(from, from + 5), labels), i).ok());
  }
}

class ClickHouseRequestsTest : public ClickHouseTableTest {};

TEST_F(ClickHouseRequestsTest, AGroupCostsFourRequestsBeginTwo) {
  for (int round = 0; round < 2; ++round) {
    const std::vector<LoadId> loads = Group("r" + std::to_string(round) + "_", 16);
    const uint64_t before = sink->requests();
    ASSERT_TRUE(sink->Begin(def, loads).ok());
    EXPECT_EQ(sink->requests() - before, 2u) << "Begin: one query, the attempts' record";
    WriteEach(*sink, def, loads);
    EXPECT_EQ(sink->requests() - before, 2u) << "small rows wait for Commit";
    auto counts = sink->Commit();
    ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
    // The state query (with the columns), the attempts, the rows, the markers.
    EXPECT_EQ(sink->requests() - before, 4u) << "round " << round;
    for (const LoadId& load : loads) EXPECT_EQ(RowsOf(url, def.name, load.id), "5\n");
  }
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "160\n");
}

// Begin records each load's attempt before any of its rows is sent, once: a
// group begun again (after an Abort) finds its loads recorded, looks for their
// rows in the table (a second query) and records nothing more.
TEST_F(ClickHouseRequestsTest, BeginRecordsEachAttemptOnceBeforeItsRows) {
  const std::vector<LoadId> loads = Group("a", 3);
  const std::string recorded = "SELECT count() FROM " + Table(url, "sluice_attempts") +
                               " WHERE load_id IN (" +
                               clickhouse::QuotedList(clickhouse::Ids(loads)) + ")";
  ASSERT_TRUE(sink->Begin(def, loads).ok());
  EXPECT_EQ(Query(url, recorded), "3\n") << "recorded before any row";
  WriteEach(*sink, def, loads);
  sink->Abort();
  const uint64_t before = sink->requests();
  ASSERT_TRUE(sink->Begin(def, loads).ok());
  EXPECT_EQ(sink->requests() - before, 2u) << "the state query, the look for rows";
  EXPECT_EQ(Query(url, recorded), "3\n");
  WriteEach(*sink, def, loads);
  ASSERT_TRUE(sink->Commit().has_value());
  for (const LoadId& load : loads) EXPECT_EQ(RowsOf(url, def.name, load.id), "5\n");
}

// A database an older sluice loaded (sluice_loads there, no sluice_attempts):
// its attempts were not recorded, so a crashed one's rows are found by reading
// the table, by this sink and by every later one (the attempts table made here
// says so).
TEST_F(ClickHouseRequestsTest, DatabaseLoadedBeforeAttemptsWereRecordedIsReadWhole) {
  const std::string database = Unique("older");
  Exec(url, "CREATE DATABASE " + QuoteClickHouseIdentifier(database));
  const std::string older = url.substr(0, url.rfind('/') + 1) + database;
  Exec(older, "CREATE TABLE " + Table(older, "sluice_loads") +
                  " (load_id String, table String, file String, rows UInt64, committed_at "
                  "DateTime) ENGINE = MergeTree ORDER BY load_id");
  Exec(older, "CREATE TABLE " + Table(older, def.name) +
                  " (id Int64, label Nullable(String), _sluice_load_id String) ENGINE = "
                  "MergeTree ORDER BY tuple()");
  const std::vector<LoadId> loads = Group("o", 2);
  for (const LoadId& load : loads) {  // a crashed attempt of each, by the older sluice
    Exec(older, "INSERT INTO " + Table(older, def.name) + " (id, _sluice_load_id) VALUES (1, " +
                    QuoteClickHouseString(load.id) + ")");
  }
  for (const LoadId& load : loads) {
    auto opened = OpenOrDie(older);  // each as a new process
    ASSERT_NE(opened, nullptr);
    const Status begun = opened->Begin(def, {load});
    ASSERT_TRUE(begun.ok()) << begun.ToString();
    EXPECT_EQ(RowsOf(older, def.name, load.id), "0\n") << "the older attempt's row is gone";
    std::vector<std::string> labels;
    ASSERT_TRUE(opened->Write(ReadingsBatch(def, Range(0, 5), labels), 0).ok());
    ASSERT_TRUE(opened->Commit().has_value());
    EXPECT_EQ(RowsOf(older, def.name, load.id), "5\n");
  }
  Exec(url, "DROP DATABASE " + QuoteClickHouseIdentifier(database));
}

// DescribeTable is one query too (the pipeline asks it for every group): the
// columns with the table's engine; a key only on a ReplacingMergeTree.
TEST_F(ClickHouseRequestsTest, DescribeTableIsOneRequest) {
  const TableDef keyed = Readings(Unique("keyed"), {"id"});
  ASSERT_TRUE(sink->EnsureTable(keyed).ok());
  uint64_t before = sink->requests();
  auto described = sink->DescribeTable(keyed.name);
  EXPECT_EQ(sink->requests() - before, 1u);
  ASSERT_TRUE(described.has_value() && described->has_value()) << described.status().ToString();
  EXPECT_EQ((*described)->columns, keyed.columns);
  EXPECT_EQ((*described)->key, keyed.key);

  const std::string ordered = Unique("ordered");
  Exec(url, "CREATE TABLE " + Table(url, ordered) +
                " (id Int64, _sluice_load_id String) ENGINE = MergeTree ORDER BY id");
  described = sink->DescribeTable(ordered);
  ASSERT_TRUE(described.has_value() && described->has_value()) << described.status().ToString();
  EXPECT_TRUE((*described)->key.empty()) << "a MergeTree's sorting key is no record key";

  before = sink->requests();
  described = sink->DescribeTable(Unique("absent"));
  EXPECT_EQ(sink->requests() - before, 1u);
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  EXPECT_FALSE(described->has_value());
}

// The one query fails on a table that is missing or was not made by sluice; the
// columns, asked then, give the error Begin owes: Internal and InvalidArgument.
TEST_F(ClickHouseRequestsTest, BeginNamesAMissingOrForeignTable) {
  const TableDef missing = Readings(Unique("missing"));
  Status begun = sink->Begin(missing, Group("m", 1));
  EXPECT_EQ(begun.code(), StatusCode::kInternal) << begun.ToString();
  EXPECT_NE(begun.message().find("does not exist"), std::string::npos) << begun.message();

  const TableDef foreign = Readings(Unique("foreign"));
  Exec(url, "CREATE TABLE " + Table(url, foreign.name) +
                " (id Int64, label Nullable(String)) ENGINE = MergeTree ORDER BY tuple()");
  begun = sink->Begin(foreign, Group("f", 1));
  EXPECT_EQ(begun.code(), StatusCode::kInvalidArgument) << begun.ToString();
  EXPECT_NE(begun.message().find("_sluice_load_id"), std::string::npos) << begun.message();

  // Nothing is left in progress: a load into a table sluice made goes through.
  ASSERT_TRUE(Load(*sink, def, Unique("after_load"), Range(0, 3)).ok());
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "3\n");
}

// A crash after the rows' insert and before the markers' (made here by removing
// the markers of a committed group): the rows are there, no load is committed.
// Beginning the group again finds them in its one query, removes them before
// inserting, and the group then holds each load's rows once; a committed member
// is still AlreadyExists.
TEST_F(ClickHouseRequestsTest, CrashBetweenRowsAndMarkersLoadsExactlyOnce) {
  const std::vector<LoadId> loads = Group("b", 3);
  ASSERT_TRUE(sink->Begin(def, loads).ok());
  WriteEach(*sink, def, loads);
  ASSERT_TRUE(sink->Commit().has_value());
  std::vector<std::string> ids;
  for (const LoadId& load : loads) ids.push_back(load.id);
  Exec(url, "ALTER TABLE " + Table(url, "sluice_loads") + " DELETE WHERE load_id IN (" +
                clickhouse::QuotedList(ids) + ")");
  for (int i = 0; i < 200 && *sink->IsCommitted(loads[2].id); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (const LoadId& load : loads) ASSERT_FALSE(*sink->IsCommitted(load.id)) << load.id;
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "15\n");

  auto again = OpenOrDie(url);  // as after a restart
  ASSERT_NE(again, nullptr);
  const Status begun = again->Begin(def, loads);
  ASSERT_TRUE(begun.ok()) << begun.ToString();
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "0\n")
      << "the crashed attempt's rows are gone before anything is inserted";
  WriteEach(*again, def, loads);
  auto counts = again->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  for (const LoadId& load : loads) {
    EXPECT_TRUE(*again->IsCommitted(load.id)) << load.id;
    EXPECT_EQ(RowsOf(url, def.name, load.id), "5\n") << load.id;
  }
  EXPECT_EQ(again->Begin(def, {loads[1]}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "15\n");
}

}  // namespace
}  // namespace sluice
