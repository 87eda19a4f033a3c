// SinkContractTest (see sink_contract_test.cc), the side table: a second table
// (per-file aggregates) named at Begin, whose rows of each load (WriteSide) are
// committed with the load's rows, or not at all, on every sink.
//
// Thread-safety: each test runs on one thread; the crash cases fork.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sink/sink_contract.h"

namespace sluice::contract {
namespace {

TEST_P(SinkContractTest, SideRowsCommitTogetherWithTheRows) {
  const TableDef def = NewReadings();
  const TableDef side = NewSide();
  const LoadId load = NewLoad();
  ASSERT_TRUE(sink_->Begin(def, {load}, &side).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  {
    // The session keeps its own copy: this batch and its strings are gone by Commit.
    std::vector<std::string> side_storage;
    ASSERT_TRUE(sink_->WriteSide(SideRows(side, load, {"temp", "hum"}, side_storage), 0).ok());
    for (std::string& s : side_storage) s.assign(s.size(), '#');
  }
  ASSERT_TRUE(sink_->Write(Readings(def, {3}, storage), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, load, {"pres"}, storage), 0).ok());
  if (traits().transactional) {
    EXPECT_EQ(Count(side), "0");
  }
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 3u);
  EXPECT_TRUE(Committed(load.id));
  EXPECT_EQ(Marker(load), (Rows{{load.file, "3"}}));
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3}));
  Rows expected = ExpectedSide(load, {"temp", "hum"});
  expected.push_back(ExpectedSide(load, {"pres"})[0]);
  EXPECT_EQ(SideRowsIn(side), Sorted(expected));

  // A load with a side table and no side rows commits its rows alone.
  const LoadId bare = NewLoad();
  ASSERT_TRUE(sink_->Begin(def, {bare}, &side).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {4}, storage), 0).ok());
  ASSERT_TRUE(sink_->Commit().has_value());
  EXPECT_TRUE(Committed(bare.id));
  EXPECT_EQ(SideRowsIn(side), Sorted(expected));
}

TEST_P(SinkContractTest, AbortLeavesNeitherRowsNorSideRows) {
  const TableDef def = NewReadings();
  const TableDef side = NewSide();
  const std::vector<LoadId> loads = {NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, loads, &side).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, Ids(0, 100), storage), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, loads[0], {"a", "b"}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, Ids(100, 200), storage), 1).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, loads[1], {"a"}, storage), 1).ok());
  sink_->Abort();
  ExpectNothingOf(def, side, loads);

  // The same ids again, with the same side table: only this attempt's rows.
  ASSERT_TRUE(sink_->Begin(def, loads, &side).ok());
  EXPECT_EQ(Count(def), "0");
  EXPECT_EQ(Count(side), "0");
  ASSERT_TRUE(sink_->Write(Readings(def, {1}, storage, "again"), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, loads[0], {"c"}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {2}, storage, "again"), 1).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2}, "again"));
  EXPECT_EQ(SideRowsIn(side), ExpectedSide(loads[0], {"c"}));
}

TEST_P(SinkContractTest, GroupCommitsTheSideRowsOfEachLoad) {
  const TableDef def = NewReadings();
  const TableDef side = NewSide();
  const std::vector<LoadId> loads = {NewLoad(), NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, loads, &side).ok());
  std::vector<std::string> storage;
  // Each load's side rows after its rows, as the pipeline writes them; load 1
  // has rows and no side rows.
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, loads[0], {"x"}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3}, storage), 1).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {4, 5, 6}, storage), 2).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, loads[2], {"x", "y", "z"}, storage), 2).ok());
  auto counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 3u);
  const std::vector<uint64_t> inserted = {2, 1, 3};
  for (size_t i = 0; i < loads.size(); ++i) {
    EXPECT_EQ((*counts)[i].inserted, inserted[i]) << "load " << i;
    EXPECT_TRUE(Committed(loads[i].id)) << "load " << i;
    EXPECT_EQ(Marker(loads[i]), (Rows{{loads[i].file, std::to_string(inserted[i])}}));
  }
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2, 3, 4, 5, 6}));
  Rows expected = ExpectedSide(loads[0], {"x"});
  for (auto& row : ExpectedSide(loads[2], {"x", "y", "z"})) expected.push_back(row);
  EXPECT_EQ(SideRowsIn(side), Sorted(expected));

  // A committed id refuses a group with a side table; nothing of it is stored.
  const LoadId fresh = NewLoad();
  EXPECT_EQ(sink_->Begin(def, {fresh, loads[1]}, &side).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(SideRowsIn(side), Sorted(expected));
}

