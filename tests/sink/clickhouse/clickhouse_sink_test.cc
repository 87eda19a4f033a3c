#include "sink/clickhouse/clickhouse_sink.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sink/add_columns_contract.h"
#include "sink/clickhouse/clickhouse_http.h"
#include "sink/clickhouse/clickhouse_test_util.h"
#include "sink/registry.h"
#include "test_util.h"

namespace sluice {
namespace {

using namespace ::sluice::clickhouse_test;  // NOLINT(build/namespaces)

class ClickHouseSinkTest : public ClickHouseServerTest {};

// ---- against the server ------------------------------------------------------

TEST_F(ClickHouseSinkTest, CreatesAndDescribesEveryType) {
  const std::string name = Unique("types");
  const TableDef def = EveryType(name, /*nullable_string=*/false);
  auto missing = sink->DescribeTable(name);
  ASSERT_TRUE(missing.has_value()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  ASSERT_TRUE(sink->EnsureTable(def).ok());  // exists: no change, no error
  auto described = sink->DescribeTable(name);
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  ASSERT_TRUE(described->has_value());
  EXPECT_EQ((*described)->columns, def.columns);  // `_sluice_load_id` not listed
  EXPECT_TRUE((*described)->key.empty());
  EXPECT_EQ(Query(url, "SELECT engine FROM system.tables WHERE database = '" + Database(url) +
                           "' AND name = '" + name + "'"),
            "MergeTree\n");
}

TEST_F(ClickHouseSinkTest, CommittedLoadIsVisibleWithItsValues) {
  const std::string name = Unique("values");
  const TableDef def = EveryType(name, /*nullable_string=*/true);
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch batch;
  batch.Reset(def.columns);
  auto& c = batch.columns();
  c[0].AppendInt(-9000000000);
  c[1].AppendFloat(2.25);
  c[2].AppendInt(1);
  c[3].AppendInt(19724);                  // 2024-01-02
  c[4].AppendInt(1704153600000000 + 7);   // 2024-01-02 00:00:00.000007
  c[5].AppendString("tab\tquote' nl\n");  // needs escaping in every text format
  batch.FinishRow(2);
  c[0].AppendInt(2);
  for (int i = 1; i < 6; ++i) c[i].AppendNull();
  batch.FinishRow(3);

  const std::string id = Unique("load-values");
  Status begun = sink->Begin(def, {LoadId{id, "/in/values.csv"}});
  ASSERT_TRUE(begun.ok()) << begun.ToString();
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  // Nothing is committed before Commit.
  EXPECT_EQ(*sink->IsCommitted(id), false);
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 2u);
  EXPECT_EQ(counts->front().skipped_by_key, 0u);
  EXPECT_EQ(*sink->IsCommitted(id), true);

  const std::string ts =
      sink->server_version().AtLeast(20, 1) ? "2024-01-02 00:00:00.000007" : "2024-01-02 00:00:00";
  EXPECT_EQ(Query(url, "SELECT i, f, b, d, toString(ts, 'UTC'), s, _sluice_load_id FROM " +
                           Table(url, name) + " ORDER BY i"),
            "-9000000000\t2.25\t1\t2024-01-02\t" + ts + "\ttab\\tquote\\' nl\\n\t" + id +
                "\n2\t\\N\t\\N\t\\N\t\\N\t\\N\t" + id + "\n");
  EXPECT_EQ(Query(url, "SELECT table, file, rows FROM " + Table(url, "sluice_loads") +
                           " WHERE load_id = " + QuoteClickHouseString(id)),
            name + "\t/in/values.csv\t2\n");
}

TEST_F(ClickHouseSinkTest, CommittedLoadIdIsAlreadyExists) {
  const TableDef def = Readings(Unique("again"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::string id = Unique("load");
  EXPECT_EQ(*sink->IsCommitted(id), false);
  ASSERT_TRUE(Load(*sink, def, id, Range(0, 10)).ok());
  EXPECT_EQ(*sink->IsCommitted(id), true);
  // Another connection sees the marker too.
  EXPECT_EQ(*OpenOrDie(url)->IsCommitted(id), true);
  EXPECT_EQ(sink->Begin(def, {LoadId{id, "x"}}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "10\n");
}

TEST_F(ClickHouseSinkTest, AbortLeavesNothing) {
  const TableDef def = Readings(Unique("abort"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  std::vector<std::string> labels;
  const std::string id = Unique("abort");
  ASSERT_TRUE(sink->Begin(def, {LoadId{id, "f"}}).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 100), labels), 0).ok());
  sink->Abort();
  EXPECT_EQ(*sink->IsCommitted(id), false);
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "0\n");
  // The sink is usable again, and the same load id can be loaded.
  ASSERT_TRUE(Load(*sink, def, id, Range(0, 5)).ok());
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "5\n");
}

// A load large enough to be sent in several inserts (each far more than
// max_insert_block_size rows would make several parts), in a process that dies
// after sending them without committing: the next Begin of the same load id
// removes those rows, and the load then commits each row exactly once.
TEST_F(ClickHouseSinkTest, AbortMidInsertIsRemovedByTheNextBegin) {
  const TableDef def = Readings(Unique("abort_mid"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::string id = Unique("abort-mid");
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(def, {LoadId{id, "f"}}).ok());
  // Several MiB: the insert is under way on the server when the load is aborted.
  for (int64_t from = 0; from < 300000; from += 50000) {
    ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(from, from + 50000), labels), 0).ok());
  }
  sink->Abort();
  EXPECT_EQ(*sink->IsCommitted(id), false);
  const Status begun = sink->Begin(def, {LoadId{id, "f"}});
  ASSERT_TRUE(begun.ok()) << begun.ToString();
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "0\n");
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 5), labels), 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "5\n");
}

