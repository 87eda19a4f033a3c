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
  auto kept = log.Keep(dir.path(), "x.csv.rejects.jsonl");
  ASSERT_TRUE(kept.has_value()) << kept.status().ToString();
  EXPECT_EQ(*kept, dir / "x.csv.rejects.jsonl");
  std::string text = ReadFile(dir / "x.csv.rejects.jsonl");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 150);
  EXPECT_EQ(
      text.substr(0, text.find('\n')),
      R"({"file":"/in/x.csv","line":2,"offset":10,"column":"qty","reason":"bad \"qty\"","raw":"a,\"b\"\n"})");
}

TEST(RejectLogTest, KeepNeverReplacesAnotherFilesRejects) {
  // orders.csv on two days: each day's rejects are kept, under their own names.
  TempDir dir;
  std::vector<std::string> kept;
  for (int day = 1; day <= 3; ++day) {
    RejectLog log("/in/orders.csv", dir.path());
    log.Report(RowError{static_cast<uint64_t>(day), 0, "qty", "day " + std::to_string(day), "bad"});
    auto path = log.Keep(dir / "q", "sub/orders.csv.rejects.jsonl");
    ASSERT_TRUE(path.has_value()) << path.status().ToString();
    kept.push_back(*path);
  }
  EXPECT_EQ(kept, (std::vector<std::string>{dir / "q/sub/orders.csv.rejects.jsonl",
                                            dir / "q/sub/orders.1.csv.rejects.jsonl",
                                            dir / "q/sub/orders.2.csv.rejects.jsonl"}));
  for (int day = 1; day <= 3; ++day) {
    EXPECT_NE(ReadFile(kept[day - 1]).find("\"raw\":\"day " + std::to_string(day) + "\""),
              std::string::npos)
        << ReadFile(kept[day - 1]);
  }
  // Nothing to keep: no file, no name.
  RejectLog none("/in/orders.csv", dir.path());
  EXPECT_EQ(*none.Keep(dir / "q", "orders.csv.rejects.jsonl"), "");
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
