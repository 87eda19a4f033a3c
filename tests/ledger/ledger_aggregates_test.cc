// The ledger's copy of recent aggregates: kept with MarkLoaded in its
// transaction, the flagging of means that stand out, the removal of files beyond
// the latest kAggregateFilesKept, and the reads of the status page.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/ledger_fixture.h"

namespace sluice {
namespace {

using ::sluice::testing::File;
using ::sluice::testing::LedgerTest;

// A 32-hex-digit hash for file number `n`.
std::string Hash(int n) {
  char buf[33];
  snprintf(buf, sizeof buf, "%032x", n);
  return buf;
}

AggregateRecord Row(std::string column, double mean,
                    std::vector<std::optional<std::string>> group = {}) {
  return {std::move(group), std::move(column), 10, 1, mean - 1, mean + 1, mean, 0.5};
}

class LedgerAggregatesTest : public LedgerTest {
 protected:
  // Claims file `n` of `table` and records it loaded at second `n` with `rows`.
  Result<std::vector<FlaggedAggregate>> Load(int n, std::vector<AggregateRecord> rows,
                                             std::vector<std::string> by = {},
                                             const std::string& table = "sensors") {
    const Claim claim = ClaimOk(File(Hash(n), "/in/f" + std::to_string(n) + ".csv"), table);
    last_id_ = claim.file_id;
    FileAggregates aggregates{table, table + "_file_stats", int64_t{n} * 1'000'000, std::move(by),
                              std::move(rows)};
    return ledger_->MarkLoaded(claim.file_id, {10, 0, 0, 100, ""}, aggregates);
  }
  // Loads files 1..n of one column, mean 10 ± 0.1 alternating.
  void LoadSteady(int n, const std::string& column = "temperature") {
    for (int i = 1; i <= n; ++i) {
      auto flagged = Load(i, {Row(column, i % 2 == 0 ? 10.1 : 9.9)});
      ASSERT_TRUE(flagged.has_value()) << flagged.status().ToString();
      EXPECT_TRUE(flagged->empty()) << i;
    }
  }
  int64_t last_id_ = 0;
};

TEST_F(LedgerAggregatesTest, MarkLoadedKeepsTheFilesAggregates) {
  AggregateRecord a{{"s1", std::nullopt}, "temperature", 3, 1, 1.5, 2.5, 2.0, 0.5};
  AggregateRecord b{{"s1", std::nullopt}, "humidity", 0, 4, {}, {}, {}, {}};
  auto flagged = Load(1, {a, b}, {"sensor", "site"});
  ASSERT_TRUE(flagged.has_value()) << flagged.status().ToString();
  EXPECT_TRUE(flagged->empty());
  EXPECT_EQ(Record(last_id_).state, FileState::kLoaded);
  EXPECT_EQ(Record(last_id_).rows_loaded, 10u);

  auto kept = ledger_->AggregatesOf(last_id_);
  ASSERT_TRUE(kept.has_value()) << kept.status().ToString();
  ASSERT_TRUE(kept->has_value());
  const FileAggregates& f = **kept;
  EXPECT_EQ(f.table, "sensors");
  EXPECT_EQ(f.aggregates_table, "sensors_file_stats");
  EXPECT_EQ(f.loaded_at_us, 1'000'000);
  EXPECT_EQ(f.by, (std::vector<std::string>{"sensor", "site"}));
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[0].group, a.group);
  EXPECT_EQ(f.rows[0].column, "temperature");
  EXPECT_EQ(f.rows[0].count, 3u);
  EXPECT_EQ(f.rows[0].nulls, 1u);
  EXPECT_EQ(f.rows[0].min, 1.5);
  EXPECT_EQ(f.rows[0].max, 2.5);
  EXPECT_EQ(f.rows[0].mean, 2.0);
  EXPECT_EQ(f.rows[0].stddev, 0.5);
  EXPECT_FALSE(f.rows[0].flagged);
  EXPECT_EQ(f.rows[1].column, "humidity");
  EXPECT_EQ(f.rows[1].nulls, 4u);
  EXPECT_FALSE(f.rows[1].min.has_value());
  EXPECT_FALSE(f.rows[1].mean.has_value());
  EXPECT_FALSE(f.rows[1].stddev.has_value());

