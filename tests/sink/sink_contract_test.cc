// SinkContractTest: every sink run through the whole Sink protocol (sink/sink.h)
// with the same cases, each checking what the database then holds, through the
// sink (DescribeTable, IsCommitted) and through a client of its own
// (contract_backends.h). SQLite always; PostgreSQL and ClickHouse with the test
// servers of scripts/test.sh (skipped without them, failed under CI=true).
// Documented differences between sinks are traits (SinkTraits), not skips. This
// file: the protocol (loads, groups, Abort, crashes, keys, AddColumns, names,
// misuse); sink_contract_values_test.cc: values of every type.
//
// Thread-safety: each test runs on one thread; the crash cases fork.
#include "sink/sink_contract.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "sink/add_columns_contract.h"

namespace sluice::contract {
namespace {

TEST_P(SinkContractTest, SingleLoadCommitsRowsCountsAndMarker) {
  const TableDef def = NewReadings();
  const LoadId load = NewLoad();
  EXPECT_FALSE(Committed(load.id));
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3}, storage), 0).ok());
  auto other = Open();
  ASSERT_NE(other, nullptr);
  auto seen = other->IsCommitted(load.id);
  EXPECT_TRUE(seen.has_value() && !*seen) << seen.status().ToString();
  // Asked on the connection that loads, the answer may be an error (PostgreSQL:
  // its connection is inside a COPY), never true, and the load goes on.
  seen = sink_->IsCommitted(load.id);
  EXPECT_FALSE(seen.has_value() && *seen);
  EXPECT_TRUE(Marker(load).empty());
  if (traits().transactional) {
    EXPECT_EQ(Count(def), "0");
  }
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 1u);
  EXPECT_EQ((*counts)[0].inserted, 3u);
  EXPECT_EQ((*counts)[0].skipped_by_key, 0u);

  EXPECT_TRUE(Committed(load.id));
  seen = other->IsCommitted(load.id);
  EXPECT_TRUE(seen.has_value() && *seen);
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3}));
  EXPECT_EQ(Marker(load), (Rows{{load.file, "3"}}));
}

TEST_P(SinkContractTest, GroupCommitsEveryLoadWithItsCountsInOrder) {
  const TableDef def = NewReadings();
  const std::vector<LoadId> loads = {NewLoad(), NewLoad(), NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  std::vector<std::string> storage;
  // Load 1 writes nothing at all; load 3 writes an empty batch, then rows.
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {10, 11, 12}, storage), 2).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {}, storage), 3).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {20}, storage), 3).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 4u);
  const std::vector<uint64_t> inserted = {3, 0, 3, 1};
  for (size_t i = 0; i < loads.size(); ++i) {
    EXPECT_EQ((*counts)[i].inserted, inserted[i]) << "load " << i;
    EXPECT_EQ((*counts)[i].skipped_by_key, 0u) << "load " << i;
    EXPECT_TRUE(Committed(loads[i].id)) << "load " << i;
    EXPECT_EQ(Marker(loads[i]), (Rows{{loads[i].file, std::to_string(inserted[i])}}));
  }
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3, 10, 11, 12, 20}));
}

TEST_P(SinkContractTest, AbortLeavesNothingAndTheSameIdsLoadAfterwards) {
  const TableDef def = NewReadings();
  const std::vector<LoadId> loads = {NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, Ids(0, 100), storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, Ids(100, 200), storage), 1).ok());
  sink_->Abort();
  sink_->Abort();  // nothing in progress: a no-op
  for (const LoadId& load : loads) {
    EXPECT_FALSE(Committed(load.id));
    EXPECT_TRUE(Marker(load).empty());
  }
  // ClickHouse's Abort deletes best effort; the next Begin of the ids guarantees it.
  if (traits().transactional) {
    EXPECT_EQ(Count(def), "0");
  }

  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  EXPECT_EQ(Count(def), "0");
  ASSERT_TRUE(sink_->Write(Readings(def, {1}, storage, "again"), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {2}, storage, "again"), 1).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2}, "again"));
  for (const LoadId& load : loads) EXPECT_EQ(Marker(load), (Rows{{load.file, "1"}}));
}

