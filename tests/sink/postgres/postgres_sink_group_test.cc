// The PostgreSQL sink's groups: several loads in one transaction, each with its
// marker and counts, against a real server (SLUICE_TEST_POSTGRES_URL).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sink/postgres/postgres_sink_fixture.h"

namespace sluice {
namespace {

TEST_F(PostgresSinkTest, GroupCommitsEveryLoadWithItsCounts) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("group");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef def = AllTypes(name);
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch a, c1, c2;
  for (Batch* b : {&a, &c1, &c2}) b->Reset(def.columns);
  AddRow(a, 1, 1, true, 0, 0, "a", 2);
  AddRow(a, 2, 1, true, 0, 0, "a", 3);
  AddRow(c1, 3, 1, true, 0, 0, "c", 2);
  AddRow(c2, 4, 1, true, 0, 0, "c", 3);
  AddRow(c2, 5, 1, true, 0, 0, "c", 4);
  // The second load has no rows; names need quoting inside the marker arrays.
  const std::vector<sluice::LoadId> loads = {
      {LoadId("a"), "in/a,\"1\".csv"}, {LoadId("b"), "in/{b}.csv"}, {LoadId("c"), "in/c.csv"}};
  ASSERT_TRUE(sink->Begin(def, loads).ok());
  ASSERT_TRUE(sink->Write(a, 0).ok());
  ASSERT_TRUE(sink->Write(c1, 2).ok());
  ASSERT_TRUE(sink->Write(c2, 2).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].inserted, 2u);
  EXPECT_EQ((*counts)[1].inserted, 0u);
  EXPECT_EQ((*counts)[2].inserted, 3u);
  for (const auto& load : loads) {
    auto committed = sink->IsCommitted(load.id);
    ASSERT_TRUE(committed.has_value()) << committed.status().ToString();
    EXPECT_TRUE(*committed) << load.id;
  }
  EXPECT_EQ(Query(url, "SELECT file, rows, skipped, table_name = '" + name +
                           "' FROM sluice.loads WHERE load_id LIKE '" + LoadId("") +
                           "%' ORDER BY load_id"),
            (Rows{{"in/a,\"1\".csv", "2", "0", "t"},
                  {"in/{b}.csv", "0", "0", "t"},
                  {"in/c.csv", "3", "0", "t"}}));
  EXPECT_EQ(Scalar(url, "SELECT string_agg(id::text, ',' ORDER BY id) FROM " + QuoteId(name)),
            "1,2,3,4,5");
  Drop(url, name);
}

TEST_F(PostgresSinkTest, KeyedGroupCountsSkippedRowsPerLoad) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("kgroup");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef def = AllTypes(name, {"id"});
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch first, second, third;
  for (Batch* b : {&first, &second, &third}) b->Reset(def.columns);
  AddRow(first, 1, 1, true, 0, 0, "first", 2);
  AddRow(first, 2, 1, true, 0, 0, "first", 3);
  AddRow(second, 2, 1, true, 0, 0, "second", 2);
  AddRow(second, 3, 1, true, 0, 0, "second", 3);
  AddRow(second, 3, 1, true, 0, 0, "second again", 4);
  AddRow(third, 4, 1, true, 0, 0, "third", 2);
  ASSERT_TRUE(
      sink->Begin(def, {{LoadId("1"), "1.csv"}, {LoadId("2"), "2.csv"}, {LoadId("3"), "3.csv"}})
          .ok());
  ASSERT_TRUE(sink->Write(first, 0).ok());
  ASSERT_TRUE(sink->Write(second, 1).ok());
  ASSERT_TRUE(sink->Write(third, 2).ok());
  auto counts = sink->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].inserted, 2u);
  EXPECT_EQ((*counts)[0].skipped_by_key, 0u);
  EXPECT_EQ((*counts)[1].inserted, 1u);
  EXPECT_EQ((*counts)[1].skipped_by_key, 2u);
  EXPECT_EQ((*counts)[2].inserted, 1u);
  EXPECT_EQ((*counts)[2].skipped_by_key, 0u);
  EXPECT_EQ(Query(url, "SELECT id, label FROM " + QuoteId(name) + " ORDER BY id"),
            (Rows{{"1", "first"}, {"2", "first"}, {"3", "second"}, {"4", "third"}}));
  EXPECT_EQ(Query(url, "SELECT rows, skipped FROM sluice.loads WHERE load_id LIKE '" + LoadId("") +
                           "%' ORDER BY load_id"),
            (Rows{{"2", "0"}, {"1", "2"}, {"1", "0"}}));
  Drop(url, name);
}