  auto none = ledger_->AggregatesOf(last_id_ + 100);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

// A record the state machine refuses to mark loaded keeps no aggregates either.
TEST_F(LedgerAggregatesTest, ARefusedMarkLoadedKeepsNoAggregates) {
  ASSERT_TRUE(Load(1, {Row("t", 1)}).has_value());
  FileAggregates again{"sensors", "sensors_file_stats", 9, {}, {Row("t", 5), Row("u", 6)}};
  auto refused = ledger_->MarkLoaded(last_id_, {}, again);  // loaded already
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInternal);
  auto kept = ledger_->AggregatesOf(last_id_);
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  ASSERT_EQ((*kept)->rows.size(), 1u);
  EXPECT_EQ((*kept)->rows[0].mean, 1.0);
}

// In a Batch, the aggregates are part of its transaction: without Commit,
// neither the record nor its aggregates change.
TEST_F(LedgerAggregatesTest, AggregatesAreRolledBackWithTheirBatch) {
  int64_t id = 0;
  {
    Ledger::Batch batch(*ledger_);
    ASSERT_TRUE(Load(1, {Row("t", 1)}).has_value());
    id = last_id_;
  }
  auto kept = ledger_->AggregatesOf(id);
  ASSERT_TRUE(kept.has_value());
  EXPECT_FALSE(kept->has_value());
  auto tables = ledger_->AggregatedTables();
  ASSERT_TRUE(tables.has_value());
  EXPECT_TRUE(tables->empty());
}

TEST_F(LedgerAggregatesTest, AMeanBeyondThreeDeviationsOfTheEarlierMeansIsFlagged) {
  LoadSteady(6);
  // Earlier means 9.9, 10.1, ... : mean 10, sample stddev 0.1095 → band ±0.3286.
  auto inside = Load(7, {Row("temperature", 10.3)});
  ASSERT_TRUE(inside.has_value());
  EXPECT_TRUE(inside->empty());
  auto flagged = Load(8, {Row("temperature", 25.0)});
  ASSERT_TRUE(flagged.has_value()) << flagged.status().ToString();
  ASSERT_EQ(flagged->size(), 1u);
  const FlaggedAggregate& f = flagged->front();
  EXPECT_EQ(f.table, "sensors");
  EXPECT_EQ(f.column, "temperature");
  EXPECT_EQ(f.mean, 25.0);
  EXPECT_EQ(f.history, 7u);
  // The band of the seven earlier means (9.9, 10.1, 9.9, 10.1, 9.9, 10.1, 10.3).
  const std::vector<double> earlier = {9.9, 10.1, 9.9, 10.1, 9.9, 10.1, 10.3};
  double m = 0;
  for (double x : earlier) m += x;
  m /= 7;
  double ss = 0;
  for (double x : earlier) ss += (x - m) * (x - m);
  const double s = std::sqrt(ss / 6);
  EXPECT_NEAR(f.low, m - 3 * s, 1e-12);
  EXPECT_NEAR(f.high, m + 3 * s, 1e-12);

  auto kept = ledger_->AggregatesOf(last_id_);
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_TRUE((*kept)->rows[0].flagged);
  EXPECT_NEAR(*(*kept)->rows[0].low, m - 3 * s, 1e-12);
  // Below the band too.
  auto low = Load(9, {Row("temperature", -5.0)});
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(low->size(), 1u);
}

TEST_F(LedgerAggregatesTest, NoFlagWithoutEnoughHistoryOrSpread) {
  // Four earlier files: too few to judge, however far the fifth lies.
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(Load(i, {Row("t", i % 2 ? 9.9 : 10.1)}).has_value());
  auto few = Load(5, {Row("t", 1000)});
  ASSERT_TRUE(few.has_value());
  EXPECT_TRUE(few->empty());
  auto kept = ledger_->AggregatesOf(last_id_);
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_FALSE((*kept)->rows[0].low.has_value());  // no band recorded

  // Identical means have no spread: nothing stands out from a constant.
  for (int i = 10; i <= 16; ++i) ASSERT_TRUE(Load(i, {Row("c", 5.0)}).has_value());
  auto constant = Load(17, {Row("c", 6.0)});
  ASSERT_TRUE(constant.has_value());
  EXPECT_TRUE(constant->empty());
}

// Each column and group is compared with its own history only, and a table's
// files with that table's.
TEST_F(LedgerAggregatesTest, HistoryIsPerTableColumnAndGroup) {
  for (int i = 1; i <= 6; ++i) {
    const double wobble = i % 2 ? -0.1 : 0.1;
    ASSERT_TRUE(Load(i,
                     {Row("t", 10 + wobble, {"a"}), Row("t", 100 + wobble, {"b"}),
                      Row("h", 50 + wobble, {"a"})},
                     {"sensor"})
                    .has_value());
  }
  // 100 is normal for group b and column t, far out for group a.
  auto flagged =
      Load(7, {Row("t", 100, {"a"}), Row("t", 100, {"b"}), Row("h", 50, {"a"})}, {"sensor"});
  ASSERT_TRUE(flagged.has_value()) << flagged.status().ToString();
  ASSERT_EQ(flagged->size(), 1u);
  EXPECT_EQ(flagged->front().column, "t");
  EXPECT_EQ(flagged->front().group, (std::vector<std::optional<std::string>>{"a"}));
  EXPECT_EQ(flagged->front().by, (std::vector<std::string>{"sensor"}));
  // Another table starts without history.
  auto other = Load(8, {Row("t", 100, {"a"})}, {"sensor"}, "other");
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(other->empty());
}

// The history is the latest kAggregateSeriesFiles files: an old regime beyond
// them no longer widens the band.
TEST_F(LedgerAggregatesTest, HistoryIsTheLatestSeriesFiles) {
  Ledger::Batch batch(*ledger_);
  int n = 0;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Load(++n, {Row("t", i % 2 ? 0.0 : 1000.0)}).has_value());
  for (size_t i = 0; i < kAggregateSeriesFiles; ++i) {
    ASSERT_TRUE(Load(++n, {Row("t", i % 2 ? 9.9 : 10.1)}).has_value());
  }
  auto flagged = Load(++n, {Row("t", 20)});
  ASSERT_TRUE(flagged.has_value());
  ASSERT_EQ(flagged->size(), 1u);
  EXPECT_EQ(flagged->front().history, kAggregateSeriesFiles);
  ASSERT_TRUE(batch.Commit().ok());
}