TEST_F(ClickHouseSinkTest, CrashedLoadIsRemovedByTheNextBegin) {
  const TableDef def = Readings(Unique("crash"));
  const std::string id = Unique("crash-load");
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  constexpr int64_t kRows = 1500000;  // > max_insert_block_size: at least one part is stored

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = ClickHouseSink::Open(url);
    if (!opened.has_value()) _exit(2);
    if (!(*opened)->Begin(def, {LoadId{id, "f"}}).ok()) _exit(3);
    std::vector<std::string> labels;
    for (int64_t from = 0; from < kRows; from += 100000) {
      if (!(*opened)->Write(ReadingsBatch(def, Range(from, from + 100000), labels), 0).ok())
        _exit(4);
    }
    _exit(0);  // dies without Commit or Abort (no destructors run)
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);
  // The server may still be reading the dead process's insert; what it stores is
  // only final once that query has ended.
  AwaitInsertsOf(url, id);
  const std::string left = Query(url, "SELECT count() FROM " + Table(url, def.name));
  EXPECT_NE(left, "0\n") << "the crashed load sent nothing; the test proves nothing";

  sink = OpenOrDie(url);  // a new connection, as after a restart
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(*sink->IsCommitted(id), false);
  ASSERT_TRUE(sink->Begin(def, {LoadId{id, "f"}}).ok());
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "0\n");
  std::vector<std::string> labels;
  for (int64_t from = 0; from < kRows; from += 100000) {
    ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(from, from + 100000), labels), 0).ok());
  }
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, static_cast<uint64_t>(kRows));
  EXPECT_EQ(
      Query(url, "SELECT count(), uniqExact(id), min(id), max(id) FROM " + Table(url, def.name)),
      "1500000\t1500000\t0\t1499999\n");
}

// ---- groups of loads ----------------------------------------------------------

