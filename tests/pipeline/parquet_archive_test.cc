// ParquetArchive: rows queued to its writing thread are copied (strings too), so
// the caller may reuse a batch as soon as Write returns; Drain waits for the rows
// and ends them, Finish for the footer and the sync; a dropped archive leaves
// nothing.
#include "pipeline/parquet_archive.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "format/parquet_reader.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::ReadFile;
using testing::StringInput;
using testing::TempDir;

std::vector<ColumnDef> Columns() {
  ColumnDef id;
  id.name = "id";
  id.type = ColumnType::kInteger;
  ColumnDef name;
  name.name = "name";
  name.type = ColumnType::kString;
  return {id, name};
}

// The archive's rows as sluice's reader gives them: the id's text and the name
// (nullopt for NULL).
std::vector<std::pair<std::string, std::optional<std::string>>> ReadArchive(
    const std::string& path) {
  ParquetReader reader(StringInput(ReadFile(path)), ReaderOptions{});
  testing::CollectingErrors errors;
  TextBatch rows;
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  std::string scratch;
  while (true) {
    auto n = reader.ReadBatch(rows, errors);
    EXPECT_TRUE(n) << n.error().ToString();
    if (!n || *n == 0) break;
    for (size_t i = 0; i < rows.rows(); ++i) {
      out.emplace_back(
          std::string(rows.CellText(i, 0, scratch)),
          rows.IsNull(i, 1) ? std::nullopt : std::optional<std::string>(rows.Cell(i, 1)));
    }
  }
  EXPECT_TRUE(errors.errors.empty());
  return out;
}

TEST(ParquetArchiveTest, BatchesAreCopiedSoTheCallerMayReuseThem) {
  TempDir dir;
  auto archive = ParquetArchive::Start(dir.path(), "in.csv", Columns(), "hash");
  ASSERT_TRUE(archive) << archive.error().ToString();
  Batch batch;
  batch.Reset(Columns());
  std::string text;  // the strings' bytes, overwritten after each Write
  for (int b = 0; b < 50; ++b) {
    batch.Clear();
    text.assign(100, static_cast<char>('a' + b % 26));
    for (int r = 0; r < 100; ++r) {
      batch.columns()[0].AppendInt(b * 100 + r);
      if (r % 7 == 3) {
        batch.columns()[1].AppendNull();
      } else {
        batch.columns()[1].AppendString(std::string_view(text).substr(0, 1 + r % 5));
      }
      batch.FinishRow(static_cast<uint64_t>(b * 100 + r + 1));
    }
    ASSERT_TRUE((*archive)->Write(batch).ok());
    text.assign(100, '#');
  }
  ASSERT_TRUE((*archive)->Drain().ok());
  auto path = (*archive)->Finish();
  ASSERT_TRUE(path) << path.error().ToString();
  archive->reset();

  const auto rows = ReadArchive(*path);
  ASSERT_EQ(rows.size(), 5000u);
  for (size_t seen = 0; seen < rows.size(); ++seen) {
    const int b = static_cast<int>(seen / 100);
    const int r = static_cast<int>(seen % 100);
    EXPECT_EQ(rows[seen].first, std::to_string(seen));
    if (r % 7 == 3) {
      EXPECT_FALSE(rows[seen].second) << "row " << seen;
    } else {
      EXPECT_EQ(rows[seen].second, std::string(1 + r % 5, static_cast<char>('a' + b % 26)))
          << "row " << seen;
    }
  }
}

// After Drain the thread writes the footer and syncs while the caller goes on
// (the load commits); nothing is under the final name until Finish, which waits
// for the thread and renames; no row may be written after Drain.
TEST(ParquetArchiveTest, DrainEndsTheRowsAndFinishPublishesTheCompletedFile) {
  TempDir dir;
  auto archive = ParquetArchive::Start(dir.path(), "in.csv", Columns(), "hash");
  ASSERT_TRUE(archive);
  Batch batch;
  batch.Reset(Columns());
  for (int r = 0; r < 3000; ++r) {
    batch.columns()[0].AppendInt(r % 4);  // a dictionary column
    batch.columns()[1].AppendString(r % 2 == 0 ? "even" : "odd");
    batch.FinishRow(static_cast<uint64_t>(r + 1));
  }
  for (int b = 0; b < 4; ++b) ASSERT_TRUE((*archive)->Write(batch).ok());
  ASSERT_TRUE((*archive)->Drain().ok());
  EXPECT_EQ((*archive)->Write(batch).code(), StatusCode::kInternal);
  EXPECT_FALSE(std::filesystem::exists(dir / "in.parquet"));
  auto path = (*archive)->Finish();
  ASSERT_TRUE(path) << path.error().ToString();
  EXPECT_EQ(*path, dir / "in.parquet");
  archive->reset();
  EXPECT_TRUE(std::filesystem::is_empty(dir / kPendingFolder));

  const auto rows = ReadArchive(*path);
  ASSERT_EQ(rows.size(), 12000u);
  for (size_t seen = 0; seen < rows.size(); ++seen) {
    const size_t r = seen % 3000;
    EXPECT_EQ(rows[seen].first, std::to_string(r % 4));
    EXPECT_EQ(rows[seen].second, r % 2 == 0 ? "even" : "odd");
  }
}

// Dropped with rows queued, or after Drain while its thread may still be writing
// the footer or syncing: nothing is left, in the pending folder or beside it.
TEST(ParquetArchiveTest, ADroppedArchiveLeavesNothing) {
  for (bool drained : {false, true}) {
    TempDir dir;
    {
      auto archive = ParquetArchive::Start(dir.path(), "in.csv", Columns(), "hash");
      ASSERT_TRUE(archive);
      Batch batch;
      batch.Reset(Columns());
      for (int r = 0; r < 1000; ++r) {
        batch.columns()[0].AppendInt(r);
        batch.columns()[1].AppendString("x");
        batch.FinishRow(static_cast<uint64_t>(r + 1));
      }
      for (int b = 0; b < 5; ++b) ASSERT_TRUE((*archive)->Write(batch).ok());
      if (drained) ASSERT_TRUE((*archive)->Drain().ok());
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir / kPendingFolder)) << drained;
    EXPECT_FALSE(std::filesystem::exists(dir / "in.parquet")) << drained;
  }
}

TEST(ParquetArchiveTest, ABatchOfOtherColumnsIsRefused) {
  TempDir dir;
  auto archive = ParquetArchive::Start(dir.path(), "in.csv", Columns(), "hash");
  ASSERT_TRUE(archive);
  Batch batch;
  batch.Reset({Columns()[0]});
  EXPECT_EQ((*archive)->Write(batch).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace sluice
