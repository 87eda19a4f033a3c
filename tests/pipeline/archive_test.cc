#include "pipeline/archive.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <optional>

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

TEST(ArchiveTest, ParquetArchiveNameReplacesFormatAndCompressionExtensions) {
  EXPECT_EQ(ParquetArchiveName("orders.csv.gz"), "orders.parquet");
  EXPECT_EQ(ParquetArchiveName("in/2026/orders.jsonl.zst"), "in/2026/orders.parquet");
  EXPECT_EQ(ParquetArchiveName("orders.2026-11.csv"), "orders.2026-11.parquet");
  EXPECT_EQ(ParquetArchiveName("events.json"), "events.parquet");
  EXPECT_EQ(ParquetArchiveName("README"), "README.parquet");
  EXPECT_EQ(ParquetArchiveName("metrics.parquet"), "metrics.parquet");
}

TEST(ArchiveTest, PendingArchiveAppearsWholeUnderAFreeName) {
  TempDir dir;
  WriteFile(dir / "out/sub/a.parquet", "taken");
  auto pending = PendingArchive::Create(dir / "out", "sub/a.parquet");
  ASSERT_TRUE(pending.has_value()) << pending.error().ToString();
  const std::string temp = pending->temp_path();
  // In the archive folder's pending folder, where a start finds it without a walk.
  EXPECT_EQ(fs::path(temp).parent_path(), fs::path(dir / "out") / kPendingFolder);
  EXPECT_EQ(fs::path(temp).filename().string().rfind(".a.parquet.sluice-tmp-", 0), 0u) << temp;
  ASSERT_EQ(write(pending->fd(), "PAR1", 4), 4);
  auto published = pending->Publish();
  ASSERT_TRUE(published.has_value()) << published.error().ToString();
  EXPECT_EQ(*published, dir / "out/sub/a.1.parquet");
  EXPECT_EQ(ReadFile(*published), "PAR1");
  EXPECT_EQ(ReadFile(dir / "out/sub/a.parquet"), "taken");
  EXPECT_FALSE(fs::exists(temp));
}

TEST(ArchiveTest, UnpublishedPendingArchiveLeavesNothing) {
  TempDir dir;
  std::string temp;
  {
    auto pending = PendingArchive::Create(dir.path(), "a.parquet");
    ASSERT_TRUE(pending.has_value());
    temp = pending->temp_path();
    EXPECT_TRUE(fs::exists(temp));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(fs::is_empty(dir / kPendingFolder));
}

TEST(ArchiveTest, MoveOfMissingFileFails) {
  TempDir dir;
  auto moved = MoveNoClobber(dir / "nope.csv", dir / "out", "nope.csv");
  EXPECT_FALSE(moved.has_value());
}

// A file landed in <dir>/in, opened and hashed as the loader does.
class ArchiveLandedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "in/sub");
    auto folder = SourceFolder::Open(dir_ / "in");
    ASSERT_TRUE(folder.has_value()) << folder.error().ToString();
    folder_.emplace(std::move(*folder));
  }
  LandedFile Land(const std::string& relative) {
    auto file = LandedFile::Open(*folder_, relative);
    EXPECT_TRUE(file.has_value()) << file.error().ToString();
    EXPECT_TRUE(file->Fingerprint().has_value());
    return std::move(*file);
  }
  TempDir dir_;
  std::optional<SourceFolder> folder_;
};

TEST_F(ArchiveLandedTest, MovesTheFileItLoaded) {
  WriteFile(dir_ / "out/sub/a.csv", "taken");
  WriteFile(dir_ / "in/sub/a.csv", "id\n1\n");
  LandedFile file = Land("sub/a.csv");
  auto archived = ArchiveLanded(*folder_, "sub/a.csv", file, dir_ / "out");
  ASSERT_TRUE(archived.has_value()) << archived.error().ToString();
  EXPECT_EQ(archived->final_path, dir_ / "out/sub/a.1.csv");
  EXPECT_FALSE(archived->newcomer);
  EXPECT_EQ(ReadFile(dir_ / "out/sub/a.1.csv"), "id\n1\n");
  EXPECT_EQ(ReadFile(dir_ / "out/sub/a.csv"), "taken");
  EXPECT_FALSE(fs::exists(dir_ / "in/sub/a.csv"));
  struct stat st {};
  ASSERT_EQ(::stat(archived->final_path.c_str(), &st), 0);
  EXPECT_TRUE(file.SameFile(st));  // moved, not copied
}