TEST_P(SinkContractTest, CommittedIdIsAlreadyExistsAloneAndInAGroup) {
  const TableDef def = NewReadings();
  const LoadId done = NewLoad();
  ASSERT_TRUE(Load(*sink_, def, {done}, {{1, 2}}).has_value());

  Status alone = sink_->Begin(def, {done});
  EXPECT_EQ(alone.code(), StatusCode::kAlreadyExists) << alone.ToString();
  const LoadId fresh = NewLoad();
  Status grouped = sink_->Begin(def, {fresh, done});
  EXPECT_EQ(grouped.code(), StatusCode::kAlreadyExists) << grouped.ToString();
  EXPECT_FALSE(Committed(fresh.id));
  EXPECT_TRUE(Marker(fresh).empty());
  EXPECT_EQ(Marker(done), (Rows{{done.file, "2"}}));  // not written twice

  // The refused Begin left no load in progress: the fresh id loads alone.
  auto counts = Load(*sink_, def, {fresh}, {{3}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3}));
}

}  // namespace

void SinkContractTest::CrashAfter(Step step, bool side) {
  const TableDef def = NewReadings();
  const TableDef side_def = side ? NewSide() : TableDef();
  const TableDef* side_table = side ? &side_def : nullptr;
  const LoadId load = NewLoad();
  const std::string url = backend_->Url();
  sink_.reset();  // no connection of this process is shared with the child
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto sink = OpenSink(url);
    if (!sink.has_value()) _exit(2);
    if (!(*sink)->Begin(def, {load}, side_table).ok()) _exit(3);
    std::vector<std::string> storage;
    const int writes = step == Step::kBegin ? 0 : step == Step::kOneWrite ? 1 : 3;
    for (int i = 0; i < writes; ++i) {
      if (!(*sink)
               ->Write(Readings(def, Ids(1000 * (i + 1), 1000 * (i + 1) + 500), storage), 0)
               .ok()) {
        _exit(4);
      }
      if (side && !(*sink)
                       ->WriteSide(SideRows(side_def, load, {"c" + std::to_string(i)}, storage), 0)
                       .ok()) {
        _exit(6);
      }
    }
    if (step == Step::kCommit && !(*sink)->Commit().has_value()) _exit(5);
    _exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0) << "the child failed before its crash";

  sink_ = Open();
  ASSERT_NE(sink_, nullptr);
  if (step == Step::kCommit) {
    EXPECT_TRUE(Committed(load.id));
    EXPECT_EQ(Marker(load), (Rows{{load.file, "1500"}}));
    EXPECT_EQ(sink_->Begin(def, {load}, side_table).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(Count(def), "1500");
    if (side) {
      Rows side_rows;
      for (const char* column : {"c0", "c1", "c2"}) {
        side_rows.push_back(ExpectedSide(load, {column})[0]);
      }
      EXPECT_EQ(SideRowsIn(side_def), Sorted(side_rows));
    }
    return;
  }
  EXPECT_FALSE(Committed(load.id));
  EXPECT_TRUE(Marker(load).empty());
  sink_->DiscardAttempt(def.name, load);
  Status begun = sink_->Begin(def, {load}, side_table);
  ASSERT_TRUE(begun.ok()) << begun.ToString();
  EXPECT_EQ(Count(def), "0") << "rows of the crashed attempt remain";
  if (side) {
    EXPECT_EQ(Count(side_def), "0") << "side rows of the crashed attempt remain";
  }
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2, 3}, storage), 0).ok());
  if (side) {
    ASSERT_TRUE(sink_->WriteSide(SideRows(side_def, load, {"x", "y"}, storage), 0).ok());
  }
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 3u);
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3}));
  EXPECT_EQ(Marker(load), (Rows{{load.file, "3"}}));
  if (side) {
    EXPECT_EQ(SideRowsIn(side_def), ExpectedSide(load, {"x", "y"}));
  }
}

namespace {

TEST_P(SinkContractTest, CrashAfterBeginLeavesNothing) { CrashAfter(Step::kBegin); }
TEST_P(SinkContractTest, CrashAfterAWriteLeavesNothing) { CrashAfter(Step::kOneWrite); }
TEST_P(SinkContractTest, CrashAfterSeveralWritesLeavesNothing) { CrashAfter(Step::kSeveralWrites); }
TEST_P(SinkContractTest, CrashAfterCommitKeepsTheLoad) { CrashAfter(Step::kCommit); }

TEST_P(SinkContractTest, DuplicateKeysAreSkippedAndTheFirstCommittedRowWins) {
  const TableDef def = NewReadings(/*keyed=*/true);
  auto described = sink_->DescribeTable(def.name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  EXPECT_EQ((*described)->key, def.key);

  // Within one load: 2 twice (the second labelled "dup").
  const LoadId first = NewLoad();
  ASSERT_TRUE(sink_->Begin(def, {first}).ok());
  std::vector<std::string> storage, dup;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {2, 3}, dup, "dup"), 0).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  const bool counted = traits().counts_skipped_by_key;
  EXPECT_EQ((*counts)[0].inserted, counted ? 3u : 4u);
  EXPECT_EQ((*counts)[0].skipped_by_key, counted ? 1u : 0u);