TEST_F(ClickHouseSinkTest, GroupCommitsEveryLoadWithItsCounts) {
  const TableDef def = Readings(Unique("group"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::vector<LoadId> loads = {{Unique("g0"), "/in/g0.csv"},
                                     {Unique("g1"), "/in/g1.csv"},
                                     {Unique("g2"), "/in/g2.csv"},
                                     {Unique("g3"), "/in/g3.csv"}};
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(def, loads).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 3), labels), 0).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(3, 5), labels), 0).ok());
  // Load 1 has no rows (a file with only a header).
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(100, 107), labels), 2).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(200, 201), labels), 3).ok());
  // The load index never decreases.
  EXPECT_EQ(sink->Write(ReadingsBatch(def, Range(0, 1), labels), 1).code(), StatusCode::kInternal);
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 4u);
  EXPECT_EQ((*counts)[0].inserted, 5u);
  EXPECT_EQ((*counts)[1].inserted, 0u);
  EXPECT_EQ((*counts)[2].inserted, 7u);
  EXPECT_EQ((*counts)[3].inserted, 1u);
  for (const LoadId& load : loads) EXPECT_EQ(*sink->IsCommitted(load.id), true) << load.id;
  std::string expected_rows;
  std::string expected_markers;
  const uint64_t rows[] = {5, 0, 7, 1};
  for (size_t i = 0; i < loads.size(); ++i) {
    if (rows[i] > 0) expected_rows += loads[i].id + "\t" + std::to_string(rows[i]) + "\n";
    expected_markers += loads[i].id + "\t" + def.name + "\t" + loads[i].file + "\t" +
                        std::to_string(rows[i]) + "\n";
  }
  EXPECT_EQ(Query(url, "SELECT _sluice_load_id, count() FROM " + Table(url, def.name) +
                           " GROUP BY _sluice_load_id ORDER BY _sluice_load_id"),
            expected_rows);
  std::vector<std::string> ids;
  for (const LoadId& load : loads) ids.push_back(QuoteClickHouseString(load.id));
  EXPECT_EQ(Query(url, "SELECT load_id, table, file, rows FROM " + Table(url, "sluice_loads") +
                           " WHERE load_id IN (" + ids[0] + ", " + ids[1] + ", " + ids[2] + ", " +
                           ids[3] + ") ORDER BY load_id"),
            expected_markers);
  // Row 100 belongs to load 2.
  EXPECT_EQ(Query(url, "SELECT _sluice_load_id FROM " + Table(url, def.name) + " WHERE id = 100"),
            loads[2].id + "\n");
}

TEST_F(ClickHouseSinkTest, GroupWithACommittedLoadIsAlreadyExists) {
  const TableDef def = Readings(Unique("group_again"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::string done = Unique("done");
  ASSERT_TRUE(Load(*sink, def, done, Range(0, 10)).ok());
  const std::vector<LoadId> loads = {
      {Unique("new1"), "/in/new1.csv"}, {done, "/in/done.csv"}, {Unique("new2"), "/in/new2.csv"}};
  Status begun = sink->Begin(def, loads);
  EXPECT_EQ(begun.code(), StatusCode::kAlreadyExists) << begun.ToString();
  EXPECT_NE(begun.message().find("/in/done.csv"), std::string::npos) << begun.message();
  // Nothing begun: Write is refused, nothing was written.
  std::vector<std::string> labels;
  EXPECT_EQ(sink->Write(ReadingsBatch(def, Range(0, 1), labels), 0).code(), StatusCode::kInternal);
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "10\n");
  EXPECT_EQ(*sink->IsCommitted(loads[0].id), false);
  EXPECT_EQ(*sink->IsCommitted(loads[2].id), false);
  // The others load as a group of their own.
  ASSERT_TRUE(sink->Begin(def, {loads[0], loads[2]}).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(10, 12), labels), 1).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 0u);
  EXPECT_EQ((*counts)[1].inserted, 2u);
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "12\n");
}

TEST_F(ClickHouseSinkTest, AbortedGroupLeavesNothing) {
  const TableDef def = Readings(Unique("group_abort"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::vector<LoadId> loads = {{Unique("a0"), "f0"}, {Unique("a1"), "f1"}};
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(def, loads).ok());
  // Several MiB of each load: the insert is under way when the group is aborted.
  for (size_t load = 0; load < loads.size(); ++load) {
    for (int64_t from = 0; from < 200000; from += 50000) {
      ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(from, from + 50000), labels), load).ok());
    }
  }
  sink->Abort();
  // Abort's delete is not awaited; it completes soon after.
  for (int i = 0; i < 200 && Query(url, "SELECT count() FROM " + Table(url, def.name)) != "0\n";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "0\n");
  for (const LoadId& load : loads) EXPECT_EQ(*sink->IsCommitted(load.id), false);
  // Either load can be loaded afterwards, alone.
  ASSERT_TRUE(Load(*sink, def, loads[1].id, Range(0, 5)).ok());
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "5\n");
}