TEST_F(ArchiveLandedTest, AReplacedPathKeepsTheNewcomerAndArchivesTheBytesLoaded) {
  const std::string path = dir_ / "in/a.csv";
  WriteFile(path, "id\n1\n");
  struct timespec times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  LandedFile file = Land("a.csv");
  WriteFile(dir_ / "in/a.csv.tmp", "id\n2\n3\n");
  fs::rename(dir_ / "in/a.csv.tmp", path);  // mv a.csv.tmp a.csv during the load
  auto archived = ArchiveLanded(*folder_, "a.csv", file, dir_ / "out");
  ASSERT_TRUE(archived.has_value()) << archived.error().ToString();
  EXPECT_TRUE(archived->newcomer);
  EXPECT_EQ(archived->final_path, dir_ / "out/a.csv");
  EXPECT_EQ(ReadFile(dir_ / "out/a.csv"), "id\n1\n");
  EXPECT_EQ(ReadFile(path), "id\n2\n3\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "out/a.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000);
}

TEST_F(ArchiveLandedTest, AVanishedPathStillArchivesTheBytesLoaded) {
  WriteFile(dir_ / "in/a.csv", "id\n1\n");
  LandedFile file = Land("a.csv");
  fs::remove(dir_ / "in/a.csv");
  auto archived = ArchiveLanded(*folder_, "a.csv", file, dir_ / "out");
  ASSERT_TRUE(archived.has_value()) << archived.error().ToString();
  EXPECT_FALSE(archived->newcomer);
  EXPECT_EQ(ReadFile(dir_ / "out/a.csv"), "id\n1\n");
}

TEST_F(ArchiveLandedTest, ALinkInsideTheFolderIsMovedAsALink) {
  WriteFile(dir_ / "in/a.csv", "id\n1\n");
  fs::create_symlink(dir_ / "in/a.csv", dir_ / "in/link.csv");
  LandedFile file = Land("link.csv");
  auto archived = ArchiveLanded(*folder_, "link.csv", file, dir_ / "out");
  ASSERT_TRUE(archived.has_value()) << archived.error().ToString();
  EXPECT_FALSE(archived->newcomer);
  EXPECT_TRUE(fs::is_symlink(dir_ / "out/link.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "in/a.csv"));
}

TEST_F(ArchiveLandedTest, DeleteRemovesOnlyTheFileLoaded) {
  WriteFile(dir_ / "in/a.csv", "id\n1\n");
  WriteFile(dir_ / "in/b.csv", "id\n1\n");
  LandedFile a = Land("a.csv");
  LandedFile b = Land("b.csv");
  WriteFile(dir_ / "in/b.csv.tmp", "id\n2\n");
  fs::rename(dir_ / "in/b.csv.tmp", dir_ / "in/b.csv");
  auto deleted = DeleteLanded(*folder_, "a.csv", a);
  ASSERT_TRUE(deleted.has_value()) << deleted.error().ToString();
  EXPECT_FALSE(deleted->newcomer);
  EXPECT_FALSE(fs::exists(dir_ / "in/a.csv"));
  auto kept = DeleteLanded(*folder_, "b.csv", b);
  ASSERT_TRUE(kept.has_value()) << kept.error().ToString();
  EXPECT_TRUE(kept->newcomer);
  EXPECT_EQ(ReadFile(dir_ / "in/b.csv"), "id\n2\n");
  std::vector<std::string> left;  // nothing hidden left behind
  for (const auto& entry : fs::directory_iterator(dir_ / "in")) {
    left.push_back(entry.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"b.csv", "sub"}));
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
    log.Report(RowError{static_cast<uint64_t>(i + 2), 10, "qty", "a,\"b\"\n", "bad \"qty\"",
                        RowErrorKind::kType, "declare it"});
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
      R"({"file":"/in/x.csv","line":2,"offset":10,"column":"qty","kind":"type","reason":"bad \"qty\"","hint":"declare it","raw":"a,\"b\"\n"})");
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
    log.Report(RowError{1, 0, "", "", "bad", RowErrorKind::kNull});
    log.Discard();
    EXPECT_EQ(log.count(), 0u);
    // A discarded attempt's rejects are not counted by kind either.
    EXPECT_EQ(log.counts(), RowErrorCounts{});
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(RejectLogTest, CountsEachKind) {
  testing::TempDir dir;
  RejectLog log("x.csv", dir.path());
  log.Report(RowError{1, 0, "a", "", "bad", RowErrorKind::kType});
  log.Report(RowError{2, 0, "a", "", "bad", RowErrorKind::kType});
  log.Report(RowError{3, 0, "", "", "bad", RowErrorKind::kRagged});
  EXPECT_EQ(log.counts()[static_cast<size_t>(RowErrorKind::kType)], 2u);
  EXPECT_EQ(log.counts()[static_cast<size_t>(RowErrorKind::kRagged)], 1u);
  EXPECT_EQ(RejectCountsJson(log.counts()).dump(), R"({"ragged":1,"type":2})");
}

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
