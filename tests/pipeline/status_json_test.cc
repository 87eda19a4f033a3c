#include "pipeline/status_json.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

FileRecord Record() {
  FileRecord r;
  r.identity = {"0123456789abcdef0123456789abcdef", "/in/sub/a\x1b.csv", 42, 0};
  r.table = "sales";
  r.state = FileState::kLoaded;
  r.rows_loaded = 3;
  r.rows_rejected = 1;
  r.rows_filtered = 5;
  r.attempts = 2;
  r.started_at_us = 1'700'000'000'000'000;
  r.finished_at_us = r.started_at_us + 1'500'000;
  r.final_path = "/out/a.csv";
  return r;
}

TEST(StatusJsonTest, FileRecordKeepsItsFieldsAndOrder) {
  const nlohmann::ordered_json j = FileRecordJson(Record());
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  // clang-format off
  const std::vector<std::string> want = {
      "file", "name", "hash", "size", "table", "state", "rows", "rejected", "skipped",
      "filtered", "bytes", "attempts", "duration_seconds", "seen_at", "started_at",
      "finished_at", "error", "duplicate_of", "final_path", "rejects_file"};
  // clang-format on
  EXPECT_EQ(keys, want);
  EXPECT_EQ(j["name"], "a\x1b.csv");
  EXPECT_EQ(j["filtered"], 5);
  EXPECT_EQ(j["state"], "loaded");
  EXPECT_EQ(j["duration_seconds"], 1.5);
  EXPECT_EQ(j["seen_at"], "");
  EXPECT_EQ(j["started_at"], "2023-11-14T22:13:20Z");
}