TEST_F(PostgresSinkTest, GroupWithACommittedLoadIsRefused) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("dup");
  Drop(url, name);
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  const TableDef def = AllTypes(name);
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  Batch batch;
  batch.Reset(def.columns);
  AddRow(batch, 1, 1, true, 0, 0, "a", 2);
  ASSERT_TRUE(sink->Begin(def, {{LoadId("done"), "done.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 0).ok());
  ASSERT_TRUE(sink->Commit().has_value());

  Status s = sink->Begin(
      def, {{LoadId("x"), "x.csv"}, {LoadId("done"), "again.csv"}, {LoadId("y"), "y.csv"}});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_NE(s.message().find("again.csv"), std::string::npos) << s.ToString();
  for (const char* id : {"x", "y"}) {
    auto committed = sink->IsCommitted(LoadId(id));
    ASSERT_TRUE(committed.has_value());
    EXPECT_FALSE(*committed);
  }
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "1");
  // The others load as a group of their own.
  ASSERT_TRUE(sink->Begin(def, {{LoadId("x"), "x.csv"}, {LoadId("y"), "y.csv"}}).ok());
  ASSERT_TRUE(sink->Write(batch, 1).ok());
  ASSERT_TRUE(sink->Commit().has_value());
  EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "2");
  Drop(url, name);
}

TEST_F(PostgresSinkTest, GroupSharingAnIdWaitsForTheFirstToCommit) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("wait");
  Drop(url, name);
  auto first = OpenOrDie(url);
  auto second = OpenOrDie(url);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const TableDef def = AllTypes(name);
  ASSERT_TRUE(first->EnsureTable(def).ok());
  Batch batch;
  batch.Reset(def.columns);
  AddRow(batch, 1, 1, true, 0, 0, "a", 2);
  ASSERT_TRUE(first->Begin(def, {{LoadId("x"), "x.csv"}, {LoadId("y"), "y.csv"}}).ok());
  ASSERT_TRUE(first->Write(batch, 1).ok());
  // The second group shares y: its Begin waits for the first's locks, then finds
  // y committed.
  std::atomic<bool> begun = false;
  Status second_begin;
  std::thread other([&] {
    second_begin = second->Begin(def, {{LoadId("y"), "y again.csv"}, {LoadId("z"), "z.csv"}});
    begun = true;
  });
  // Bounded: the second Begin shows as a backend waiting for a lock (the first
  // group holds y's marker row), seen before the first commits.
  bool waiting = false;
  for (int i = 0; i < 300 && !waiting && !begun; ++i) {
    waiting = Scalar(url,
                     "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                     "AND datname = current_database()") != "0";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(waiting) << "the second group's Begin "
                       << (begun ? "returned: " + second_begin.ToString() : "never waited");
  EXPECT_FALSE(begun);
  ASSERT_TRUE(first->Commit().has_value());
  other.join();
  EXPECT_EQ(second_begin.code(), StatusCode::kAlreadyExists) << second_begin.ToString();
  EXPECT_NE(second_begin.message().find("y again.csv"), std::string::npos)
      << second_begin.ToString();
  auto committed = second->IsCommitted(LoadId("z"));
  ASSERT_TRUE(committed.has_value());
  EXPECT_FALSE(*committed);
  Drop(url, name);
}

TEST_F(PostgresSinkTest, AbortOfAGroupLeavesNoRowsAndNoMarkers) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("groupabort");
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  for (bool keyed : {false, true}) {
    Drop(url, name);
    const TableDef def =
        AllTypes(name, keyed ? std::vector<std::string>{"id"} : std::vector<std::string>{});
    ASSERT_TRUE(sink->EnsureTable(def).ok());
    Batch a, b;
    a.Reset(def.columns);
    b.Reset(def.columns);
    AddRow(a, 1, 1, true, 0, 0, "a", 2);
    AddRow(b, 2, 1, true, 0, 0, "b", 2);
    const std::string tag = keyed ? "k" : "n";
    ASSERT_TRUE(
        sink->Begin(def, {{LoadId(tag + "a"), "a.csv"}, {LoadId(tag + "b"), "b.csv"}}).ok());
    ASSERT_TRUE(sink->Write(a, 0).ok());
    ASSERT_TRUE(sink->Write(b, 1).ok());  // a COPY is open
    sink->Abort();
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "0");
    EXPECT_EQ(
        Scalar(url, "SELECT count(*) FROM sluice.loads WHERE load_id LIKE '" + LoadId(tag) + "%'"),
        "0");
    // The connection serves the same loads again.
    ASSERT_TRUE(
        sink->Begin(def, {{LoadId(tag + "a"), "a.csv"}, {LoadId(tag + "b"), "b.csv"}}).ok());
    ASSERT_TRUE(sink->Write(a, 0).ok());
    ASSERT_TRUE(sink->Write(b, 1).ok());
    auto counts = sink->Commit();
    ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "2");
  }
  Drop(url, name);
}

TEST_F(PostgresSinkTest, RefusedRowOfALaterLoadNamesItsFileAndLine) {
  SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_POSTGRES_URL");
  const std::string name = Name("groupbad");
  auto sink = OpenOrDie(url);
  ASSERT_NE(sink, nullptr);
  for (bool keyed : {false, true}) {
    Drop(url, name);
    TableDef def =
        AllTypes(name, keyed ? std::vector<std::string>{"id"} : std::vector<std::string>{});
    def.columns[5].nullable = false;
    ASSERT_TRUE(sink->EnsureTable(def).ok());
    TableDef loose = def;
    loose.columns[5].nullable = true;
    Batch good, bad;
    good.Reset(loose.columns);
    bad.Reset(loose.columns);
    AddRow(good, 1, 1, true, 0, 0, "fine", 2);
    AddRow(good, 2, 1, true, 0, 0, "fine", 3);
    AddRow(bad, 3, 1, true, 0, 0, "fine", 10);
    AddNullRow(bad, 4, 11);
    const std::string tag = keyed ? "k" : "n";
    ASSERT_TRUE(
        sink->Begin(def, {{LoadId(tag + "1"), "good.csv"}, {LoadId(tag + "2"), "bad.csv"}}).ok());
    Status s = WriteAndCommit(*sink, {{0, &good}, {1, &bad}});
    EXPECT_EQ(s.code(), StatusCode::kInvalidData) << s.ToString();
    EXPECT_NE(s.message().find("bad.csv, line 11"), std::string::npos) << s.ToString();
    ASSERT_EQ(sink->refused().size(), 1u);
    EXPECT_EQ(sink->refused()[0].load, 1u);
    EXPECT_EQ(sink->refused()[0].line, 11u);
    sink->Abort();
    EXPECT_EQ(Scalar(url, "SELECT count(*) FROM " + QuoteId(name)), "0");
  }
  Drop(url, name);
}

}  // namespace
}  // namespace sluice
