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

}  // namespace
}  // namespace sluice