TEST_F(LedgerAggregatesTest, OnlyTheFirstGroupsOfAFileAreKept) {
  std::vector<AggregateRecord> rows;
  for (size_t g = 0; g < kAggregateGroupsKept + 5; ++g) {
    rows.push_back(Row("t", 1, {std::to_string(g)}));
    rows.push_back(Row("u", 2, {std::to_string(g)}));
  }
  ASSERT_TRUE(Load(1, rows, {"g"}).has_value());
  auto kept = ledger_->AggregatesOf(last_id_);
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  ASSERT_EQ((*kept)->rows.size(), 2 * kAggregateGroupsKept);
  EXPECT_EQ((*kept)->rows.back().group,
            (std::vector<std::optional<std::string>>{std::to_string(kAggregateGroupsKept - 1)}));
}

TEST_F(LedgerAggregatesTest, OnlyTheLatestFilesOfATableAreKept) {
  {
    Ledger::Batch batch(*ledger_);
    for (int i = 1; i <= static_cast<int>(kAggregateFilesKept) + 3; ++i) {
      ASSERT_TRUE(Load(i, {Row("t", 10), Row("u", 1)}).has_value());
    }
    ASSERT_TRUE(Load(5000, {Row("t", 1)}, {}, "other").has_value());
    ASSERT_TRUE(batch.Commit().ok());
  }
  auto tables = ledger_->AggregatedTables();
  ASSERT_TRUE(tables.has_value()) << tables.status().ToString();
  ASSERT_EQ(tables->size(), 2u);
  EXPECT_EQ((*tables)[0].table, "other");
  EXPECT_EQ((*tables)[0].files, 1u);
  EXPECT_EQ((*tables)[1].table, "sensors");
  EXPECT_EQ((*tables)[1].files, kAggregateFilesKept);
  EXPECT_EQ((*tables)[1].aggregates_table, "sensors_file_stats");
  EXPECT_EQ((*tables)[1].latest_us, (int64_t{kAggregateFilesKept} + 3) * 1'000'000);
  // Files 1 to 3 (records 1 to 3) were the oldest.
  for (int64_t id = 1; id <= 3; ++id) {
    auto gone = ledger_->AggregatesOf(id);
    ASSERT_TRUE(gone.has_value());
    EXPECT_FALSE(gone->has_value()) << id;
  }
  auto kept = ledger_->AggregatesOf(4);
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ((*kept)->rows.size(), 2u);
  auto series = ledger_->AggregateSeriesOf("sensors", kAggregateFilesKept + 10);
  ASSERT_TRUE(series.has_value());
  ASSERT_EQ(series->size(), 2u);
  EXPECT_EQ((*series)[0].points.size(), kAggregateFilesKept);
}

