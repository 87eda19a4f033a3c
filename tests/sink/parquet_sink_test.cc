// The Parquet sink's own cases, beyond the contract suite (which runs it against
// DuckDB): its URLs, the files it leaves on disk, and the crash states its
// commit order allows — markers written and the data file never renamed, keys
// written for a file that never appeared, a side file renamed and its data file
// not — rebuilt on disk and recovered from.
//
// Thread-safety: each test runs on one thread.
#include "sink/parquet/parquet_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "duckdb_oracle.h"
#include "sink/parquet/parquet_files.h"
#include "sink/parquet/parquet_url.h"
#include "sink/registry.h"
#include "sink/side_table_rows.h"
#include "sink/sink_test_rows.h"
#include "test_util.h"

namespace sluice {
namespace {

using parquet_sink::ListDirectory;

TableDef Readings(std::string name, bool keyed) {
  TableDef def{std::move(name),
               {{"id", ColumnType::kInteger, false}, {"label", ColumnType::kString, true}},
               {}};
  if (keyed) def.key = {"id"};
  return def;
}

Result<std::vector<LoadCounts>> Load(Sink& sink, const TableDef& def,
                                     const std::vector<LoadId>& loads,
                                     const std::vector<std::vector<int64_t>>& ids) {
  return testing::LoadIdLabels(sink, def, loads, ids);
}

std::vector<std::string> Sorted(const std::string& folder) {
  auto names = ListDirectory(folder);
  EXPECT_TRUE(names.has_value()) << names.status().ToString();
  std::vector<std::string> out = names.has_value() ? *names : std::vector<std::string>{};
  std::sort(out.begin(), out.end());
  return out;
}

class ParquetSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = OpenSink("parquet:" + dir_.path());
    ASSERT_TRUE(sink.has_value()) << sink.status().ToString();
    sink_ = std::move(*sink);
  }
  bool Committed(const std::string& id) {
    auto committed = sink_->IsCommitted(id);
    EXPECT_TRUE(committed.has_value()) << committed.status().ToString();
    return committed.has_value() && *committed;
  }

  testing::TempDir dir_;
  std::unique_ptr<Sink> sink_;
};

TEST(ParquetSinkUrl, FolderRelativeOrAbsoluteAndNoPassword) {
  EXPECT_EQ(ParquetSinkDir("parquet:out/lake"), "out/lake");
  EXPECT_EQ(ParquetSinkDir("parquet://out/lake"), "out/lake");
  EXPECT_EQ(ParquetSinkDir("parquet:///data/lake"), "/data/lake");
  EXPECT_EQ(ParquetSinkDir("parquet:/data/lake"), "/data/lake");
  EXPECT_EQ(ParquetSinkDir("parquet:"), std::nullopt);
  EXPECT_EQ(ParquetSinkDir("sqlite:x.db"), std::nullopt);
  EXPECT_EQ(RedactSinkUrl("parquet:///data/lake"), "parquet:///data/lake");
  auto with = SinkUrlWithPassword("parquet:x", "secret");
  ASSERT_FALSE(with.has_value());
  EXPECT_EQ(with.error().message(), "parquet sinks take no password");
  EXPECT_EQ(OpenSink("parquet:").status().code(), StatusCode::kInvalidArgument);
}