// A group killed mid-insert leaves rows of several of its loads. Each load begun
// again alone removes its own leftovers (waiting for the dead process's insert
// if the server still runs it) and leaves those of the others to their own
// Begin; at the end every load is there exactly once.
TEST_F(ClickHouseSinkTest, CrashedGroupIsCleanedByLaterBeginsOfEachLoad) {
  const TableDef def = Readings(Unique("group_crash"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::vector<LoadId> loads = {
      {Unique("c0"), "f0"}, {Unique("c1"), "f1"}, {Unique("c2"), "f2"}};
  // Rows [from, to) of each load; 1.5M in all (> min_insert_block_size_rows), so
  // the first stored part holds all of load 0 and part of load 1.
  const int64_t bounds[] = {0, 600000, 1200000, 1500000};
  // Writes the rows of loads[load] as the group's load `index`.
  auto write = [&](Sink& sink, size_t load, size_t index) {
    std::vector<std::string> labels;
    for (int64_t from = bounds[load]; from < bounds[load + 1]; from += 100000) {
      Status s = sink.Write(ReadingsBatch(def, Range(from, from + 100000), labels), index);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  };

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = ClickHouseSink::Open(url);
    if (!opened.has_value()) _exit(2);
    if (!(*opened)->Begin(def, loads).ok()) _exit(3);
    for (size_t load = 0; load < loads.size(); ++load) {
      if (!write(**opened, load, load).ok()) _exit(4);
    }
    _exit(0);  // dies without Commit or Abort (no destructors run)
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);

  sink = OpenOrDie(url);  // a new connection, as after a restart
  ASSERT_NE(sink, nullptr);
  // At once, while the server may still be storing the dead process's insert.
  Status begun = sink->Begin(def, {loads[0]});
  ASSERT_TRUE(begun.ok()) << begun.ToString();
  EXPECT_EQ(Query(url,
                  "SELECT count() FROM system.processes WHERE query_id LIKE 'sluice-%'"
                  " AND position(query, " +
                      QuoteClickHouseString(" " + loads[1].id + " ") + ") > 0"),
            "0\n");
  EXPECT_EQ(RowsOf(url, def.name, loads[0].id), "0\n");
  EXPECT_NE(RowsOf(url, def.name, loads[1].id), "0\n")
      << "the crashed group left no rows of load 1; the test proves nothing";
  ASSERT_TRUE(write(*sink, 0, 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());

  for (size_t load = 1; load < loads.size(); ++load) {
    begun = sink->Begin(def, {loads[load]});
    ASSERT_TRUE(begun.ok()) << begun.ToString();
    EXPECT_EQ(RowsOf(url, def.name, loads[load].id), "0\n");
    ASSERT_TRUE(write(*sink, load, 0).ok());
    auto counts = sink->Commit();
    ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
    EXPECT_EQ(counts->front().inserted, static_cast<uint64_t>(bounds[load + 1] - bounds[load]));
  }
  for (size_t load = 0; load < loads.size(); ++load) {
    EXPECT_EQ(RowsOf(url, def.name, loads[load].id),
              std::to_string(bounds[load + 1] - bounds[load]) + "\n");
  }
  EXPECT_EQ(
      Query(url, "SELECT count(), uniqExact(id), min(id), max(id) FROM " + Table(url, def.name)),
      "1500000\t1500000\t0\t1499999\n");
}

TEST_F(ClickHouseSinkTest, KeyedTableIsReplacingMergeTree) {
  const TableDef def = Readings(Unique("keyed"), {"id"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  EXPECT_EQ(Query(url, "SELECT engine FROM system.tables WHERE database = '" + Database(url) +
                           "' AND name = '" + def.name + "'"),
            "ReplacingMergeTree\n");
  auto described = sink->DescribeTable(def.name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->key, std::vector<std::string>{"id"});
  ASSERT_TRUE(Load(*sink, def, Unique("k1"), Range(0, 10)).ok());
  ASSERT_TRUE(Load(*sink, def, Unique("k2"), Range(5, 15)).ok());
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name) + " FINAL"), "15\n");

  // A NULL key is refused as data.
  Batch batch;
  batch.Reset(def.columns);
  batch.columns()[0].AppendNull();
  batch.columns()[1].AppendString("x");
  batch.FinishRow(7);
  ASSERT_TRUE(sink->Begin(def, {LoadId{Unique("k3"), "f"}}).ok());
  Status s = sink->Write(batch, 0);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
  EXPECT_NE(s.message().find("line 7"), std::string::npos) << s.message();
  sink->Abort();
}

TEST_F(ClickHouseSinkTest, HostileIdentifiersWork) {
  const std::string name = Unique("we`ird\\ta'ble\" x\ty;--é");
  TableDef def{name,
               {{"id`); DROP TABLE x; --", ColumnType::kInteger, false},
                {"la'bel\\\n\"", ColumnType::kString, true}},
               {"id`); DROP TABLE x; --"}};
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  auto described = sink->DescribeTable(name);
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  ASSERT_TRUE(described->has_value());
  EXPECT_EQ((*described)->columns[0].name, def.columns[0].name);
  EXPECT_EQ((*described)->columns[1].name, def.columns[1].name);
  EXPECT_EQ((*described)->key, def.key);
  std::vector<std::string> labels;
  const std::string id = Unique("it's\\`odd");
  ASSERT_TRUE(sink->Begin(def, {LoadId{id, "f'\\"}}).ok());
  ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 3), labels), 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(*sink->IsCommitted(id), true);
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, name)), "3\n");
}