  // Across loads, committed before and in the same group.
  const std::vector<LoadId> group = {NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, group).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3, 4}, dup, "dup"), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {4, 5}, dup, "dup"), 1).ok());
  counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, counted ? 1u : 2u);
  EXPECT_EQ((*counts)[0].skipped_by_key, counted ? 1u : 0u);
  EXPECT_EQ((*counts)[1].inserted, counted ? 1u : 2u);
  EXPECT_EQ((*counts)[1].skipped_by_key, counted ? 1u : 0u);

  EXPECT_EQ(IdsAndLabels(def),
            (Rows{{"1", "l1"}, {"2", "l2"}, {"3", "dup3"}, {"4", "dup4"}, {"5", "dup5"}}));
  if (counted) {
    EXPECT_EQ(Marker(group[1]), (Rows{{group[1].file, "1"}}));
  }
}

TEST_P(SinkContractTest, AddColumnsThenLoadsUseTheNewColumn) {
  const std::string table = UniqueName("add");
  testing::CheckAddColumns([this] { return Open(); }, table, backend_->QuoteId(table),
                           [this](const std::string& sql) {
                             Rows rows = backend_->Query(sql);
                             return rows.empty() ? std::string("<no row>")
                                                 : rows[0][0].value_or("NULL");
                           });
}