TEST(ParquetSinkFiles, NamesStayInTheirFolderAndOffTheGlob) {
  EXPECT_EQ(parquet_sink::FileName("orders"), "orders");
  EXPECT_EQ(parquet_sink::FileName("a/b"), "a%2Fb");
  EXPECT_EQ(parquet_sink::FileName(".."), "%2E.");
  EXPECT_EQ(parquet_sink::FileName("_sluice"), "%5Fsluice");
  EXPECT_EQ(parquet_sink::FileName("it's 1%"), "it%27s%201%25");
  EXPECT_TRUE(parquet_sink::CheckFileName(std::string(200, 'a'), "table").ok());
  EXPECT_EQ(parquet_sink::CheckFileName(std::string(67, '/'), "table").code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ParquetSinkTest, ALoadIsOneFileNamedAfterItsFirstIdAndNothingElseMatchesTheGlob) {
  const TableDef def = Readings("orders", false);
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(
      Load(*sink_, def, {{"a1", "/in/a.csv"}, {"b2", "/in/b.csv"}}, {{1}, {2}}).has_value());
  ASSERT_TRUE(Load(*sink_, def, {{"c3", "/in/c.csv"}}, {{3}}).has_value());
  EXPECT_EQ(Sorted(dir_ / "orders"),
            (std::vector<std::string>{".lock", "_schema", "a1.parquet", "c3.parquet"}));
  EXPECT_EQ(Sorted(dir_ / "_sluice/loads"),
            (std::vector<std::string>{"a1.json", "b2.json", "c3.json"}));
  auto marker =
      parquet_sink::ParseMarkerJson(testing::ReadFile(dir_ / "_sluice/loads/b2.json"), "b2.json");
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->data, "orders/a1.parquet");
  EXPECT_EQ(marker->file, "/in/b.csv");
  EXPECT_EQ(marker->rows, 1u);
  EXPECT_EQ(marker->group, (std::vector<std::string>{"a1", "b2"}));
}

TEST_F(ParquetSinkTest, AbortAndDiscardAttemptLeaveNoTemporaryFile) {
  const TableDef def = Readings("t", false);
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(sink_->Begin(def, {{"x", "/in/x.csv"}}).ok());
  EXPECT_EQ(Sorted(dir_ / "t"), (std::vector<std::string>{".lock", ".x.parquet.tmp", "_schema"}));
  sink_->Abort();
  EXPECT_EQ(Sorted(dir_ / "t"), (std::vector<std::string>{".lock", "_schema"}));
  // What a crashed attempt left: DiscardAttempt removes it.
  testing::WriteFile(dir_ / "t/.y.parquet.tmp", "PAR1 half a file");
  testing::WriteFile(dir_ / "_sluice/loads/.y.json.tmp", "{\"load_id\":");
  sink_->DiscardAttempt("t", {"y", "/in/y.csv"});
  EXPECT_EQ(Sorted(dir_ / "t"), (std::vector<std::string>{".lock", "_schema"}));
  EXPECT_EQ(Sorted(dir_ / "_sluice/loads"), (std::vector<std::string>{}));
}

