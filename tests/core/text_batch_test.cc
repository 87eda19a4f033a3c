// TextBatch's whole-column rows (AppendRows, MutableCells, RemoveRows), as the
// Parquet reader fills them, and whole rows (AddRow), as the CSV reader adds them.
#include "core/text_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

TEST(TextBatchTest, AppendRowsMakesNullRowsThatColumnsFill) {
  TextBatch batch;
  batch.SetColumns({"a", "b"});
  batch.SetTyped(1, ColumnType::kInteger);
  batch.AppendRows(3, 10);
  ASSERT_EQ(batch.rows(), 3u);
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(batch.Line(r), 10 + r);
    EXPECT_TRUE(batch.IsNull(r, 0));
    EXPECT_TRUE(batch.IsNull(r, 1));
    EXPECT_EQ(batch.Typed(1)->ints[r], 0);
    EXPECT_EQ(batch.Raw(r), "");
  }
  batch.MutableCells(0)[1] = batch.Append("x");
  batch.MutableCells(1)[2] = batch.Append("7");
  batch.MutableInts(1)[2] = 7;
  EXPECT_EQ(batch.Cell(1, 0), "x");
  EXPECT_EQ(batch.Cell(2, 1), "7");
  EXPECT_EQ(batch.Typed(1)->ints[2], 7);
}

TEST(TextBatchTest, RemoveRowsKeepsTheOthersInOrder) {
  TextBatch batch;
  batch.SetColumns({"a", "f"});
  batch.SetTyped(1, ColumnType::kFloat);
  batch.AppendRows(6, 1);
  for (size_t r = 0; r < 6; ++r) {
    batch.MutableCells(0)[r] = batch.Append(std::to_string(r));
    batch.MutableFloats(1)[r] = static_cast<double>(r) / 2;
  }
  batch.RemoveRows({0, 2, 3, 5});
  ASSERT_EQ(batch.rows(), 2u);
  EXPECT_EQ(batch.Cell(0, 0), "1");
  EXPECT_EQ(batch.Cell(1, 0), "4");
  EXPECT_EQ(batch.Line(0), 2u);
  EXPECT_EQ(batch.Line(1), 5u);
  EXPECT_EQ(batch.Typed(1)->floats, (std::vector<double>{0.5, 2.0}));
  batch.RemoveRows({});
  EXPECT_EQ(batch.rows(), 2u);
  // Rows built one at a time still follow.
  batch.StartRow(9, 0, kNullSpan);
  batch.FinishRow();
  EXPECT_EQ(batch.rows(), 3u);
  EXPECT_EQ(batch.Line(2), 9u);
}

// `columns` columns and `rows` rows, each with one cell set (sparse, as JSON keys).
TextBatch SparseRows(size_t columns, size_t rows) {
  TextBatch batch;
  std::vector<std::string> names;
  for (size_t c = 0; c < columns; ++c) names.push_back("c" + std::to_string(c));
  batch.SetColumns(names);
  for (size_t r = 0; r < rows; ++r) {
    batch.StartRow(r + 2, 0, kNullSpan);
    batch.SetCell(r % columns, batch.Append("v"));
    batch.FinishRow();
  }
  return batch;
}

TEST(TextBatchTest, MemoryBytesGrowsWithTheCellCount) {
  // Null cells cost a Span each, as set ones do: a reader bounding memory_bytes
  // cuts a batch of thousands of columns after fewer rows.
  const size_t narrow = SparseRows(1, 300).memory_bytes();
  const size_t wide = SparseRows(1000, 300).memory_bytes();
  EXPECT_GE(wide - narrow, 300 * 999 * sizeof(Span));
  EXPECT_GT(SparseRows(1000, 301).memory_bytes(), SparseRows(500, 301).memory_bytes());
}

TEST(TextBatchTest, MemoryBytesCountsTheCapacityTheNextRowNeeds) {
  // The cell vectors grow by doubling: the 257th row of 1,000 columns makes them
  // hold 512 rows, so a batch of 256 rows counts 512 (the reader checks before
  // each row and stops before the vectors double past its bound).
  const TextBatch batch = SparseRows(1000, 256);
  EXPECT_GE(batch.memory_bytes(), 512 * 1000 * sizeof(Span));
  EXPECT_LT(SparseRows(1000, 255).memory_bytes(), 257 * 1000 * sizeof(Span) + 4096);
}

// AddRow is StartRow, a SetCell per column and FinishRow: the same rows, typed
// columns (zero until set) included.
TEST(TextBatchTest, AddRowGivesTheRowsOfStartRowAndSetCell) {
  TextBatch added;
  TextBatch built;
  for (TextBatch* batch : {&added, &built}) {
    batch->SetColumns({"a", "b", "c"});
    batch->SetTyped(2, ColumnType::kFloat);
  }
  const std::vector<std::vector<std::string>> rows = {
      {"1", "", "x"}, {"", "yy", ""}, {"3", "z", "w"}};
  for (size_t r = 0; r < rows.size(); ++r) {
    for (TextBatch* batch : {&added, &built}) {
      const Span raw = batch->Append("raw" + std::to_string(r));
      std::vector<Span> cells;
      for (const std::string& cell : rows[r]) {
        cells.push_back(cell.empty() ? kNullSpan : batch->Append(cell));
      }
      if (batch == &added) {
        batch->AddRow(r + 2, r * 10, raw, cells.data());
      } else {
        batch->StartRow(r + 2, r * 10, raw);
        for (size_t c = 0; c < cells.size(); ++c) {
          if (!cells[c].is_null()) batch->SetCell(c, cells[c]);
        }
        batch->FinishRow();
      }
    }
  }
  ASSERT_EQ(added.rows(), rows.size());
  ASSERT_EQ(built.rows(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(added.Line(r), built.Line(r));
    EXPECT_EQ(added.Offset(r), built.Offset(r));
    EXPECT_EQ(added.Raw(r), "raw" + std::to_string(r));
    EXPECT_EQ(added.Typed(2)->floats[r], 0.0);
    for (size_t c = 0; c < 3; ++c) {
      EXPECT_EQ(added.IsNull(r, c), rows[r][c].empty()) << r << "," << c;
      EXPECT_EQ(added.IsNull(r, c), built.IsNull(r, c));
      EXPECT_EQ(added.Cell(r, c), rows[r][c]);
      EXPECT_EQ(added.Cell(r, c), built.Cell(r, c));
    }
  }
  ASSERT_EQ(added.Typed(2)->floats.size(), rows.size());
}

}  // namespace
}  // namespace sluice