TEST_P(SinkContractTest, HostileNamesRoundTrip) {
  // Short enough for PostgreSQL's 63 bytes with the unique suffix.
  const std::string table = UniqueName("t\"`' ;--\xE6\x97\xA5\\");
  // é and 🙂 (outside the BMP), or ☺ (U+263A) where names cannot hold 🙂.
  const std::string smiley = "\xC3\xA9t\xC3\xA9 \xF0\x9F\x99\x82";
  const std::string last = traits().supplementary_names ? smiley : "\xC3\xA9t\xC3\xA9 \xE2\x98\xBA";
  const TableDef def{table,
                     {{"select", ColumnType::kInteger, false},
                      {"a\"b`c'd", ColumnType::kString, true},
                      {"with space\t\\", ColumnType::kFloat, true},
                      {last, ColumnType::kBoolean, true}},
                     {"select"}};
  if (!traits().supplementary_names) {
    TableDef refused = def;
    refused.name = UniqueName("emoji");
    refused.columns.back().name = smiley;
    EXPECT_EQ(sink_->EnsureTable(refused).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(sink_->AddColumns(def.name, {{smiley, ColumnType::kString, true}}).status().code(),
              StatusCode::kInvalidArgument);
  }
  Status created = sink_->EnsureTable(def);
  ASSERT_TRUE(created.ok()) << created.ToString();
  ASSERT_TRUE(sink_->EnsureTable(def).ok());  // exists: left alone
  auto described = sink_->DescribeTable(table);
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  ASSERT_TRUE(described->has_value());
  EXPECT_EQ((*described)->name, table);
  EXPECT_EQ((*described)->columns, def.columns);
  EXPECT_EQ((*described)->key, def.key);

  Batch batch;
  batch.Reset(def.columns);
  for (int64_t i : {7, 8}) {
    batch.columns()[0].AppendInt(i);
    batch.columns()[1].AppendString("v'\"`");
    batch.columns()[2].AppendFloat(0.5);
    batch.columns()[3].AppendInt(1);
    batch.FinishRow(2);
  }
  const LoadId load{UniqueName("it's \"odd\\`"), "/in/x'; DROP TABLE y; --\".csv"};
  ASSERT_TRUE(sink_->Begin(def, {load}).ok());
  ASSERT_TRUE(sink_->Write(batch, 0).ok());
  ASSERT_TRUE(sink_->Commit().has_value());
  EXPECT_TRUE(Committed(load.id));
  EXPECT_EQ(Marker(load), (Rows{{load.file, "2"}}));
  std::string columns;
  for (const ColumnDef& c : def.columns) {
    columns += (columns.empty() ? "" : ", ") + backend_->Render(c.type, c.name);
  }
  EXPECT_EQ(backend_->Query("SELECT " + columns + " FROM " + backend_->From(table, true) +
                            " ORDER BY " + backend_->QuoteId("select")),
            (Rows{{"7", "v'\"`", "0.5", "1"}, {"8", "v'\"`", "0.5", "1"}}));
}

// ---- protocol misuse ----------------------------------------------------------

TEST_P(SinkContractTest, ProtocolMisuseIsRefusedNotACrash) {
  const TableDef def = NewReadings();
  std::vector<std::string> storage;
  const Batch rows = Readings(def, {1}, storage);
  EXPECT_EQ(sink_->Write(rows, 0).code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->Commit().status().code(), StatusCode::kInternal);
  sink_->Abort();  // nothing to abort
  EXPECT_EQ(sink_->Begin(def, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sink_->Begin(def, {{"", "/in/x.csv"}}).code(), StatusCode::kInvalidArgument);

  const std::vector<LoadId> loads = {NewLoad(), NewLoad()};
  // During a load: no second Begin, no change of tables.
  ASSERT_TRUE(sink_->Begin(def, {loads[0]}).ok());
  EXPECT_EQ(sink_->Begin(def, {loads[1]}).code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->EnsureTable(NewReadingsDef()).code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->AddColumns(def.name, {{"x", ColumnType::kString, true}}).status().code(),
            StatusCode::kInternal);
  sink_->Abort();
  // A load that was not begun; a load after a later one; a batch unlike the table.
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  EXPECT_EQ(sink_->Write(rows, 2).code(), StatusCode::kInternal);
  sink_->Abort();
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  ASSERT_TRUE(sink_->Write(rows, 1).ok());
  EXPECT_EQ(sink_->Write(rows, 0).code(), StatusCode::kInternal);
  sink_->Abort();
  Batch wrong;
  wrong.Reset({{"id", ColumnType::kString, true}, {"label", ColumnType::kString, true}});
  wrong.columns()[0].AppendString("1");
  wrong.columns()[1].AppendString("x");
  wrong.FinishRow(2);
  ASSERT_TRUE(sink_->Begin(def, loads).ok());
  EXPECT_EQ(sink_->Write(wrong, 0).code(), StatusCode::kInternal);
  sink_->Abort();
  for (const LoadId& load : loads) EXPECT_FALSE(Committed(load.id));

  // A table that does not exist: refused (the code differs: SQLite and ClickHouse
  // Internal, PostgreSQL InvalidData), nothing left in progress.
  const LoadId nowhere = NewLoad();
  Status missing = sink_->Begin(NewReadingsDef(), {nowhere});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.code(), StatusCode::kAlreadyExists) << missing.ToString();
  sink_->Abort();
  EXPECT_FALSE(Committed(nowhere.id));
  // One id twice in a group (the caller's promise broken): refused by Begin (the
  // load session, for every sink), never stored twice.
  const LoadId twice = NewLoad();
  Status status = sink_->Begin(def, {twice, twice});
  if (status.ok()) {
    status = sink_->Write(rows, 0);
    if (status.ok()) status = sink_->Write(rows, 1);
    if (status.ok()) status = sink_->Commit().status();
  }
  EXPECT_FALSE(status.ok());
  sink_->Abort();
  EXPECT_FALSE(Committed(twice.id));
  EXPECT_TRUE(Marker(twice).empty());
  EXPECT_EQ(Count(def), "0");

  // Commit twice; Write after Commit.
  ASSERT_TRUE(sink_->Begin(def, {loads[0]}).ok());
  ASSERT_TRUE(sink_->Write(rows, 0).ok());
  ASSERT_TRUE(sink_->Commit().has_value());
  EXPECT_EQ(sink_->Commit().status().code(), StatusCode::kInternal);
  EXPECT_EQ(sink_->Write(rows, 0).code(), StatusCode::kInternal);
  sink_->Abort();  // after Commit: nothing in progress
  EXPECT_TRUE(Committed(loads[0].id));
  EXPECT_EQ(Marker(loads[0]), (Rows{{loads[0].file, "1"}}));
  EXPECT_EQ(IdsAndLabels(def), Expected({1}));
}

INSTANTIATE_TEST_SUITE_P(AllSinks, SinkContractTest,
                         ::testing::Values("sqlite", "postgres", "clickhouse", "mysql", "parquet"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::contract
