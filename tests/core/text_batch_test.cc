// TextBatch's whole-column rows (AppendRows, MutableCells, RemoveRows), as the
// Parquet reader fills them.
#include "core/text_batch.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sluice
