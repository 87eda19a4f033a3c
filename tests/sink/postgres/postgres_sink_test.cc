#include "sink/postgres/postgres_sink.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sink/add_columns_contract.h"
#include "sink/postgres/postgres_sink_fixture.h"
#include "sink/registry.h"
#include "sink/sink_test_rows.h"
#include "test_util.h"

namespace sluice {
namespace {

TEST_F(PostgresSinkTest, CreateAndDescribeRoundTripEveryType) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("types");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  auto missing = sink->DescribeTable(name);
  ASSERT_TRUE(missing.has_value()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());

  const TableDef def = AllTypes(name, {"id", "day"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  ASSERT_TRUE(sink->EnsureTable(def).ok());  // exists: unchanged, no error
  auto described = sink->DescribeTable(name);
  ASSERT_TRUE(described.has_value() && described->has_value()) << described.status().ToString();
  EXPECT_EQ((*described)->columns, def.columns);
  EXPECT_EQ((*described)->key, def.key);
  EXPECT_EQ(Scalar(url,
                   "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) "
                   "FROM pg_attribute WHERE attrelid = '" +
                       QuoteId(name) + "'::regclass AND attnum > 0"),
            "bigint,double precision,boolean,date,timestamp with time zone,text");
  Drop(url, name);
}

TEST_F(PostgresSinkTest, CommittedRowsAreVisibleWithTheirValues) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("values");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef def = AllTypes(name);
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  ASSERT_TRUE(sink->Begin(def, {{LoadId("a"), "/in/a.csv"}}).ok());
  Batch batch;
  batch.Reset(def.columns);
  // 1969-12-31 and 1969-12-31T23:59:59.5Z; 1900-03-01; 2024-02-29T12:34:56.789012Z.
  AddRow(batch, 1, -1.5, true, -1, -500000, "naïve, \"quoted\"\ttab", 2);
  AddRow(batch, 2, 1e300, false, -25508, -2203891200000000, "", 3);
  AddRow(batch, 3, 0.1, true, 19782, 1709210096789012, "日本", 4);
  AddNullRow(batch, 4, 5);
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "0");  // not yet committed
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 4u);
  EXPECT_EQ(counts->front().skipped_by_key, 0u);

  Rows rows = Query(url, "SELECT id, x, ok, day, at, label FROM " + QuoteId(name) + " ORDER BY id");
  Rows want = {
      {"1", "-1.5", "t", "1969-12-31", "1969-12-31 23:59:59.5+00", "naïve, \"quoted\"\ttab"},
      {"2", "1e+300", "f", "1900-03-01", "1900-03-01 00:00:00+00", ""},
      {"3", "0.1", "t", "2024-02-29", "2024-02-29 12:34:56.789012+00", "日本"},
      {"4", "NULL", "NULL", "NULL", "NULL", "NULL"},
  };
  EXPECT_EQ(rows, want);
  EXPECT_EQ(
      Query(url, "SELECT table_name, file, rows, skipped FROM sluice.loads WHERE load_id = '" +
                     LoadId("a") + "'"),
      (Rows{{name, "/in/a.csv", "4", "0"}}));
  Drop(url, name);
}

