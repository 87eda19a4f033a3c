// Column's in-place rows (Grow, Set*, SetNull), as the Validator writes them:
// the same vectors as appending value by value.
#include "core/batch.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

Column Of(ColumnType type) {
  Column c;
  c.def.name = "c";
  c.def.type = type;
  return c;
}

TEST(ColumnTest, GrowThenSetMatchesAppending) {
  Column grown = Of(ColumnType::kInteger);
  Column appended = Of(ColumnType::kInteger);
  appended.AppendInt(5);
  grown.AppendInt(5);
  ASSERT_EQ(grown.Grow(3), 1u);
  grown.SetInt(1, 7);
  grown.SetInt(2, 9);
  grown.SetNull(2);  // a value set, then the row turns out null: back to zero
  appended.AppendInt(7);
  appended.AppendNull();
  appended.AppendInt(0);
  EXPECT_EQ(grown.ints, appended.ints);
  EXPECT_EQ(grown.nulls, appended.nulls);
  EXPECT_TRUE(grown.floats.empty());
  EXPECT_TRUE(grown.strings.empty());
}

TEST(ColumnTest, AppendNullsMatchesAppendNullOneByOne) {
  for (ColumnType type : {ColumnType::kInteger, ColumnType::kFloat, ColumnType::kString}) {
    Column many = Of(type);
    Column one_by_one = Of(type);
    many.AppendNull();
    one_by_one.AppendNull();
    many.AppendNulls(3);
    for (int i = 0; i < 3; ++i) one_by_one.AppendNull();
    EXPECT_EQ(many.nulls, one_by_one.nulls);
    EXPECT_EQ(many.nulls, std::vector<uint8_t>(4, 1));
    EXPECT_EQ(many.ints, one_by_one.ints);
    EXPECT_EQ(many.floats, one_by_one.floats);
    EXPECT_EQ(many.strings, one_by_one.strings);
  }
}

TEST(ColumnTest, GrowFillsOnlyTheTypesVector) {
  Column f = Of(ColumnType::kFloat);
  ASSERT_EQ(f.Grow(2), 0u);
  f.SetFloat(0, 1.5);
  f.SetNull(1);
  EXPECT_EQ(f.floats, (std::vector<double>{1.5, 0}));
  EXPECT_EQ(f.nulls, (std::vector<uint8_t>{0, 1}));
  EXPECT_TRUE(f.ints.empty());

  Column s = Of(ColumnType::kString);
  ASSERT_EQ(s.Grow(2), 0u);
  s.SetString(0, "x");
  s.SetString(1, "y");
  s.SetNull(1);
  EXPECT_EQ(s.strings[0], "x");
  EXPECT_TRUE(s.strings[1].empty());
  EXPECT_FALSE(s.IsNull(0));
  EXPECT_TRUE(s.IsNull(1));
  EXPECT_TRUE(s.ints.empty());

  Column t = Of(ColumnType::kTimestamp);
  ASSERT_EQ(t.Grow(1), 0u);
  EXPECT_EQ(t.ints, (std::vector<int64_t>{0}));
  EXPECT_EQ(t.nulls, (std::vector<uint8_t>{0}));
}

}  // namespace
}  // namespace sluice