TEST_F(LedgerAggregatesTest, SeriesAreTheLatestFilesOldestFirstPerColumnAndGroup) {
  for (int i = 1; i <= 8; ++i) {
    ASSERT_TRUE(Load(i,
                     {Row("t", i % 2 ? 9.9 : 10.1, {"a"}), Row("h", 50, {"a"}),
                      Row("t", 1, {std::nullopt})},
                     {"sensor"})
                    .has_value());
  }
  ASSERT_TRUE(Load(9, {Row("t", 99, {"a"}), Row("h", 50, {"a"})}, {"sensor"}).has_value());
  auto series = ledger_->AggregateSeriesOf("sensors", 5);
  ASSERT_TRUE(series.has_value()) << series.status().ToString();
  ASSERT_EQ(series->size(), 3u);
  EXPECT_EQ((*series)[0].column, "t");
  EXPECT_EQ((*series)[0].group, (std::vector<std::optional<std::string>>{"a"}));
  EXPECT_EQ((*series)[1].column, "h");
  EXPECT_EQ((*series)[2].column, "t");
  EXPECT_EQ((*series)[2].group, (std::vector<std::optional<std::string>>{std::nullopt}));
  const auto& points = (*series)[0].points;
  ASSERT_EQ(points.size(), 5u);  // files 5 to 9
  EXPECT_EQ(points.front().file, "/in/f5.csv");
  EXPECT_EQ(points.front().loaded_at_us, 5'000'000);
  EXPECT_EQ(points.back().file, "/in/f9.csv");
  EXPECT_EQ(points.back().value.mean, 99.0);
  EXPECT_EQ(points.back().value.min, 98.0);
  EXPECT_EQ(points.back().value.max, 100.0);
  EXPECT_TRUE(points.back().value.flagged);
  EXPECT_TRUE(points.back().value.low.has_value());
  for (size_t i = 0; i + 1 < points.size(); ++i) EXPECT_FALSE(points[i].value.flagged) << i;
  EXPECT_EQ((*series)[2].points.size(), 4u);  // file 9 had no null group

  auto none = ledger_->AggregateSeriesOf("nothing", 200);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace sluice
