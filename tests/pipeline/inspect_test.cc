// CheckFile: a file through a load's steps without loading it; its preview of
// the rows as they would load, the rows the filter skips, the bad rows.
#include "pipeline/inspect.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace sluice {
namespace {

using Values = std::vector<std::optional<std::string>>;

class CheckFileTest : public ::testing::Test {
 protected:
  CheckFileTest() {
    plan_.table = "sensors";
    plan_.derive_origin = plan_.filter_origin = "sluice.yaml: defaults";
  }
  Result<CheckResult> Check(const std::string& content, size_t show) {
    const std::string path = dir_ / "sensors.csv";
    testing::WriteFile(path, content);
    return CheckFile(path, plan_, {20, show});
  }
  testing::TempDir dir_;
  TablePlan plan_;
};

TEST_F(CheckFileTest, PreviewsTheRowsAfterNormalizeDeriveFilterAndDrop) {
  plan_.normalize.trim = true;
  plan_.normalize.null_values = {"NA"};
  plan_.derive = {{"k", "temperature + 273.15"}, {"day", "date(ts)"}, {"hot", "temperature > 20"}};
  plan_.filter = "temperature is not null";
  plan_.drop = {"raw"};
  auto r = Check(
      "id,ts,temperature,raw\n"
      "a, 2026-11-01T10:00:00Z ,20.5,x\n"
      "b,2026-11-01T23:30:00-01:00,NA,y\n"
      "c,2026-11-02T00:00:00Z,-3,z\n",
      10);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->would_load);
  EXPECT_EQ(r->rows, 3u);
  EXPECT_EQ(r->loaded, 2u);
  EXPECT_EQ(r->filtered, 1u);
  EXPECT_EQ(r->rejected, 0u);
  const RowPreview& p = r->preview;
  EXPECT_EQ(p.table, "sensors");
  std::vector<std::string> names;
  std::vector<ColumnType> types;
  for (const ColumnDef& c : p.columns) {
    names.push_back(c.name);
    types.push_back(c.type);
  }
  // The metadata columns are left out; "raw" is dropped.
  EXPECT_EQ(names, (std::vector<std::string>{"id", "ts", "temperature", "k", "day", "hot"}));
  EXPECT_EQ(types, (std::vector<ColumnType>{ColumnType::kString, ColumnType::kTimestamp,
                                            ColumnType::kFloat, ColumnType::kFloat,
                                            ColumnType::kDate, ColumnType::kBoolean}));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].line, 2u);
  EXPECT_EQ(p.rows[0].values,
            (Values{"a", "2026-11-01 10:00:00", "20.5", "293.65", "2026-11-01", "true"}));
  EXPECT_EQ(p.rows[1].line, 4u);
  EXPECT_EQ(p.rows[1].values,
            (Values{"c", "2026-11-02 00:00:00", "-3", "270.15", "2026-11-02", "false"}));
  ASSERT_EQ(p.filtered.size(), 1u);
  EXPECT_EQ(p.filtered[0].line, 3u);
  EXPECT_EQ(p.filtered[0].raw, "b,2026-11-01T23:30:00-01:00,NA,y");
}

TEST_F(CheckFileTest, KeepsOnlyTheFirstNButCountsAll) {
  plan_.filter = "n % 2 = 0";
  std::string content = "n\n";
  for (int i = 1; i <= 100; ++i) content += std::to_string(i) + "\n";
  auto r = Check(content, 3);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->loaded, 50u);
  EXPECT_EQ(r->filtered, 50u);
  ASSERT_EQ(r->preview.rows.size(), 3u);
  EXPECT_EQ(r->preview.rows[2].values, (Values{"6"}));
  ASSERT_EQ(r->preview.filtered.size(), 3u);
  EXPECT_EQ(r->preview.filtered[2].raw, "5");
  EXPECT_EQ(r->preview.filtered[2].line, 6u);
}

TEST_F(CheckFileTest, NullsAreNotEmptyStrings) {
  plan_.normalize.null_values = {"NA"};
  auto r = Check("s,t\nNA,\"\"\n", 5);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->preview.rows.size(), 1u);
  EXPECT_EQ(r->preview.rows[0].values, (Values{std::nullopt, ""}));
}

TEST_F(CheckFileTest, AFailingDeriveIsABadRowWhateverTheFilterSays) {
  plan_.max_rejects = 5;
  plan_.derive = {{"r", "a / b"}};
  plan_.filter = "a > 0";
  auto r = Check("a,b\n1,1\n1,0\n-1,0\n-1,1\n", 5);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->would_load);
  EXPECT_EQ(r->rejected, 2u);
  EXPECT_EQ(r->filtered, 1u);
  EXPECT_EQ(r->loaded, 1u);
  ASSERT_EQ(r->first.size(), 2u);
  EXPECT_EQ(r->first[0].line, 3u);
  EXPECT_EQ(r->first[0].kind, RowErrorKind::kTransform);
  EXPECT_EQ(r->first[1].line, 4u);
  ASSERT_EQ(r->preview.filtered.size(), 1u);
  EXPECT_EQ(r->preview.filtered[0].line, 5u);
}

TEST_F(CheckFileTest, AnEmptyFileWouldNotLoadAsALoadRefusesIt) {
  auto r = Check("", 5);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->would_load);
  EXPECT_EQ(r->file_error.message(), "the file is empty");
}

}  // namespace
}  // namespace sluice
