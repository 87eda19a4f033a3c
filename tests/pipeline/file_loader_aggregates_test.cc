// FileLoader with a table rule's `aggregates:` on a FakeSink: each loaded file's
// aggregates reach the aggregates table in the load of its rows, over the rows
// loaded only, exactly once, and not at all for a file that does not load.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "file_loader_fixture.h"
#include "pipeline/file_loader.h"

namespace sluice {
namespace {

using testing::FakeCall;
using testing::FileLoaderTest;
using Cells = std::vector<std::string>;

// The columns of an aggregates table without `by`, as the fake renders them.
enum { kFile, kLoadId, kLoadedAt, kColumn, kCount, kNulls, kMin, kMax, kMean, kStddev };

Cells Split(const std::string& row) {
  Cells cells;
  size_t start = 0;
  for (;;) {
    size_t bar = row.find('|', start);
    cells.push_back(row.substr(start, bar - start));
    if (bar == std::string::npos) return cells;
    start = bar + 1;
  }
}

class FileLoaderAggregatesTest : public FileLoaderTest {
 protected:
  FileLoaderAggregatesTest() {
    config_.defaults.origin = "sluice.yaml: defaults";
    config_.defaults.aggregates = AggregateSpec{"", {"temp", "hum"}, {}};
  }
  // The committed rows of the aggregates table, split into cells.
  std::vector<Cells> Stats(const std::string& table = "sensors_file_stats") {
    std::vector<Cells> out;
    for (const std::string& row : sink_->Rows(table)) out.push_back(Split(row));
    return out;
  }
  // Those of the file at `path`, by their `_file`.
  std::vector<Cells> StatsOf(const std::string& path) {
    std::vector<Cells> out;
    for (Cells& row : Stats()) {
      if (row[kFile] == path) out.push_back(std::move(row));
    }
    return out;
  }
};

TEST_F(FileLoaderAggregatesTest, AFileGetsARowPerColumnWithItsFileLoadIdAndLoadTime) {
  config_.defaults.metadata = MetadataOptions{true, false, true};
  const std::string path = Land("sensors.csv", "id,temp,hum\n1,10,50\n2,20,\n3,30,70\n");
  const std::string hash = Hash("sensors.csv");
  FileResult r = ProcessOne(path);
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  const std::vector<Cells> stats = Stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0][kColumn], "temp");
  EXPECT_EQ(stats[1][kColumn], "hum");
  EXPECT_EQ(Cells(stats[0].begin() + kCount, stats[0].end()),
            (Cells{"3", "0", "10.000000", "30.000000", "20.000000", "10.000000"}));
  EXPECT_EQ(Cells(stats[1].begin() + kCount, stats[1].end()),
            (Cells{"2", "1", "50.000000", "70.000000", "60.000000", "14.142136"}));
  // `_file` and `_loaded_at` as the rows' metadata columns have them; `_load_id`
  // the file's hash, its id in the ledger.
  const std::vector<std::string> rows = sink_->Rows("sensors");
  ASSERT_EQ(rows.size(), 3u);
  const Cells first = Split(rows.front());
  for (const Cells& row : stats) {
    EXPECT_EQ(row[kFile], path);
    EXPECT_EQ(row[kFile], first[3]);
    EXPECT_EQ(row[kLoadId], hash);
    EXPECT_EQ(row[kLoadedAt], first[4]);
  }
  for (const std::string& row : rows) EXPECT_EQ(Split(row)[4], first[4]) << "one _loaded_at";
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);
}

