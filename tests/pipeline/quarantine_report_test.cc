#include "pipeline/quarantine_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace sluice {
namespace {

TEST(QuarantineReportTest, NamesItsOwnRejectsFileAndListsTheFirstBadRows) {
  QuarantineReport r{"/in/orders.csv",
                     "/q/orders.1.csv",
                     "0123456789abcdef0123456789abcdef",
                     "orders",
                     "2 of 3 rows are bad",
                     1'700'000'000'000'000,
                     3,
                     2,
                     "/q/orders.1.csv.rejects.jsonl",
                     {RowError{2, 8, "id", "x,\xff", "\"x\" is not an integer", RowErrorKind::kType,
                               "declare the column as float or string to keep such values"}},
                     {}};
  r.rejected_by_kind[static_cast<size_t>(RowErrorKind::kType)] = 2;
  const std::string text = QuarantineReportJson(r);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const nlohmann::ordered_json report = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& item : report.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"file", "quarantined_as", "hash", "table", "reason",
                                            "time", "rows_read", "rows_rejected",
                                            "rejected_by_reason", "rejects_file", "errors"}));
  EXPECT_EQ(report["rejected_by_reason"], nlohmann::ordered_json({{"type", 2}}));
  EXPECT_EQ(report["rejects_file"], "/q/orders.1.csv.rejects.jsonl");
  EXPECT_EQ(report["rows_rejected"], 2);
  EXPECT_EQ(report["time"], "2023-11-14T22:13:20Z");
  ASSERT_EQ(report["errors"].size(), 1u);
  EXPECT_EQ(report["errors"][0]["line"], 2);
  EXPECT_EQ(report["errors"][0]["column"], "id");
  EXPECT_EQ(report["errors"][0]["raw"], "x,\xEF\xBF\xBD");  // invalid UTF-8 replaced
  EXPECT_EQ(report["errors"][0]["kind"], "type");
  EXPECT_EQ(report["errors"][0]["hint"],
            "declare the column as float or string to keep such values");
}

TEST(QuarantineReportTest, WithoutRejectsHasNoRejectsFileAndIsWrittenBesideTheFile) {
  testing::TempDir dir;
  QuarantineReport r;
  r.file = "/in/a.json";
  r.quarantined_as = dir / "a.json";
  r.reason = "the file is empty";
  ASSERT_TRUE(WriteQuarantineReport(r).ok());
  const auto report = nlohmann::json::parse(testing::ReadFile(dir / "a.json.error.json"));
  EXPECT_FALSE(report.contains("rejects_file"));
  EXPECT_TRUE(report["errors"].is_array());
  EXPECT_TRUE(report["errors"].empty());
  EXPECT_EQ(report["reason"], "the file is empty");
}

}  // namespace
}  // namespace sluice
