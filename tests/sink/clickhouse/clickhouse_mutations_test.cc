// The ClickHouse sink's delete mutations against a real server: a failed attempt
// that stored nothing makes none, and the clean-up never makes a second one for a
// load id while one that covers it is not done. (A mutation rewrites every part
// of the table; system.mutations lists each one made.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sink/clickhouse/clickhouse_sink.h"
#include "sink/clickhouse/clickhouse_test_util.h"
#include "test_util.h"

namespace sluice {
namespace {

using namespace ::sluice::clickhouse_test;  // NOLINT(build/namespaces)

class ClickHouseMutationsTest : public ClickHouseServerTest {};

// sluice's group path, 50 times: a group of three files whose last one holds a
// bad row fails after the insert of the others has reached the server (more than
// 1 MiB of rows is sent before the bad file's rows are encoded); then each file
// is loaded alone, the good ones commit and the bad one fails before sending.
// None of these inserts stored a row (each failed long before
// min_insert_block_size_rows), so there is nothing to delete: no mutation at all.
TEST_F(ClickHouseMutationsTest, FiftyGroupsWithABadMemberMakeNoMutation) {
  const TableDef def = Readings(Unique("bad_members"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  constexpr int64_t kBigRows = 20000;  // about 1.5 MiB as Native
  Batch bad;
  bad.Reset(def.columns);
  bad.columns()[0].AppendNull();  // NULL in a column that is not Nullable
  bad.columns()[1].AppendString("x");
  bad.FinishRow(2);
  std::vector<std::string> labels;
  for (int g = 0; g < 50; ++g) {
    const std::string n = std::to_string(g);
    const std::vector<LoadId> group = {{Unique("big" + n), "big.csv"},
                                       {Unique("small" + n), "small.csv"},
                                       {Unique("bad" + n), "bad.csv"}};
    ASSERT_TRUE(sink->Begin(def, group).ok());
    ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, kBigRows), labels), 0).ok());
    ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 5), labels), 1).ok());
    ASSERT_EQ(sink->Write(bad, 2).code(), StatusCode::kInvalidData);
    sink->Abort();

    ASSERT_TRUE(Load(*sink, def, group[0].id, Range(0, kBigRows)).ok());
    ASSERT_TRUE(Load(*sink, def, group[1].id, Range(0, 5)).ok());
    ASSERT_TRUE(sink->Begin(def, {group[2]}).ok());
    ASSERT_EQ(sink->Write(bad, 0).code(), StatusCode::kInvalidData);
    sink->Abort();
  }
  EXPECT_EQ(Mutations(url, def.name), "0\n");
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)),
            std::to_string(50 * (kBigRows + 5)) + "\n");
}

// Leftover rows of two loads and a delete mutation for both that is not done yet
// (made slow on purpose: it sleeps a millisecond a row). Beginning either load
// waits for that mutation instead of making another.
TEST_F(ClickHouseMutationsTest, CleanUpWaitsForAnUnfinishedMutationInsteadOfMakingAnother) {
  const TableDef def = Readings(Unique("one_mutation"));
  ASSERT_TRUE(sink->EnsureTable(def).ok());
  const std::string x = Unique("x");
  const std::string y = Unique("y");
  Exec(url, "INSERT INTO " + Table(url, def.name) +
                " (id, label, _sluice_load_id) SELECT number, 'left', if(number % 2 = 0, " +
                QuoteClickHouseString(x) + ", " + QuoteClickHouseString(y) +
                ") FROM numbers(2000)");
  // Rows are only left by an attempt, and every attempt is recorded first.
  Exec(url, "INSERT INTO " + Table(url, "sluice_attempts") + " (load_id) VALUES (" +
                QuoteClickHouseString(x) + "), (" + QuoteClickHouseString(y) + ")");
  Exec(url, "ALTER TABLE " + Table(url, def.name) + " DELETE WHERE _sluice_load_id IN (" +
                QuoteClickHouseString(x) + ", " + QuoteClickHouseString(y) +
                ") AND sleepEachRow(0.001) = 0");
  ASSERT_EQ(Query(url, "SELECT count() FROM system.mutations WHERE is_done = 0 AND table = " +
                           QuoteClickHouseString(def.name)),
            "1\n")
      << "the mutation was done at once; the test proves nothing";
  for (const std::string& id : {x, y}) {
    Status begun = sink->Begin(def, {LoadId{id, id + ".csv"}});
    ASSERT_TRUE(begun.ok()) << begun.ToString();
    EXPECT_EQ(RowsOf(url, def.name, id), "0\n");
    std::vector<std::string> labels;
    ASSERT_TRUE(sink->Write(ReadingsBatch(def, Range(0, 3), labels), 0).ok());
    ASSERT_TRUE(sink->Commit().has_value());
  }
  EXPECT_EQ(Mutations(url, def.name), "1\n");
  EXPECT_EQ(Query(url, "SELECT count() FROM " + Table(url, def.name)), "6\n");
}

}  // namespace
}  // namespace sluice
