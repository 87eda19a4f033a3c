// FileLoader and rows the database refuses (Sink::refused()): each becomes a bad
// row with its line, the file loads again without it within the table's reject
// threshold, and past it the file is quarantined with the row named. The FakeSink
// refuses configured lines as a database refusing a value would.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fake_sink.h"
#include "file_loader_fixture.h"
#include "pipeline/file_loader.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::FakeCall;
using testing::FileLoaderTest;

// The rejects file's lines, parsed.
std::vector<nlohmann::json> RejectsOf(const std::string& path) {
  std::vector<nlohmann::json> out;
  const std::string text = testing::ReadFile(path);
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

class FileLoaderRefusedTest : public FileLoaderTest {
 protected:
  FileLoaderRefusedTest() {
    config_.defaults.schema =
        Schema{{{"id", ColumnType::kInteger, false, {}}, {"name", ColumnType::kString, true, {}}}};
  }
};

TEST_F(FileLoaderRefusedTest, ARefusedRowBecomesABadRowAndTheOthersLoad) {
  config_.defaults.max_rejects = 5;
  const std::string path = Land("orders.csv", "id,name\n1,a\n2,b\n3,c\n");
  sink_->RefuseLine(path, 3);
  FileResult r = ProcessOne(path);
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString() << "\n" << sink_->CallLog();
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "3|c"}));
  ExpectLoaded("orders.csv");
  // Refused, rolled back, loaded again from the start without line 3.
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 2);
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 1);
  const auto rejects = RejectsOf(Quarantined("orders.csv.rejects.jsonl"));
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0]["line"], 3);
  EXPECT_EQ(rejects[0]["kind"], "refused");
  EXPECT_EQ(rejects[0]["raw"], "2,b");
  EXPECT_EQ(rejects[0]["file"], path);
  EXPECT_NE(rejects[0]["reason"].get<std::string>().find("value out of range"), std::string::npos);
  EXPECT_EQ(Record("orders.csv")->rows_rejected, 1u);
}

TEST_F(FileLoaderRefusedTest, RefusedAndInvalidRowsCountTogetherTowardsTheThreshold) {
  config_.defaults.max_rejects = 1;
  const std::string path = Land("orders.csv", "id,name\n1,a\nx,b\n3,c\n");
  sink_->RefuseLine(path, 4);
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined) << sink_->CallLog();
  EXPECT_EQ(r.error.code(), StatusCode::kInvalidData);
  EXPECT_TRUE(sink_->Rows("orders").empty());
  const auto report =
      nlohmann::json::parse(testing::ReadFile(Quarantined("orders.csv.error.json")));
  EXPECT_EQ(report["rows_rejected"], 2);
  EXPECT_EQ(report["rejected_by_reason"]["refused"], 1);
  EXPECT_EQ(report["rejected_by_reason"]["type"], 1);
}

TEST_F(FileLoaderRefusedTest, WithoutAThresholdTheFileIsQuarantinedNamingTheRow) {
  const std::string path = Land("orders.csv", "id,name\n1,a\n2,b\n");
  sink_->RefuseLine(path, 3);
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("line 3"), std::string::npos) << r.error.ToString();
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);  // no bad row tolerated: not tried again
  EXPECT_TRUE(sink_->Rows("orders").empty());
  const auto report =
      nlohmann::json::parse(testing::ReadFile(Quarantined("orders.csv.error.json")));
  EXPECT_NE(report["reason"].get<std::string>().find("line 3"), std::string::npos);
  ASSERT_EQ(report["errors"].size(), 1u);
  EXPECT_EQ(report["errors"][0]["line"], 3);
  EXPECT_EQ(report["errors"][0]["kind"], "refused");
  const auto rejects = RejectsOf(Quarantined("orders.csv.rejects.jsonl"));
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0]["line"], 3);
}

