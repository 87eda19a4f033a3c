// The ClickHouse sink's side table (Begin's `side`: a file's aggregates) against a
// real server (SLUICE_TEST_CLICKHOUSE_URL): side rows are committed with the rows,
// at one request more per group; an attempt's side rows are removed by the next
// Begin of its load; a side insert that fails, before sending or on the server,
// commits nothing and leaves nothing once the load is begun again.
//
// Thread-safety: each test runs on one thread.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/clickhouse/clickhouse_test_util.h"
#include "sink/side_table_rows.h"
#include "test_util.h"

namespace sluice {
namespace {

using namespace ::sluice::clickhouse_test;  // NOLINT(build/namespaces)
using testing::StatsBatch;
using testing::StatsRow;
using testing::StatsTable;

// Polls (at most 10 s) until `sql`, a count, answers 0, for a delete that is not
// awaited; returns the last answer.
std::string AwaitZero(const std::string& url, const std::string& sql) {
  std::string count = Query(url, sql);
  for (int i = 0; i < 200 && count != "0\n"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    count = Query(url, sql);
  }
  return count;
}

// Begin with `side`, the rows `ids` and the side rows `stats` of one load, Commit.
Status LoadWithSide(Sink& sink, const TableDef& def, const TableDef& side, const LoadId& load,
                    const std::vector<int64_t>& ids, const std::vector<StatsRow>& stats) {
  RETURN_IF_ERROR(sink.Begin(def, {load}, &side));
  std::vector<std::string> labels;
  std::deque<std::string> strings;
  Status status = sink.Write(ReadingsBatch(def, ids, labels), 0);
  if (status.ok()) status = sink.WriteSide(StatsBatch(side, stats, strings), 0);
  if (status.ok()) status = sink.Commit().status();
  if (!status.ok()) sink.Abort();
  return status;
}

// ClickHouseTableTest and a new side table `side` made by EnsureTable.
class ClickHouseSideTableTest : public ClickHouseTableTest {
 protected:
  ClickHouseSideTableTest() { made_.push_back(&side); }

  TableDef side = StatsTable(Unique("stats"));
};

TEST_F(ClickHouseSideTableTest, SideRowsCommitWithTheRowsAtOneRequestMore) {
  // Like any table sluice makes: the hidden load id, MergeTree (no key).
  EXPECT_EQ(Query(url, "SELECT engine FROM system.tables WHERE database = '" + Database(url) +
                           "' AND name = '" + side.name + "'"),
            "MergeTree\n");
  EXPECT_EQ(Query(url, "SELECT type FROM system.columns WHERE database = '" + Database(url) +
                           "' AND table = '" + side.name + "' AND name = '_sluice_load_id'"),
            "String\n");
  auto described = sink->DescribeTable(side.name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->columns, side.columns);

  const std::vector<LoadId> loads = {{Unique("a"), "/in/a.csv"}, {Unique("b"), "/in/b.csv"}};
  const uint64_t before = sink->requests();
  ASSERT_TRUE(sink->Begin(def, loads, &side).ok());
  std::vector<std::string> labels;
  std::deque<std::string> strings;
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 3), labels), 0).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(3, 5), labels), 1).ok());
  // Each side row keeps its load.
  ASSERT_TRUE(sink->WriteSide(StatsBatch(side,
                                         {{"/in/a.csv", "id", 3, 1.0},
                                          {"/in/a.csv", "label", 0, std::nullopt}},
                                         strings),
                              0)
                  .ok());
  ASSERT_TRUE(sink->WriteSide(StatsBatch(side, {{"/in/b.csv", "id", 2, 3.5}}, strings), 1).ok());
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, side.name)), "0\n")
      << "side rows are stored by Commit only";
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  // The state query (with both tables' columns), the attempts' record, the rows,
  // the side rows, the markers.
  EXPECT_EQ(sink->requests() - before, 5u);
  for (const LoadId& load : loads) EXPECT_TRUE(*sink->IsCommitted(load.id)) << load.id;
  EXPECT_EQ(Query(url, "SELECT _sluice_load_id, _file, column, count, mean FROM " +
                           Table(url, side.name) + " ORDER BY _sluice_load_id, column"),
            loads[0].id + "\t/in/a.csv\tid\t3\t1\n" + loads[0].id + "\t/in/a.csv\tlabel\t0\t\\N\n" +
                loads[1].id + "\t/in/b.csv\tid\t2\t3.5\n");
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "5\n");

  // Without a side table a group costs one request less: four.
  const uint64_t plain = sink->requests();
  ASSERT_TRUE(Load(*sink, def, Unique("c"), Range(10, 20)).ok());
  EXPECT_EQ(sink->requests() - plain, 4u);
}