TEST_F(PostgresSinkTest, AbortLeavesNothingAndCommitIsRecorded) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("abort");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef def = AllTypes(name);
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch batch;
  batch.Reset(def.columns);
  AddRow(batch, 1, 1, true, 0, 0, "a", 2);

  ASSERT_TRUE(sink->Begin(def, {{LoadId("x"), "x.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  sink->Abort();
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "0");
  auto committed = sink->IsCommitted(LoadId("x"));
  ASSERT_TRUE(committed.has_value());
  EXPECT_FALSE(*committed);

  // The same id loads after the abort, once.
  ASSERT_TRUE(sink->Begin(def, {{LoadId("x"), "x.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  committed = sink->IsCommitted(LoadId("x"));
  ASSERT_TRUE(committed.has_value());
  EXPECT_TRUE(*committed);
  Status again = sink->Begin(def, {{LoadId("x"), "x.csv"}});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();

  // Another connection sees the marker too.
  auto other = OpenOrDie(url);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Begin(def, {{LoadId("x"), "copy.csv"}}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "1");
  Drop(url, name);
}

TEST_F(PostgresSinkTest, KeyDeduplicatesWithinAndAcrossLoads) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("keyed");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef def = AllTypes(name, {"id"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  auto described = sink->DescribeTable(name);
  ASSERT_TRUE(described.has_value() && described->has_value());
  const TableDef& table = **described;
  ASSERT_EQ(table.key, std::vector<std::string>{"id"});

  Batch batch;
  batch.Reset(table.columns);
  AddRow(batch, 1, 1, true, 0, 0, "first", 2);
  AddRow(batch, 2, 2, true, 0, 0, "first", 3);
  AddRow(batch, 2, 2, true, 0, 0, "dup in file", 4);
  AddRow(batch, 3, 3, true, 0, 0, "first", 5);
  ASSERT_TRUE(sink->Begin(table, {{LoadId("1"), "1.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 3u);
  EXPECT_EQ(counts->front().skipped_by_key, 1u);

  batch.Clear();
  AddRow(batch, 3, 3, true, 0, 0, "second", 2);
  AddRow(batch, 4, 4, true, 0, 0, "second", 3);
  ASSERT_TRUE(sink->Begin(table, {{LoadId("2"), "2.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  batch.Clear();
  AddRow(batch, 1, 4, true, 0, 0, "second", 4);
  ASSERT_TRUE(sink->Write(batch, 0).ok());  // a second batch of the same load
  counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 1u);
  EXPECT_EQ(counts->front().skipped_by_key, 2u);

  EXPECT_EQ(Query(url, "SELECT id, label FROM " + QuoteId(name) + " ORDER BY id"),
            (Rows{{"1", "first"}, {"2", "first"}, {"3", "first"}, {"4", "second"}}));
  EXPECT_EQ(Scalar(url, "SELECT skipped FROM sluice.loads WHERE load_id = '" + LoadId("2") + "'"),
            "2");
  Drop(url, name);
}

// The move from the stage sorts by key; of one key's rows the first of the file
// must still win, whether its duplicates are in the same batch, in later
// batches, or already in the table, and the skips must be counted.
TEST_F(PostgresSinkTest, KeyedLoadKeepsTheFirstRowOfEachKeyInFileOrder) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("keyed_order");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef table = AllTypes(name, {"id", "day"});
  ASSERT_TRUE(sink->EnsureTable(table).ok());

  // Load 1: keys 0..99 already in the table, labelled "old".
  Batch batch;
  batch.Reset(table.columns);
  for (int64_t id = 0; id < 100; ++id) AddRow(batch, id, 0, true, 7, 0, "old", 2 + id);
  ASSERT_TRUE(sink->Begin(table, {{LoadId("1"), "1.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());

  // Load 2: 6,000 rows over keys 50..249 in descending id order (so the key
  // order is not the file's), each key 30 times across three batches; the
  // label is the row's line. Keys 50..99 collide with load 1.
  ASSERT_TRUE(sink->Begin(table, {{LoadId("2"), "2.csv"}}).ok());
  std::vector<std::string> labels;  // the batch holds views of them
  labels.reserve(6000);
  uint64_t line = 2;
  for (int part = 0; part < 3; ++part) {
    batch.Clear();
    for (int round = 0; round < 10; ++round) {
      for (int64_t id = 249; id >= 50; --id, ++line) {
        labels.push_back("line " + std::to_string(line));
        AddRow(batch, id, 0, true, 7, 0, labels.back(), line);
      }
    }
    ASSERT_TRUE(sink->Write(batch, 0).ok());
  }
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 150u);
  EXPECT_EQ(counts->front().skipped_by_key, 6000u - 150u);

  const std::string t = QuoteId(name);
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + t), "250");
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + t + " WHERE label = 'old'"), "100");
  // Key id (100..249) first appears on line 2 + (249 - id).
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + t +
                            " WHERE id >= 100 AND label = 'line ' || (251 - id)"),
            "150");
  Drop(url, name);
}

TEST_F(PostgresSinkTest, HostileIdentifiersAreQuoted) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = "we\"ird; DROP TABLE x; --" + std::to_string(getpid());
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef def{name,
                     {{"select", ColumnType::kInteger, true},
                      {"a\"b", ColumnType::kString, true},
                      {"日本", ColumnType::kFloat, true}},
                     {"select", "a\"b"}};
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  auto described = sink->DescribeTable(name);
  ASSERT_TRUE(described.has_value() && described->has_value()) << described.status().ToString();
  EXPECT_EQ((*described)->columns, def.columns);
  EXPECT_EQ((*described)->key, def.key);

  Batch batch;
  batch.Reset(def.columns);
  batch.columns()[0].AppendInt(7);
  batch.columns()[1].AppendString("'); DROP TABLE y; --");
  batch.columns()[2].AppendFloat(2.5);
  batch.FinishRow(2);
  ASSERT_TRUE(sink->Begin(**described, {{LoadId("h"), "we\"ird.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(Query(url, "SELECT \"select\", \"a\"\"b\", \"日本\" FROM " + QuoteId(name)),
            (Rows{{"7", "'); DROP TABLE y; --", "2.5"}}));
  Drop(url, name);
}

TEST_F(PostgresSinkTest, LoadsIntoTheSchemaOfTheSearchPath) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string schema = "schema_" + std::to_string(getpid());
  Query(url, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  Query(url, "CREATE SCHEMA " + schema);
  auto sink = OpenOrDie(WithParam(url, "options=-csearch_path%3D" + schema));
  ASSERT_NE(sink, nullptr);
  // Named like the keyed load's temporary table, which must not shadow it.
  const TableDef def = AllTypes("sluice_stage", {"id"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch batch;
  batch.Reset(def.columns);
  AddRow(batch, 1, 1, true, 0, 0, "a", 2);
  AddRow(batch, 1, 1, true, 0, 0, "again", 3);
  ASSERT_TRUE(sink->Begin(def, {{LoadId("s"), "s.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(counts->front().inserted, 1u);
  EXPECT_EQ(counts->front().skipped_by_key, 1u);
  EXPECT_EQ(Query(url, "SELECT label FROM " + schema + ".sluice_stage"), (Rows{{"a"}}));
  EXPECT_EQ(Scalar(url, "SELECT to_regclass('public.sluice_stage') IS NULL"), "t");
  Query(url, "DROP SCHEMA " + schema + " CASCADE");
}

TEST_F(PostgresSinkTest, RefusedRowIsInvalidDataWithItsLine) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("notnull");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  for (bool keyed : {false, true}) {
    Drop(url, name);
    // The sink accepts what the table says; the server refuses the NULL label.
    Batch batch;
    const TableDef def = CreateWithNotNullLabel(*sink, name, keyed, batch);
    ASSERT_TRUE(sink->Begin(def, {{LoadId(keyed ? "k" : "n"), "bad.csv"}}).ok());
    Status s = WriteAndCommit(*sink, {{0, &batch}});
    EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
    EXPECT_NE(s.message().find("bad.csv, line 11"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("not-null"), std::string::npos) << s.ToString();
    // The row, as the pipeline reads it to load the file again without it.
    ASSERT_EQ(sink->refused().size(), 1u);
    EXPECT_EQ(sink->refused()[0].load, 0u);
    EXPECT_EQ(sink->refused()[0].line, 11u);
    EXPECT_NE(sink->refused()[0].reason.find("not-null"), std::string::npos);
    sink->Abort();
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "0");
    auto committed = sink->IsCommitted(LoadId(keyed ? "k" : "n"));
    ASSERT_TRUE(committed.has_value());
    EXPECT_FALSE(*committed);
    // The connection is still good for the next load.
    batch.Clear();
    AddRow(batch, 3, 1, true, 0, 0, "fine", 2);
    ASSERT_TRUE(sink->Begin(def, {{LoadId(keyed ? "k2" : "n2"), "good.csv"}}).ok());
    ASSERT_TRUE(sink->Write(batch, 0).ok());
    ASSERT_TRUE(sink->Commit().has_value());
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "1");
  }
  Drop(url, name);
}

// A refused row still in the loads' COPY when Commit writes the side rows is
// reported with its line (the side step ends that COPY first), and the side
// table keeps nothing; then side rows of every type round-trip.
TEST_F(PostgresSinkTest, ARowRefusedWhenTheSideRowsFollowKeepsItsLine) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("sidenn"), side_name = Name("sidestats");
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef side = AllTypes(side_name);
  Drop(url, side_name);
  ASSERT_TRUE(sink->EnsureTable(side).ok());
  Batch side_rows;
  side_rows.Reset(side.columns);
  AddRow(side_rows, 1, -1.5, true, -1, -500000, "naïve", 1);
  AddNullRow(side_rows, 2, 1);
  for (bool keyed : {false, true}) {
    SCOPED_TRACE(keyed);
    Drop(url, name);
    Batch batch;
    const TableDef def = CreateWithNotNullLabel(*sink, name, keyed, batch);
    ASSERT_TRUE(sink->Begin(def, {{LoadId(keyed ? "k" : "n"), "bad.csv"}}, &side).ok());
    ASSERT_TRUE(sink->Write(batch, 0).ok());
    ASSERT_TRUE(sink->WriteSide(side_rows, 0).ok());
    Status s = sink->Commit().status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
    EXPECT_NE(s.message().find("bad.csv, line 11"), std::string::npos) << s.ToString();
    ASSERT_EQ(sink->refused().size(), 1u);
    EXPECT_EQ(sink->refused()[0].line, 11u);
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "0");
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(side_name)), "0");
  }
  Batch batch;
  batch.Reset(AllTypes(name).columns);
  AddRow(batch, 3, 1, true, 0, 0, "fine", 2);
  ASSERT_TRUE(sink->Begin(AllTypes(name), {{LoadId("good"), "good.csv"}}, &side).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  ASSERT_TRUE(sink->WriteSide(side_rows, 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(
      Query(url, "SELECT id, x, ok, day, at, label FROM " + QuoteId(side_name) + " ORDER BY id"),
      (Rows{{"1", "-1.5", "t", "1969-12-31", "1969-12-31 23:59:59.5+00", "naïve"},
            {"2", "NULL", "NULL", "NULL", "NULL", "NULL"}}));
  Drop(url, name);
  Drop(url, side_name);
}

TEST_F(PostgresSinkTest, LoadOfMoreRowsThanOneCopyLoadsThemAll) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("big");
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  constexpr int kBatches = 14;
  // 280,000 rows, each line one after a gap (records of two lines): more than
  // the 2^18 runs of lines one COPY keeps.
  constexpr int kRows = 20000;
  for (bool keyed : {false, true}) {
    Drop(url, name);
    TableDef def =
        AllTypes(name, keyed ? std::vector<std::string>{"id"} : std::vector<std::string>{});
    def.columns[5].nullable = false;
    ASSERT_TRUE(sink->EnsureTable(def).ok());
    TableDef loose = def;
    loose.columns[5].nullable = true;
    Batch batch;
    batch.Reset(loose.columns);
    const std::string tag = keyed ? "k" : "n";
    ASSERT_TRUE(
        sink->Begin(def, {{LoadId(tag + "small"), "small.csv"}, {LoadId(tag + "big"), "big.csv"}})
            .ok());
    batch.Clear();
    AddRow(batch, -1, 0, true, 0, 0, "small", 2);
    ASSERT_TRUE(sink->Write(batch, 0).ok());
    for (int b = 0; b < kBatches; ++b) {
      batch.Clear();
      for (int r = 0; r < kRows; ++r) {
        const int64_t id = int64_t{b} * kRows + r;
        AddRow(batch, id, 0.5, true, 0, 0, "row", 2 * id + 2);
      }
      Status s = sink->Write(batch, 1);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    auto counts = sink->Commit();
    ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
    EXPECT_EQ((*counts)[0].inserted, 1u);
    EXPECT_EQ((*counts)[1].inserted, uint64_t{kBatches} * kRows);
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)),
              std::to_string(kBatches * kRows + 1));

    // A refused row in a later COPY is still found by its line.
    ASSERT_TRUE(sink->Begin(def, {{LoadId(tag + "bad"), "bad.csv"}}).ok());
    Status s;
    for (int b = 0; b < kBatches && s.ok(); ++b) {
      batch.Clear();
      for (int r = 0; r < kRows; ++r) {
        const int64_t id = 1000000 + int64_t{b} * kRows + r;
        if (id == 1071234) {
          AddNullRow(batch, id, 2 * id);
        } else {
          AddRow(batch, id, 0.5, true, 0, 0, "row", 2 * id);
        }
      }
      s = sink->Write(batch, 0);
    }
    if (s.ok()) s = sink->Commit().status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
    EXPECT_NE(s.message().find("bad.csv, line 2142468"), std::string::npos) << s.ToString();
    sink->Abort();
  }
  Drop(url, name);
}

// A batch is encoded and sent a slice of rows at a time: every row of a batch
// of several slices arrives once, with its values, NULLs and texts of any length.
TEST_F(PostgresSinkTest, RowsOfABatchOfManySlicesArriveWithTheirValues) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("slices");
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  Drop(url, name);
  const TableDef def = AllTypes(name);
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch batch;
  batch.Reset(def.columns);
  constexpr int64_t kRows = 3333;
  const std::string text(1000, 'y');
  int64_t id_sum = 0, x2_sum = 0, label_bytes = 0, nulls = 0;
  for (int64_t id = 0; id < kRows; ++id) {
    const std::string_view label = std::string_view(text).substr(0, id % 1000);
    if (id % 97 == 0) {
      AddNullRow(batch, id, id + 2);
      ++nulls;
    } else {
      AddRow(batch, id, id * 0.5, id % 2 == 0, id, id * 1000000, label, id + 2);
      x2_sum += id;
      label_bytes += static_cast<int64_t>(label.size());
    }
    id_sum += id;
  }
  ASSERT_TRUE(sink->Begin(def, {{LoadId("slices"), "slices.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, static_cast<uint64_t>(kRows));
  EXPECT_EQ(Query(url,
                  "SELECT count(*), count(DISTINCT id), sum(id), sum(x * 2)::bigint, "
                  "coalesce(sum(length(label)), 0), count(*) - count(label), "
                  "sum((day - DATE '1970-01-01') - id), "
                  "sum(extract(epoch FROM at)::bigint - id) FROM " +
                      QuoteId(name)),
            (Rows{{std::to_string(kRows), std::to_string(kRows), std::to_string(id_sum),
                   std::to_string(x2_sum), std::to_string(label_bytes), std::to_string(nulls), "0",
                   "0"}}));
  Drop(url, name);
}

TEST_F(PostgresSinkTest, ReconnectsAfterTheConnectionIsLost) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("reconnect");
  const std::string app = "sluice_reconnect_" + std::to_string(getpid());
  Drop(url, name);
  auto sink = OpenOrDie(WithParam(url, "application_name=" + app));
  ASSERT_NE(sink, nullptr);
  const TableDef def = AllTypes(name);
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch batch;
  batch.Reset(def.columns);
  AddRow(batch, 1, 1, true, 0, 0, "a", 2);

  // Killed in the middle of a load: the load fails as transient, nothing is left.
  ASSERT_TRUE(sink->Begin(def, {{LoadId("r"), "r.csv"}}).ok());
  EXPECT_EQ(Scalar(url,
                   "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                   "application_name = '" +
                       app + "'"),
            "1");
  Status s = sink->Write(batch, 0);
  EXPECT_TRUE(s.IsTransient()) << s.ToString();
  sink->Abort();

  // The next load reconnects.
  ASSERT_TRUE(sink->Begin(def, {{LoadId("r"), "r.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "1");

  // Killed while idle (as by a server restart): the next call reconnects at once.
  EXPECT_EQ(Scalar(url,
                   "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                   "application_name = '" +
                       app + "'"),
            "1");
  auto described = sink->DescribeTable(name);
  ASSERT_TRUE(described.has_value()) << described.status().ToString();
  EXPECT_TRUE(described->has_value());
  ASSERT_TRUE(sink->Ping().ok());
  Drop(url, name);
}

TEST_F(PostgresSinkTest, WrongPasswordIsRefusedAndNeverShown) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const size_t colon = url.find(':', url.find("://") + 3);
  const size_t at = url.find('@');
  ASSERT_TRUE(colon != std::string::npos && at != std::string::npos && colon < at);
  const std::string real_password = url.substr(colon + 1, at - colon - 1);
  const std::string wrong = url.substr(0, colon + 1) + "Wr0ngPassw0rd" + url.substr(at);
  auto sink = OpenSink(wrong);
  ASSERT_FALSE(sink.has_value());
  EXPECT_EQ(sink.error().code(), StatusCode::kPermissionDenied) << sink.error().ToString();
  EXPECT_EQ(sink.error().message().find("Wr0ngPassw0rd"), std::string::npos)
      << sink.error().ToString();
  EXPECT_NE(sink.error().message().find(":***@"), std::string::npos) << sink.error().ToString();
  EXPECT_EQ(sink.error().message().find(real_password), std::string::npos);

  // A missing database is a refusal too.
  const size_t slash = url.find('/', at);
  auto nodb = OpenSink(url.substr(0, slash) + "/no_such_database_here");
  ASSERT_FALSE(nodb.has_value());
  EXPECT_EQ(nodb.error().code(), StatusCode::kPermissionDenied) << nodb.error().ToString();
  EXPECT_EQ(nodb.error().message().find(real_password), std::string::npos);

  // Nothing listens: transient.
  auto down = OpenSink("postgresql://u:" + real_password + "@127.0.0.1:1/db");
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code(), StatusCode::kUnavailable) << down.error().ToString();
  EXPECT_EQ(down.error().message().find(real_password), std::string::npos);
}

TEST_F(PostgresSinkTest, OpensKeyValueConninfoAndPostgresScheme) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  // postgresql://USER:PASS@HOST:PORT/DB as key=value text.
  const std::string rest = url.substr(url.find("://") + 3);
  const std::string user = rest.substr(0, rest.find(':'));
  const std::string password = rest.substr(rest.find(':') + 1, rest.find('@') - rest.find(':') - 1);
  const std::string hostport = rest.substr(rest.find('@') + 1, rest.find('/') - rest.find('@') - 1);
  const std::string db = rest.substr(rest.find('/') + 1);
  const std::string conninfo = "postgresql:host=" + hostport.substr(0, hostport.find(':')) +
                               " port=" + hostport.substr(hostport.find(':') + 1) +
                               " user=" + user + " password='" + password + "' dbname=" + db;
  auto sink = OpenSink(conninfo);
  ASSERT_TRUE(sink.has_value()) << sink.error().ToString();
  EXPECT_TRUE((*sink)->Ping().ok());
  auto short_scheme = OpenSink("postgres://" + rest);
  ASSERT_TRUE(short_scheme.has_value()) << short_scheme.error().ToString();
  EXPECT_TRUE((*short_scheme)->Ping().ok());
}

TEST_F(PostgresSinkTest, AddColumnsAddsMissingColumnsNullableOnce) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("evolving");
  Drop(url, name);
  ::sluice::testing::CheckAddColumns([&]() -> std::unique_ptr<Sink> { return OpenOrDie(url); },
                                     name, QuoteId(name),
                                     [&](const std::string& sql) { return Scalar(url, sql); });
  Drop(url, name);
}

}  // namespace
}  // namespace sluice