TEST_F(FileLoaderAggregatesTest, EachFileOfAGroupGetsItsOwnRowsPerGroupAndColumn) {
  config_.defaults.aggregates = AggregateSpec{"", {"temp", "hum"}, {"site"}};
  const std::vector<std::string> paths = {
      Land("sensors_1.csv", "site,temp,hum\na,1,10\nb,2,20\na,3,30\n"),
      Land("sensors_2.csv", "site,temp,hum\nc,4,40\n"),
      Land("sensors_3.csv", "site,temp,hum\na,5,50\nb,6,60\nc,7,70\nc,8,\n"),
  };
  std::vector<std::string> hashes;
  for (int f = 1; f <= 3; ++f) hashes.push_back(Hash("sensors_" + std::to_string(f) + ".csv"));
  for (const FileResult& r : Process(paths)) {
    ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  }
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1) << "one group: " << sink_->CallLog();
  // files x groups x columns: (2 + 1 + 3) groups x 2 columns.
  ASSERT_EQ(Stats().size(), 12u);
  const std::vector<size_t> groups = {2, 1, 3};
  for (size_t f = 0; f < paths.size(); ++f) {
    const std::vector<Cells> stats = StatsOf(paths[f]);
    ASSERT_EQ(stats.size(), groups[f] * 2) << paths[f];
    std::set<std::string> sites;
    for (const Cells& row : stats) {
      EXPECT_EQ(row[kLoadId], hashes[f]);
      sites.insert(row[3]);  // the `by` column comes before `column`
    }
    EXPECT_EQ(sites.size(), groups[f]);
  }
  // sensors_3's group c: temp 7 and 8; hum 70 and NULL.
  std::map<std::string, Cells> c;
  for (const Cells& row : StatsOf(paths[2])) {
    if (row[3] == "c") c[row[4]] = Cells(row.begin() + 5, row.end());
  }
  EXPECT_EQ(c["temp"], (Cells{"2", "0", "7.000000", "8.000000", "7.500000", "0.707107"}));
  EXPECT_EQ(c["hum"], (Cells{"1", "1", "70.000000", "70.000000", "70.000000", "\\N"}));
}

TEST_F(FileLoaderAggregatesTest, FilteredBadAndRefusedRowsAreNotAggregated) {
  config_.defaults.max_rejects = 5;
  config_.defaults.derive = std::vector<DerivedColumn>{{"inv", "100 / temp"}};
  config_.defaults.filter = "hum < 1000";
  const std::string path = Land("sensors.csv",
                                "id,temp,hum\n"
                                "1,10,50\n"    // line 2: loaded
                                "2,0,60\n"     // line 3: division by zero, a bad row
                                "3,30,5000\n"  // line 4: filtered
                                "4,1000,80\n"  // line 5: refused by the database
                                "5,20,70\n");  // line 6: loaded
  sink_->RefuseLine(path, 5);
  FileResult r = ProcessOne(path);
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.filtered, 1u);
  const std::vector<Cells> stats = Stats();
  ASSERT_EQ(stats.size(), 2u) << "the try refused by the database left none";
  EXPECT_EQ(Cells(stats[0].begin() + kCount, stats[0].end()),
            (Cells{"2", "0", "10.000000", "20.000000", "15.000000", "7.071068"}));
  EXPECT_EQ(Cells(stats[1].begin() + kCount, stats[1].end()),
            (Cells{"2", "0", "50.000000", "70.000000", "60.000000", "14.142136"}));
}