// The state a crash between the side rows' insert and the markers' leaves (made
// here by removing the marker of a committed load): rows and side rows of a load
// that is not committed. DiscardAttempt, which knows only the main table, removes
// the rows; the next Begin of the load, which names the side table, removes the
// side rows, and only those of its own id.
TEST_F(ClickHouseSideTableTest, SideRowsOfAnAttemptAreRemovedByTheNextBeginOfItsLoad) {
  const LoadId kept{Unique("kept"), "/in/kept.csv"};
  ASSERT_TRUE(LoadWithSide(*sink, def, side, kept, Range(0, 2), {{kept.file, "id", 2, 0.5}}).ok());
  const LoadId load{Unique("crashed"), "/in/crashed.csv"};
  ASSERT_TRUE(LoadWithSide(*sink, def, side, load, Range(0, 4),
                           {{load.file, "id", 4, 1.5}, {load.file, "label", 0, std::nullopt}})
                  .ok());
  Exec(url, "ALTER TABLE " + Table(url, "sluice_loads") +
                " DELETE WHERE load_id = " + QuoteClickHouseString(load.id));
  for (int i = 0; i < 200 && *sink->IsCommitted(load.id); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(*sink->IsCommitted(load.id));

  sink->DiscardAttempt(def.name, load);
  EXPECT_EQ(AwaitZero(url, "SELECT count() FROM " + Table(url, def.name) +
                               " WHERE _sluice_load_id = " + QuoteClickHouseString(load.id)),
            "0\n");
  EXPECT_EQ(RowsOf(url, side.name, load.id), "2\n") << "DiscardAttempt knows no side table";

  const Status begun = sink->Begin(def, {load}, &side);
  ASSERT_TRUE(begun.ok()) << begun.ToString();
  EXPECT_EQ(RowsOf(url, side.name, load.id), "0\n");
  EXPECT_EQ(RowsOf(url, side.name, kept.id), "1\n");
  std::vector<std::string> labels;
  std::deque<std::string> strings;
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 4), labels), 0).ok());
  ASSERT_TRUE(sink->WriteSide(StatsBatch(side, {{load.file, "id", 4, 2.5}}, strings), 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(Query(url, "SELECT _sluice_load_id, column, mean FROM " + Table(url, side.name) +
                           " ORDER BY _sluice_load_id"),
            load.id + "\tid\t2.5\n" + kept.id + "\tid\t0.5\n");
  EXPECT_EQ(RowsOf(url, def.name, load.id), "4\n");
  EXPECT_EQ(Mutations(url, side.name), "1\n");
}

// A side value the side table's own column cannot hold (a table made by hand,
// count UInt8) is found before anything is sent: Commit fails with InvalidData
// naming no row, the rows' insert is aborted while open, and nothing is stored
// (no mutation either). The load then commits with a value that fits.
TEST_F(ClickHouseSideTableTest, SideValueTheTableCannotHoldCommitsNothing) {
  const std::string name = Unique("narrow_stats");
  const TableDef narrow = HandMade(name,
                                   "(_file String, column String, count UInt8, mean "
                                   "Nullable(Float64), _sluice_load_id String) ENGINE = MergeTree "
                                   "ORDER BY tuple()");

  const LoadId load{Unique("l"), "/in/l.csv"};
  ASSERT_TRUE(sink->Begin(def, {load}, &narrow).ok());
  std::vector<std::string> labels;
  std::deque<std::string> strings;
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 100), labels), 0).ok());
  ASSERT_TRUE(sink->WriteSide(StatsBatch(narrow, {{load.file, "id", 1000, 1.0}}, strings), 0).ok());
  auto counts = sink->Commit();
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.status().code(), StatusCode::kInvalidData) << counts.status().ToString();
  EXPECT_NE(counts.status().message().find(name), std::string::npos) << counts.status().message();
  EXPECT_TRUE(sink->refused().empty());
  EXPECT_FALSE(*sink->IsCommitted(load.id));
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "0\n");
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, name)), "0\n");
  EXPECT_EQ(Mutations(url, def.name), "0\n");

  ASSERT_TRUE(
      LoadWithSide(*sink, def, narrow, load, Range(0, 100), {{load.file, "id", 100, 1.0}}).ok());
  EXPECT_EQ(RowsOf(url, def.name, load.id), "100\n");
  EXPECT_EQ(RowsOf(url, name, load.id), "1\n");
}

// A side insert the server fails after storing it: a materialized view on the
// side table throws, and ClickHouse writes the table before its views. Commit
// fails, no load is committed; Abort deletes what the rows' insert (ended) and
// the side insert stored; the load begun again commits each row once.
TEST_F(ClickHouseSideTableTest, SideInsertTheServerFailsIsRemovedAndTheLoadCommitsOnce) {
  const std::string sink_table = Unique("refuse_sink");
  const std::string view = Unique("refuse_view");
  Exec(url, "CREATE TABLE " + Table(url, sink_table) + " (x UInt8) ENGINE = Null");
  Exec(url, "CREATE MATERIALIZED VIEW " + Table(url, view) + " TO " + Table(url, sink_table) +
                " AS SELECT throwIf(count > 100) AS x FROM " + Table(url, side.name));

  const LoadId load{Unique("l"), "/in/l.csv"};
  Status status = LoadWithSide(*sink, def, side, load, Range(0, 10), {{load.file, "id", 1000, 1}});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(side.name), std::string::npos) << status.message();
  EXPECT_FALSE(*sink->IsCommitted(load.id));
  EXPECT_EQ(AwaitZero(url, "SELECT count() FROM " + Table(url, def.name)), "0\n");
  EXPECT_EQ(AwaitZero(url, "SELECT count() FROM " + Table(url, side.name)), "0\n");
  EXPECT_EQ(Mutations(url, side.name), "1\n") << "the failed side insert stored its row";

  Exec(url, "DROP TABLE " + Table(url, view));
  status = LoadWithSide(*sink, def, side, load, Range(0, 10), {{load.file, "id", 1000, 1}});
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(RowsOf(url, def.name, load.id), "10\n");
  EXPECT_EQ(RowsOf(url, side.name, load.id), "1\n");
}

}  // namespace
}  // namespace sluice