// A crash after a group's markers and before its rename leaves markers naming a
// file that does not exist. None of the group is committed; when one of its
// loads is committed later in another group (or alone, under the same first
// id), the markers of the others must not come to life.
TEST_F(ParquetSinkTest, MarkersOfAGroupThatNeverRenamedNeverCountLater) {
  const TableDef def = Readings("t", false);
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(Load(*sink_, def, {{"a", "/in/a.csv"}, {"x", "/in/x.csv"}}, {{1}, {2}}).has_value());
  ASSERT_EQ(::unlink((dir_ / "t/a.parquet").c_str()), 0);  // the rename never happened
  EXPECT_FALSE(Committed("a"));
  EXPECT_FALSE(Committed("x"));

  // "a" comes back alone: its file is again t/a.parquet.
  auto counts = Load(*sink_, def, {{"a", "/in/a.csv"}}, {{1}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_TRUE(Committed("a"));
  EXPECT_FALSE(Committed("x")) << "x's marker of the crashed group names t/a.parquet";
  counts = Load(*sink_, def, {{"x", "/in/x.csv"}}, {{2}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_TRUE(Committed("x"));
}

TEST_F(ParquetSinkTest, KeysAreReadBackFromDiskAndKeysOfAFileThatNeverAppearedDoNotCount) {
  const TableDef def = Readings("k", true);
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(Load(*sink_, def, {{"a", "/in/a.csv"}}, {{1, 2}}).has_value());
  ASSERT_TRUE(Load(*sink_, def, {{"b", "/in/b.csv"}}, {{3}}).has_value());
  // b's keys file is written before its rename: without the file, b never happened.
  ASSERT_EQ(::unlink((dir_ / "k/b.parquet").c_str()), 0);

  auto other = OpenSink("parquet:" + dir_.path());  // a sink that knows only the disk
  ASSERT_TRUE(other.has_value());
  auto counts = Load(**other, def, {{"c", "/in/c.csv"}}, {{2, 3, 4}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 2u);  // 3 and 4
  EXPECT_EQ((*counts)[0].skipped_by_key, 1u);
  // The first sink's index learns c's file too.
  counts = Load(*sink_, def, {{"d", "/in/d.csv"}}, {{4, 5}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 1u);
  EXPECT_EQ((*counts)[0].skipped_by_key, 1u);
}

TEST_F(ParquetSinkTest, AbortedKeysAreFreeAgain) {
  const TableDef def = Readings("k", true);
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(sink_->Begin(def, {{"a", "/in/a.csv"}}).ok());
  std::vector<std::string> storage;
  ASSERT_TRUE(sink_->Write(testing::IdLabelBatch(def, {1, 2}, storage, "l"), 0).ok());
  sink_->Abort();
  auto counts = Load(*sink_, def, {{"a", "/in/a.csv"}}, {{1, 2}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ((*counts)[0].inserted, 2u);
  EXPECT_EQ((*counts)[0].skipped_by_key, 0u);
}

TEST_F(ParquetSinkTest, RefusedRowsNameTheFileAndLine) {
  const TableDef def = Readings("r", false);
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(sink_->Begin(def, {{"a", "/in/a.csv"}}).ok());
  Batch batch;
  batch.Reset(def.columns);
  batch.columns()[0].AppendNull();
  batch.columns()[1].AppendString("x");
  batch.FinishRow(7);
  Status status = sink_->Write(batch, 0);
  EXPECT_EQ(status.code(), StatusCode::kInvalidData);
  EXPECT_EQ(
      status.message(),
      "parquet sink: /in/a.csv, line 7, column \"id\": null in a column that is not nullable");
  sink_->Abort();
  EXPECT_FALSE(Committed("a"));
}

TEST_F(ParquetSinkTest, TablesNamedLikeTheSinksOwnFilesGetFoldersOfTheirOwn) {
  for (const std::string name : {"_sluice", "..", "a/b"}) {
    SCOPED_TRACE(name);
    const TableDef def = Readings(name, false);
    ASSERT_TRUE(sink_->EnsureTable(def).ok());
    auto described = sink_->DescribeTable(name);
    ASSERT_TRUE(described.has_value() && described->has_value());
    EXPECT_EQ((*described)->name, name);
    ASSERT_TRUE(Load(*sink_, def, {{"id-" + parquet_sink::FileName(name), "/in/x.csv"}}, {{1}})
                    .has_value());
  }
  EXPECT_EQ(Sorted(dir_.path()),
            (std::vector<std::string>{"%2E.", "%5Fsluice", "_sluice", "a%2Fb"}));
}

// ---- the side table ------------------------------------------------------------

using testing::StatsBatch;
using testing::StatsRow;
using testing::StatsTable;

// Begin of `loads` with `side`, the rows ids[i] and side rows stats[i] of load i,
// Commit (or the first error, after Abort).
Result<std::vector<LoadCounts>> LoadWithSide(Sink& sink, const TableDef& def, const TableDef& side,
                                             const std::vector<LoadId>& loads,
                                             const std::vector<std::vector<int64_t>>& ids,
                                             const std::vector<std::vector<StatsRow>>& stats) {
  RETURN_IF_ERROR(sink.Begin(def, loads, &side));
  std::vector<std::string> labels;
  std::deque<std::string> strings;
  Status status;
  for (size_t i = 0; i < loads.size() && status.ok(); ++i) {
    status = sink.Write(testing::IdLabelBatch(def, ids[i], labels, "l"), i);
    if (status.ok()) status = sink.WriteSide(StatsBatch(side, stats[i], strings), i);
  }
  if (!status.ok()) {
    sink.Abort();
    return status;
  }
  return sink.Commit();
}

TEST_F(ParquetSinkTest, SideRowsAreOneFileNamedLikeTheDataFileAndReadBackByDuckDb) {
  const TableDef def = Readings("orders", false);
  const TableDef side = StatsTable("orders_file_stats");
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(sink_->EnsureTable(side).ok());
  auto counts =
      LoadWithSide(*sink_, def, side, {{"a1", "/in/a.csv"}, {"b2", "/in/b.csv"}}, {{1, 2}, {3}},
                   {{{"/in/a.csv", "id", 2, 1.5}, {"/in/a.csv", "label", 0, std::nullopt}},
                    {{"/in/b.csv", "id", 1, 3.0}}});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  // A load without side rows writes no side file.
  ASSERT_TRUE(LoadWithSide(*sink_, def, side, {{"c3", "/in/c.csv"}}, {{4}}, {{}}).has_value());
  EXPECT_EQ(Sorted(dir_ / "orders"),
            (std::vector<std::string>{".lock", "_schema", "a1.parquet", "c3.parquet"}));
  EXPECT_EQ(Sorted(dir_ / "orders_file_stats"),
            (std::vector<std::string>{".lock", "_schema", "a1.parquet"}));
  for (const std::string id : {"a1", "b2"}) {
    auto marker = parquet_sink::ParseMarkerJson(
        testing::ReadFile(dir_ / ("_sluice/loads/" + id + ".json")), id);
    ASSERT_TRUE(marker.has_value());
    EXPECT_EQ(marker->side, "orders_file_stats/a1.parquet");
  }
  auto marker =
      parquet_sink::ParseMarkerJson(testing::ReadFile(dir_ / "_sluice/loads/c3.json"), "c3");
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->side, "");

  testing::TempDir scripts;
  DUCKDB_OR_SKIP(run, scripts,
                 "SELECT _file, \"column\", \"count\", mean FROM read_parquet('" +
                     (dir_ / "orders_file_stats/*.parquet") + "') ORDER BY _file, \"column\"");
  ASSERT_EQ(run.results.size(), 1u);
  using Rows = testing::DuckDbRun::Rows;
  EXPECT_EQ(run.results[0], (Rows{{"/in/a.csv", "id", "2", "1.5"},
                                  {"/in/a.csv", "label", "0", std::nullopt},
                                  {"/in/b.csv", "id", "1", "3"}}));
}

TEST_F(ParquetSinkTest, AbortAndARefusedSideRowWriteNeitherFile) {
  const TableDef def = Readings("t", false);
  const TableDef side = StatsTable("s");
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(sink_->EnsureTable(side).ok());
  std::vector<std::string> labels;
  std::deque<std::string> strings;
  ASSERT_TRUE(sink_->Begin(def, {{"a", "/in/a.csv"}}, &side).ok());
  ASSERT_TRUE(sink_->Write(testing::IdLabelBatch(def, {1}, labels, "l"), 0).ok());
  ASSERT_TRUE(sink_->WriteSide(StatsBatch(side, {{"/in/a.csv", "id", 1, 1.0}}, strings), 0).ok());
  sink_->Abort();
  EXPECT_FALSE(Committed("a"));
  EXPECT_EQ(Sorted(dir_ / "t"), (std::vector<std::string>{".lock", "_schema"}));
  EXPECT_EQ(Sorted(dir_ / "s"), (std::vector<std::string>{".lock", "_schema"}));

  // A side value Parquet cannot hold (a file name that is not UTF-8) fails the
  // Commit, naming no row of the file.
  auto counts = LoadWithSide(*sink_, def, side, {{"a", "/in/a.csv"}}, {{1}},
                             {{{"/in/\xff.csv", "id", 1, 1.0}}});
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.status().code(), StatusCode::kInvalidData) << counts.status().ToString();
  EXPECT_EQ(counts.status().message(),
            "parquet sink: side table \"s\", a row of /in/a.csv, column \"_file\": not valid "
            "UTF-8 (Parquet strings are UTF-8)");
  EXPECT_TRUE(sink_->refused().empty());
  EXPECT_FALSE(Committed("a"));
  EXPECT_EQ(Sorted(dir_ / "t"), (std::vector<std::string>{".lock", "_schema"}));
  EXPECT_EQ(Sorted(dir_ / "s"), (std::vector<std::string>{".lock", "_schema"}));
  EXPECT_EQ(Sorted(dir_ / "_sluice/loads"), (std::vector<std::string>{}));
}

// A crash between the side file's rename and the data file's (made here by
// removing the committed data file) leaves the side file visible and markers
// naming both: nothing is committed, and the next Begin of any id of the group,
// or DiscardAttempt, removes the side file (and a side temporary file of a
// crash before its rename) with the markers.
TEST_F(ParquetSinkTest, ASideFileWhoseDataFileNeverAppearedIsRemovedByTheNextBeginOrDiscard) {
  const TableDef def = Readings("t", false);
  const TableDef side = StatsTable("s");
  ASSERT_TRUE(sink_->EnsureTable(def).ok());
  ASSERT_TRUE(sink_->EnsureTable(side).ok());
  const std::vector<std::vector<StatsRow>> stats = {{{"/in/a.csv", "id", 1, 1.0}},
                                                    {{"/in/x.csv", "id", 1, 2.0}}};
  ASSERT_TRUE(
      LoadWithSide(*sink_, def, side, {{"a", "/in/a.csv"}, {"x", "/in/x.csv"}}, {{1}, {2}}, stats)
          .has_value());
  ASSERT_EQ(::unlink((dir_ / "t/a.parquet").c_str()), 0);  // the data rename never happened
  testing::WriteFile(dir_ / "s/.a.parquet.tmp", "PAR1 half a file");
  EXPECT_FALSE(Committed("a"));
  EXPECT_FALSE(Committed("x"));
  EXPECT_EQ(Sorted(dir_ / "s"),
            (std::vector<std::string>{".a.parquet.tmp", ".lock", "_schema", "a.parquet"}))
      << "IsCommitted changes nothing";

  // "x", not the file's first id, is begun again alone.
  auto counts = LoadWithSide(*sink_, def, side, {{"x", "/in/x.csv"}}, {{2}}, {stats[1]});
  ASSERT_TRUE(counts.has_value()) << counts.status().ToString();
  EXPECT_EQ(Sorted(dir_ / "s"), (std::vector<std::string>{".lock", "_schema", "x.parquet"}));
  EXPECT_EQ(Sorted(dir_ / "_sluice/loads"), (std::vector<std::string>{"x.json"}));
  EXPECT_FALSE(Committed("a"));
  EXPECT_TRUE(Committed("x"));

  // The same state for "c", recovered at start-up by DiscardAttempt.
  ASSERT_TRUE(
      LoadWithSide(*sink_, def, side, {{"c", "/in/c.csv"}}, {{3}}, {{{"/in/c.csv", "id", 1, 3.0}}})
          .has_value());
  ASSERT_EQ(::unlink((dir_ / "t/c.parquet").c_str()), 0);
  sink_->DiscardAttempt("t", {"c", "/in/c.csv"});
  EXPECT_EQ(Sorted(dir_ / "s"), (std::vector<std::string>{".lock", "_schema", "x.parquet"}));
  EXPECT_EQ(Sorted(dir_ / "t"), (std::vector<std::string>{".lock", "_schema", "x.parquet"}));
  EXPECT_EQ(Sorted(dir_ / "_sluice/loads"), (std::vector<std::string>{"x.json"}));
}

}  // namespace
}  // namespace sluice