TEST_F(ClickHouseSinkTest, CompressedRequestsLoadTheSameRows) {
  sink = OpenOrDie(url + "?compression=gzip");
  ASSERT_NE(sink, nullptr);
  const TableDef def = Readings(Unique("gzip"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  ASSERT_TRUE(Load(*sink, def, Unique("gz"), Range(0, 1000)).ok());
  EXPECT_EQ(Query(url, "SELECT count(), sum(id) FROM " + Table(url, def.name)), "1000\t499500\n");
}

TEST_F(ClickHouseSinkTest, RefusedDataIsInvalidData) {
  const TableDef def = Readings(Unique("refused"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  // The server's own refusal of malformed input, through the sink's classifier.
  auto endpoint = ParseClickHouseUrl(url);
  auto http = ClickHouseHttp::Create(*endpoint);
  ASSERT_TRUE(http.has_value());
  Status s = (*http)->Insert("INSERT INTO " + Table(url, def.name) + " FORMAT CSV", "",
                             "not-a-number,x,y\n", "insert");
  EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();

  // A value the table's own (narrower) type cannot hold.
  const TableDef narrow = HandMade(
      Unique("narrow"),
      "(id Int8, label Nullable(String), _sluice_load_id String) ENGINE = MergeTree ORDER BY "
      "tuple()");
  std::vector<std::string> labels;
  ASSERT_TRUE(sink->Begin(narrow, {LoadId{Unique("n"), "f"}}).ok());
  s = sink->Write(ReadingsBatch(narrow, {1, 1000}, labels), 0);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
  sink->Abort();
}

TEST_F(ClickHouseSinkTest, BadCredentialsAndDatabaseAreRefusals) {
  auto endpoint = ParseClickHouseUrl(url);
  ASSERT_TRUE(endpoint.has_value());
  const std::string base = "clickhouse://" + endpoint->user + ":";
  const std::string host = "@" + endpoint->host + ":" + std::to_string(endpoint->port);

  auto wrong = ClickHouseSink::Open(base + "Wr0ngSecretPassw0rd" + host + "/" + endpoint->database);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), StatusCode::kPermissionDenied) << wrong.error().ToString();
  EXPECT_EQ(wrong.error().message().find("Wr0ngSecretPassw0rd"), std::string::npos);

  auto no_db = ClickHouseSink::Open(base + endpoint->password + host + "/no_such_db");
  ASSERT_FALSE(no_db.has_value());
  EXPECT_EQ(no_db.error().code(), StatusCode::kPermissionDenied) << no_db.error().ToString();
  EXPECT_EQ(no_db.error().message().find(endpoint->password), std::string::npos);

  // Nothing listens on port 1: the server may come back, so retry.
  auto down = ClickHouseSink::Open(base + endpoint->password + "@127.0.0.1:1/x");
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code(), StatusCode::kUnavailable) << down.error().ToString();
  EXPECT_EQ(down.error().message().find(endpoint->password), std::string::npos);
}

TEST_F(ClickHouseSinkTest, OpenSinkDispatchesClickHouseUrls) {
  auto opened = OpenSink(url);
  ASSERT_TRUE(opened.has_value()) << opened.status().ToString();
  EXPECT_TRUE((*opened)->Ping().ok());
}

TEST_F(ClickHouseSinkTest, AddColumnsAddsMissingColumnsNullableOnce) {
  const std::string name = Unique("evolving");
  ::sluice::testing::CheckAddColumns([&]() -> std::unique_ptr<Sink> { return OpenOrDie(url); },
                                     name, Table(url, name),
                                     [&](const std::string& sql) {
                                       std::string cell = Query(url, sql);
                                       if (!cell.empty() && cell.back() == '\n') cell.pop_back();
                                       return cell;
                                     });
  EXPECT_EQ(Query(url, "SELECT type FROM system.columns WHERE database = '" + Database(url) +
                           "' AND table = '" + name + "' AND name = 'score'"),
            "Nullable(Int64)\n");
}

}  // namespace
}  // namespace sluice
