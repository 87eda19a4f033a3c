// FileLoader and the ledger's copy of aggregates: a loaded file's aggregates are
// recorded with its record (a group's in the group's ledger transaction), a
// quarantined file has none, and a file whose mean stands out is flagged in the
// ledger and counted in sluice_files_flagged_total.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "file_loader_fixture.h"
#include "observe/metrics.h"
#include "pipeline/file_loader.h"

namespace sluice {
namespace {

using testing::FileLoaderTest;

class FileLoaderFlaggedTest : public FileLoaderTest {
 protected:
  FileLoaderFlaggedTest() {
    config_.defaults.aggregates = AggregateSpec{"", {"temp", "hum"}, {"site"}};
  }
  // The aggregates the ledger keeps for the file called `name`.
  std::optional<FileAggregates> Kept(const std::string& name) {
    auto record = Record(name);
    if (!record) return std::nullopt;
    auto kept = ledger_->AggregatesOf(record->id);
    EXPECT_TRUE(kept.has_value()) << kept.status().ToString();
    return kept.has_value() ? *kept : std::nullopt;
  }
  double Flagged(const std::string& column) {
    return GlobalMetrics().registry().Value("sluice_files_flagged_total",
                                            {{"table", "sensors"}, {"column", column}});
  }
};

TEST_F(FileLoaderFlaggedTest, ALoadedFilesAggregatesAreInTheLedger) {
  FileResult r = ProcessOne(Land("sensors.csv", "site,temp,hum\na,10,50\nb,20,\na,30,70\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  const std::optional<FileAggregates> kept = Kept("sensors.csv");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->table, "sensors");
  EXPECT_EQ(kept->aggregates_table, "sensors_file_stats");
  EXPECT_EQ(kept->by, (std::vector<std::string>{"site"}));
  EXPECT_GT(kept->loaded_at_us, 0);
  ASSERT_EQ(kept->rows.size(), 4u);  // 2 sites x 2 columns
  const AggregateRecord& a_temp = kept->rows[0];
  EXPECT_EQ(a_temp.group, (std::vector<std::optional<std::string>>{"a"}));
  EXPECT_EQ(a_temp.column, "temp");
  EXPECT_EQ(a_temp.count, 2u);
  EXPECT_EQ(a_temp.mean, 20.0);
  EXPECT_EQ(a_temp.min, 10.0);
  EXPECT_EQ(a_temp.max, 30.0);
  const AggregateRecord& b_hum = kept->rows[3];
  EXPECT_EQ(b_hum.column, "hum");
  EXPECT_EQ(b_hum.nulls, 1u);
  EXPECT_FALSE(b_hum.mean.has_value());
}

TEST_F(FileLoaderFlaggedTest, AGroupsLoadedFilesHaveTheirsAndAQuarantinedOneNone) {
  config_.defaults.derive = std::vector<DerivedColumn>{{"inv", "100 / temp"}};
  const std::vector<FileResult> results = Process({
      Land("sensors_1.csv", "site,temp,hum\na,10,50\n"),
      Land("sensors_2.csv", "site,temp,hum\na,0,60\n"),  // division by zero: quarantined
      Land("sensors_3.csv", "site,temp,hum\nb,30,70\n"),
  });
  ASSERT_EQ(results[0].outcome, FileOutcome::kLoaded) << results[0].error.ToString();
  ASSERT_EQ(results[1].outcome, FileOutcome::kQuarantined);
  ASSERT_EQ(results[2].outcome, FileOutcome::kLoaded) << results[2].error.ToString();
  ASSERT_TRUE(Kept("sensors_1.csv").has_value());
  EXPECT_EQ(Kept("sensors_1.csv")->rows.size(), 2u);
  EXPECT_FALSE(Kept("sensors_2.csv").has_value());
  ASSERT_TRUE(Kept("sensors_3.csv").has_value());
  EXPECT_EQ(Kept("sensors_3.csv")->rows[0].group, (std::vector<std::optional<std::string>>{"b"}));
}

TEST_F(FileLoaderFlaggedTest, AFileWhoseMeanStandsOutIsFlaggedAndCounted) {
  const double temp_before = Flagged("temp");
  const double hum_before = Flagged("hum");
  // Six steady files, loaded together as one group: each is compared with the
  // ones recorded before it in the group's ledger transaction.
  std::vector<std::string> steady;
  for (int i = 0; i < 6; ++i) {
    const std::string t = std::to_string(20 + (i % 2 ? 0.1 : -0.1));
    steady.push_back(Land("sensors_" + std::to_string(i) + ".csv",
                          "site,temp,hum\na," + t + ",50\nb,30,5" + std::to_string(i) + "\n"));
  }
  for (const FileResult& r : Process(steady)) {
    ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  }
  EXPECT_EQ(Flagged("temp"), temp_before);
  // Site a twice as warm, in both of its rows: one file, one count for temp.
  FileResult r = ProcessOne(Land("sensors_7.csv", "site,temp,hum\na,40,50\na,40,50\nb,30,52\n"));
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString();
  EXPECT_EQ(Flagged("temp"), temp_before + 1);
  EXPECT_EQ(Flagged("hum"), hum_before);
  const std::optional<FileAggregates> kept = Kept("sensors_7.csv");
  ASSERT_TRUE(kept.has_value());
  for (const AggregateRecord& row : kept->rows) {
    const bool warm = row.column == "temp" && row.group[0] == "a";
    EXPECT_EQ(row.flagged, warm) << row.column << " " << row.group[0].value_or("NULL");
  }
}

}  // namespace
}  // namespace sluice