TEST_P(SinkContractTest, AMissingSideTableCommitsNothing) {
  const TableDef def = NewReadings();
  const TableDef missing = {UniqueName("side"),
                            {{"_load_id", ColumnType::kString, false},
                             {"column", ColumnType::kString, false},
                             {"count", ColumnType::kInteger, false},
                             {"mean", ColumnType::kFloat, true}},
                            {}};
  const LoadId load = NewLoad();
  // Refused at Begin or at Commit, depending on the sink; never committed.
  Status status = sink_->Begin(def, {load}, &missing);
  std::vector<std::string> storage;
  if (status.ok()) status = sink_->Write(Readings(def, {1}, storage), 0);
  if (status.ok()) status = sink_->WriteSide(SideRows(missing, load, {"a"}, storage), 0);
  if (status.ok()) status = sink_->Commit().status();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.code(), StatusCode::kAlreadyExists) << status.ToString();
  sink_->Abort();
  EXPECT_FALSE(Committed(load.id));
  EXPECT_TRUE(Marker(load).empty());
  // Nothing was left in progress: the load goes in without the side table.
  ASSERT_TRUE(Load(*sink_, def, {load}, {{7}}).has_value());
  EXPECT_EQ(IdsAndLabels(def), Expected({7}));
}

TEST_P(SinkContractTest, ARefusedSideRowIsInvalidDataNamingTheSideTableAndNoRow) {
  const TableDef def = NewReadings();
  const TableDef side = NewSide();
  const std::vector<LoadId> loads = {NewLoad(), NewLoad()};
  ASSERT_TRUE(sink_->Begin(def, loads, &side).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, loads[0], {"a"}, storage), 0).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {3}, storage), 1).ok());
  // NULL in the side table's NOT NULL column "count": the session passes it on
  // (types fit), the sink or its database refuses it.
  Batch bad = SideRows(side, loads[1], {"b", "c"}, storage);
  bad.columns()[2].nulls[1] = 1;
  ASSERT_TRUE(sink_->WriteSide(bad, 1).ok());
  Result<std::vector<LoadCounts>> counts = sink_->Commit();
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.status().code(), StatusCode::kInvalidData) << counts.status().ToString();
  EXPECT_NE(counts.status().message().find(side.name), std::string::npos)
      << counts.status().ToString();
  EXPECT_TRUE(sink_->refused().empty()) << "a side row is no line of the file";
  ExpectNothingOf(def, side, loads);

  // The failed Commit ended the loads: they go in again without the bad row.
  ASSERT_TRUE(sink_->Begin(def, loads, &side).ok());
  ASSERT_TRUE(sink_->Write(Readings(def, {1, 2}, storage), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(SideRows(side, loads[1], {"b"}, storage), 1).ok());
  counts = sink_->Commit();
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(IdsAndLabels(def), Expected({1, 2}));
  EXPECT_EQ(SideRowsIn(side), ExpectedSide(loads[1], {"b"}));
}

TEST_P(SinkContractTest, CrashAfterAWriteWithSideRowsLeavesNeither) {
  CrashAfter(Step::kSeveralWrites, /*side=*/true);
}
TEST_P(SinkContractTest, CrashAfterCommitKeepsRowsAndSideRows) {
  CrashAfter(Step::kCommit, /*side=*/true);
}

}  // namespace
}  // namespace sluice::contract