TEST_F(FileLoaderAggregatesTest, AFileWhoseRowsAreAllFilteredHasRowsOfCountZero) {
  config_.defaults.filter = "temp > 100";
  FileResult r = ProcessOne(Land("sensors.csv", "id,temp,hum\n1,10,50\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  const std::vector<Cells> stats = Stats();
  ASSERT_EQ(stats.size(), 2u);
  for (const Cells& row : stats) {
    EXPECT_EQ(Cells(row.begin() + kCount, row.end()),
              (Cells{"0", "0", "\\N", "\\N", "\\N", "\\N"}));
  }
}

TEST_F(FileLoaderAggregatesTest, AQuarantinedFileHasNoAggregatesAndTheGroupsOthersHaveTheirs) {
  config_.defaults.derive = std::vector<DerivedColumn>{{"inv", "100 / temp"}};
  const std::vector<std::string> paths = {
      Land("sensors_1.csv", "id,temp,hum\n1,10,50\n"),
      Land("sensors_2.csv", "id,temp,hum\n2,0,60\n"),  // a bad row, no threshold
      Land("sensors_3.csv", "id,temp,hum\n3,30,70\n"),
  };
  const std::vector<FileResult> results = Process(paths);
  EXPECT_EQ(results[0].outcome, FileOutcome::kLoaded) << results[0].error.ToString();
  EXPECT_EQ(results[1].outcome, FileOutcome::kQuarantined);
  EXPECT_EQ(results[2].outcome, FileOutcome::kLoaded) << results[2].error.ToString();
  EXPECT_EQ(StatsOf(paths[0]).size(), 2u);
  EXPECT_EQ(StatsOf(paths[1]).size(), 0u);
  EXPECT_EQ(StatsOf(paths[2]).size(), 2u);
  EXPECT_EQ(Stats().size(), 4u);
}

TEST_F(FileLoaderAggregatesTest, ARetryAfterAFailedCommitWritesTheAggregatesOnce) {
  sink_->Fail(FakeCall::kCommit, Status::Unavailable("fake: connection lost"));
  FileResult r = ProcessOne(Land("sensors.csv", "id,temp,hum\n1,10,50\n2,20,60\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 2);
  ASSERT_EQ(Stats().size(), 2u);
  EXPECT_EQ(Stats()[0][kCount], "2");
}

TEST_F(FileLoaderAggregatesTest, ACommitWhoseAnswerIsLostKeepsItsAggregatesOnce) {
  sink_->LoseCommitAnswer();
  const std::string path = Land("sensors.csv", "id,temp,hum\n1,10,50\n2,20,60\n");
  const std::string hash = Hash("sensors.csv");
  FileResult r = ProcessOne(path);
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(sink_->Commits(hash), 1);
  ASSERT_EQ(Stats().size(), 2u);
  EXPECT_EQ(Stats()[0][kCount], "2");
}

TEST_F(FileLoaderAggregatesTest, AnAggregatesTableOfAnotherShapeQuarantinesTheFileNamingIt) {
  sink_->CreateTable({"sensors_file_stats", {{"x", ColumnType::kInteger, true}}, {}});
  FileResult r = ProcessOne(Land("sensors.csv", "id,temp,hum\n1,10,50\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("\"sensors_file_stats\""), std::string::npos)
      << r.error.ToString();
  EXPECT_TRUE(sink_->Rows("sensors").empty());
}

TEST_F(FileLoaderAggregatesTest, TheAggregatesTableIsCreatedBeforeTheLoadBegins) {
  FileResult r = ProcessOne(Land("sensors.csv", "id,temp,hum\n1,10,50\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  ASSERT_TRUE(sink_->Table("sensors_file_stats").has_value());
  const std::string calls = sink_->CallLog();
  // Two creations (the table, then its aggregates table), then the load.
  const size_t second_ensure = calls.find("ensure", calls.find("ensure") + 1);
  ASSERT_NE(second_ensure, std::string::npos) << calls;
  EXPECT_LT(second_ensure, calls.find("begin")) << calls;
}

TEST_F(FileLoaderAggregatesTest, AGroupAsksTheSinkForItsTablesOnce) {
  const std::vector<std::string> paths = {Land("sensors_1.csv", "id,temp,hum\n1,10,50\n"),
                                          Land("sensors_2.csv", "id,temp,hum\n2,20,60\n"),
                                          Land("sensors_3.csv", "id,temp,hum\n3,30,70\n")};
  for (const FileResult& r : Process(paths)) {
    ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  }
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1) << sink_->CallLog();
  // The first file: each table described, created and described again; the
  // others reuse what it found.
  EXPECT_EQ(sink_->Count(FakeCall::kDescribe), 4) << sink_->CallLog();
  EXPECT_EQ(sink_->Count(FakeCall::kEnsure), 2) << sink_->CallLog();
  EXPECT_EQ(Stats().size(), 6u);
}

TEST_F(FileLoaderAggregatesTest, AnAggregatedColumnTheTableDoesNotLoadQuarantinesTheFile) {
  config_.defaults.aggregates = AggregateSpec{"", {"temp", "pressure"}, {}};
  FileResult r = ProcessOne(Land("sensors.csv", "id,temp,hum\n1,10,50\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("pressure"), std::string::npos) << r.error.ToString();
}

TEST_F(FileLoaderAggregatesTest, AFileWithMoreGroupsThanTheLimitIsQuarantined) {
  config_.defaults.aggregates = AggregateSpec{"", {"temp"}, {"id"}};
  std::string csv = "id,temp,hum\n";
  for (size_t i = 0; i <= kMaxAggregateGroups; ++i) csv += std::to_string(i) + ",1,2\n";
  FileResult r = ProcessOne(Land("sensors.csv", csv));
  ASSERT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_TRUE(sink_->Rows("sensors").empty());
  EXPECT_TRUE(Stats().empty());
}

}  // namespace
}  // namespace sluice
