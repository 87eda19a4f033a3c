#include "pipeline/archive.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "pipeline/rejects.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;
namespace fs = std::filesystem;

TEST(ArchiveTest, MoveNeverOverwritesAndKeepsExtensions) {
  TempDir dir;
  std::vector<std::string> finals;
  for (int i = 0; i < 3; ++i) {
    WriteFile(dir / "in/a.csv.gz", "content " + std::to_string(i));
    auto moved = MoveNoClobber(dir / "in/a.csv.gz", dir / "out", "sub/a.csv.gz");
    ASSERT_TRUE(moved.has_value()) << moved.error().ToString();
    finals.push_back(*moved);
  }
  EXPECT_EQ(finals[0], dir / "out/sub/a.csv.gz");
  EXPECT_EQ(finals[1], dir / "out/sub/a.1.csv.gz");
  EXPECT_EQ(finals[2], dir / "out/sub/a.2.csv.gz");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ReadFile(finals[i]), "content " + std::to_string(i));
  EXPECT_FALSE(fs::exists(dir / "in/a.csv.gz"));
}

TEST(ArchiveTest, MoveOfMissingFileFails) {
  TempDir dir;
  auto moved = MoveNoClobber(dir / "nope.csv", dir / "out", "nope.csv");
  EXPECT_FALSE(moved.has_value());
}

TEST(ArchiveTest, RelativeTo) {
  EXPECT_EQ(RelativeTo("/data/in/x/y.csv", "/data/in"), "x/y.csv");
  EXPECT_EQ(RelativeTo("/data/in/y.csv", "/data/in/"), "y.csv");
  EXPECT_EQ(RelativeTo("/elsewhere/y.csv", "/data/in"), "y.csv");
}

TEST(ArchiveTest, WriteFileAtomicReplacesWhole) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "r/report.json", "one").ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "r/report.json", "two").ok());
  EXPECT_EQ(ReadFile(dir / "r/report.json"), "two");
  EXPECT_FALSE(fs::exists(dir / "r/report.json.tmp"));
}

TEST(RejectLogTest, StreamsAllKeepsFirstAndWritesJsonLines) {
  TempDir dir;
  RejectLog log("/in/x.csv", dir.path());
  for (int i = 0; i < 150; ++i) {
    log.Report(RowError{static_cast<uint64_t>(i + 2), 10, "qty", "a,\"b\"\n", "bad \"qty\""});
  }
  EXPECT_EQ(log.count(), 150u);
  EXPECT_EQ(log.first().size(), RejectLog::kKeptForReport);
  ASSERT_TRUE(log.Keep(dir / "x.csv.rejects.jsonl").ok());
  std::string text = ReadFile(dir / "x.csv.rejects.jsonl");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 150);
  EXPECT_EQ(
      text.substr(0, text.find('\n')),
      R"({"file":"/in/x.csv","line":2,"offset":10,"column":"qty","reason":"bad \"qty\"","raw":"a,\"b\"\n"})");
}

TEST(RejectLogTest, DiscardLeavesNothing) {
  TempDir dir;
  {
    RejectLog log("x", dir.path());
    log.Report(RowError{1, 0, "", "", "bad"});
    log.Discard();
    EXPECT_EQ(log.count(), 0u);
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(RejectLogTest, TooManyNamesTheFirstBadRow) {
  testing::TempDir dir;
  RejectLog log("x.csv", dir.path());
  log.Report(RowError{7, 0, "qty", "a,b", "\"b\" is not an integer"});
  log.Report(RowError{9, 0, "qty", "a,c", "\"c\" is not an integer"});
  Status s = log.TooMany("2 of 10 rows are bad");
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_EQ(s.message(),
            "2 of 10 rows are bad, more than the table allows; first at line 7, column qty: "
            "\"b\" is not an integer");
}

}  // namespace
}  // namespace sluice