TEST(StatusJsonTest, ApiStatusHasEngineHealthThenTheLedgerReport) {
  Registry metrics;
  metrics.DeclareGauge("sluice_backlog_files", "");
  metrics.Set("sluice_backlog_files", {}, 4);
  LedgerReport report;
  report.rows_loaded = 3;
  report.rows_filtered = 5;
  report.files_by_state[FileState::kLoaded] = 1;
  report.files_by_table["sales"][FileState::kLoaded] = 1;
  report.recent = {Record()};
  report.columns_added = {{"sales", "note", "string", "/in/b.csv", 1'700'000'000'000'000}};
  const std::string text =
      ApiStatusJson(metrics, {1'700'000'000'000'000, "down", "gone"}, Result<LedgerReport>(report));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find("\\u001b"), std::string::npos) << text;  // a control stays escaped
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "backlog_files", "oldest_pending_age_seconds", "sink_up",
                      "last_success_timestamp_seconds", "sink_down_since", "sink_error",
                      "source_error", "rows_loaded", "rows_rejected", "rows_filtered",
                      "files_by_state", "tables", "recent", "recent_errors", "columns_added"}));
  EXPECT_EQ(text.substr(0, 18), "{\"backlog_files\":4");  // whole numbers stay whole
  EXPECT_EQ(j["sink_down_since"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j["rows_filtered"], 5);
  EXPECT_EQ(j["tables"], nlohmann::ordered_json({{"sales", {{"loaded", 1}}}}));
  EXPECT_EQ(j["recent"][0]["file"], "/in/sub/a\x1b.csv");
  EXPECT_EQ(j["columns_added"][0]["added_at"], "2023-11-14T22:13:20Z");
}

TEST(StatusJsonTest, ApiStatusNamesALedgerError) {
  Registry metrics;
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(
      ApiStatusJson(metrics, {}, Result<LedgerReport>(Status::Unavailable("locked"))));
  EXPECT_EQ(j["error"], "unavailable: locked");
  EXPECT_FALSE(j.contains("recent"));
  EXPECT_EQ(j["sink_up"], 0);
}

TEST(StatusJsonTest, FileAggregatesShowEachRowWithItsGroup) {
  FileAggregates f{"sensors", "sensors_file_stats", 1'700'000'000'000'000, {"sensor", "site"}, {}};
  AggregateRecord a{{"s1", std::nullopt}, "temperature", 3, 1, 1.5, 2.5, 2.0, 0.5};
  a.flagged = true;
  a.low = 0.5;
  a.high = 1.5;
  f.rows = {a, {{"s2", "x"}, "humidity", 0, 2, {}, {}, {}, {}}};
  const nlohmann::ordered_json j = FileAggregatesJson(f);
  EXPECT_EQ(j["table"], "sensors");
  EXPECT_EQ(j["aggregates_table"], "sensors_file_stats");
  EXPECT_EQ(j["loaded_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j["by"], nlohmann::ordered_json({"sensor", "site"}));
  ASSERT_EQ(j["rows"].size(), 2u);
  std::vector<std::string> keys;
  for (const auto& item : j["rows"][0].items()) keys.push_back(item.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"group", "column", "count", "nulls", "min", "max", "mean",
                                      "stddev", "flagged", "expected_low", "expected_high"}));
  EXPECT_EQ(j["rows"][0]["group"], nlohmann::ordered_json({{"sensor", "s1"}, {"site", nullptr}}));
  EXPECT_EQ(j["rows"][0]["mean"], 2.0);
  EXPECT_EQ(j["rows"][0]["flagged"], true);
  EXPECT_EQ(j["rows"][0]["expected_high"], 1.5);
  EXPECT_TRUE(j["rows"][1]["min"].is_null());
  EXPECT_TRUE(j["rows"][1]["stddev"].is_null());
  EXPECT_EQ(j["rows"][1]["nulls"], 2);
}

TEST(StatusJsonTest, ApiAggregatesListsTablesThenTheSeriesAndTheFlaggedFiles) {
  std::vector<AggregatedTable> tables = {
      {"sensors", "sensors_file_stats", {"sensor"}, 3, 3'000'000},
      {"other", "other_file_stats", {}, 1, 1'000'000}};
  AggregatePoint p1{1, "/in/a.csv", 1'000'000, {{}, "", 5, 0, 1.0, 3.0, 2.0, 1.0}};
  AggregatePoint p2{
      2, "/in/b.csv", 2'000'000, {{}, "", 5, 0, 9.0, 11.0, 10.0, 1.0, true, 1.0, 3.0}};
  AggregatePoint p3{
      3, "/in/c.csv", 3'000'000, {{}, "", 5, 0, -9.0, -7.0, -8.0, 1.0, true, 1.0, 3.0}};
  std::vector<AggregateSeries> series = {{"temperature", {"s1"}, {p1, p2}},
                                         {"humidity", {std::nullopt}, {p1, p3}}};
  const nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(ApiAggregatesJson(tables, "sensors", series));
  ASSERT_EQ(j["tables"].size(), 2u);
  EXPECT_EQ(j["tables"][0]["table"], "sensors");
  EXPECT_EQ(j["tables"][0]["files"], 3);
  EXPECT_EQ(j["tables"][0]["latest_loaded_at"], "1970-01-01T00:00:03Z");
  EXPECT_EQ(j["tables"][0]["latest_loaded_at_us"], 3'000'000);
  EXPECT_EQ(j["table"], "sensors");
  EXPECT_EQ(j["by"], nlohmann::ordered_json({"sensor"}));
  ASSERT_EQ(j["series"].size(), 2u);
  EXPECT_EQ(j["series"][0]["column"], "temperature");
  EXPECT_EQ(j["series"][0]["group"], nlohmann::ordered_json({{"sensor", "s1"}}));
  EXPECT_EQ(j["series"][1]["group"], nlohmann::ordered_json({{"sensor", nullptr}}));
  const auto& point = j["series"][0]["points"][1];
  EXPECT_EQ(point["file"], "/in/b.csv");
  EXPECT_EQ(point["name"], "b.csv");
  EXPECT_EQ(point["loaded_at_ms"], 2000);
  EXPECT_EQ(point["loaded_at"], "1970-01-01T00:00:02Z");
  EXPECT_EQ(point["min"], 9.0);
  EXPECT_EQ(point["max"], 11.0);
  EXPECT_EQ(point["mean"], 10.0);
  EXPECT_EQ(point["flagged"], true);
  // Flagged points, most recent first.
  ASSERT_EQ(j["flagged"].size(), 2u);
  EXPECT_EQ(j["flagged"][0]["name"], "c.csv");
  EXPECT_EQ(j["flagged"][0]["column"], "humidity");
  EXPECT_EQ(j["flagged"][0]["mean"], -8.0);
  EXPECT_EQ(j["flagged"][0]["expected_low"], 1.0);
  EXPECT_EQ(j["flagged"][1]["name"], "b.csv");

  // Without a table, only the list.
  const nlohmann::ordered_json list =
      nlohmann::ordered_json::parse(ApiAggregatesJson(tables, "", std::vector<AggregateSeries>()));
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(list["tables"].size(), 2u);
}

TEST(StatusJsonTest, ApiAggregatesNamesALedgerError) {
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(
      ApiAggregatesJson(Status::Unavailable("locked"), "sensors", Status::Unavailable("locked")));
  EXPECT_EQ(j["error"], "unavailable: locked");
  EXPECT_FALSE(j.contains("series"));
}

}  // namespace
}  // namespace sluice