TEST_F(FileLoaderRefusedTest, MoreRefusedRowsThanTheThresholdQuarantineAtOnce) {
  config_.defaults.max_rejects = 1;
  const std::string path = Land("orders.csv", "id,name\n1,a\n2,b\n3,c\n");
  sink_->RefuseLine(path, 2).RefuseLine(path, 4);
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("line 2"), std::string::npos) << r.error.ToString();
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);
  EXPECT_EQ(r.rejected, 2u);
}

// A sink that names one refused row per try (PostgreSQL's COPY) gets a try per
// row, each from the start of the file without the rows found so far.
TEST_F(FileLoaderRefusedTest, RowsRefusedOneAtATimeAreLeftOutOneTryEach) {
  config_.defaults.max_rejects = 5;
  const std::string path = Land("orders.csv", "id,name\n1,a\n2,b\n3,c\n4,d\n");
  sink_->RefuseOneRowAtATime().RefuseLine(path, 3).RefuseLine(path, 5);
  FileResult r = ProcessOne(path);
  ASSERT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString() << "\n" << sink_->CallLog();
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "3|c"}));
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 3);
  const auto rejects = RejectsOf(Quarantined("orders.csv.rejects.jsonl"));
  ASSERT_EQ(rejects.size(), 2u);
  EXPECT_EQ(rejects[0]["line"], 3);
  EXPECT_EQ(rejects[1]["line"], 5);
}

// Tries without refused rows are bounded: past 16, the file is quarantined even
// within the threshold, rather than read again and again.
TEST_F(FileLoaderRefusedTest, TriesWithoutRefusedRowsAreBounded) {
  config_.defaults.max_rejects = 100;
  std::string text = "id,name\n";
  for (int i = 1; i <= 20; ++i) text += std::to_string(i) + ",x\n";
  const std::string path = Land("orders.csv", text);
  sink_->RefuseOneRowAtATime();
  for (uint64_t line = 2; line <= 21; ++line) sink_->RefuseLine(path, line);
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("line 18"), std::string::npos) << r.error.ToString();
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 17);
  EXPECT_EQ(sink_->Count(FakeCall::kCommit), 0);
  EXPECT_TRUE(sink_->Rows("orders").empty());
}

TEST_F(FileLoaderRefusedTest, ARefusalThatNamesNoRowQuarantinesTheFileAsBefore) {
  config_.defaults.max_rejects = 5;
  const std::string path = Land("orders.csv", "id,name\n1,a\n2,b\n");
  sink_->RefuseLine(path, 3, /*named=*/false);
  FileResult r = ProcessOne(path);
  EXPECT_EQ(r.outcome, FileOutcome::kQuarantined);
  EXPECT_NE(r.error.message().find("line 3"), std::string::npos) << r.error.ToString();
  EXPECT_EQ(sink_->Count(FakeCall::kBegin), 1);
}

TEST_F(FileLoaderRefusedTest, AGroupMembersRefusedRowLeavesTheOtherMembersAlone) {
  config_.defaults.max_rejects = 5;
  std::vector<std::string> paths = {Land("orders_1.csv", "id,name\n1,a\n"),
                                    Land("orders_2.csv", "id,name\n2,b\n22,bb\n"),
                                    Land("orders_3.csv", "id,name\n3,c\n")};
  sink_->RefuseLine(paths[1], 2);
  std::vector<FileResult> results = Process(paths);
  for (const FileResult& r : results) {
    EXPECT_EQ(r.outcome, FileOutcome::kLoaded) << r.error.ToString() << "\n" << sink_->CallLog();
  }
  EXPECT_EQ(results[1].rows, 1u);
  EXPECT_EQ(results[1].rejected, 1u);
  EXPECT_EQ(sink_->Rows("orders"), (std::vector<std::string>{"1|a", "22|bb", "3|c"}));
  for (const char* name : {"orders_1.csv", "orders_2.csv", "orders_3.csv"}) ExpectLoaded(name);
  EXPECT_EQ(Record("orders_1.csv")->rejects_file, "");
  const auto rejects = RejectsOf(Quarantined("orders_2.csv.rejects.jsonl"));
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0]["line"], 2);
  EXPECT_EQ(rejects[0]["raw"], "2,b");
}

}  // namespace
}  // namespace sluice
