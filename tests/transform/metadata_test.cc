#include "transform/metadata.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(MetadataOptionsTest, ParsesKnownNames) {
  Result<MetadataOptions> all = ParseMetadataOptions({"file", "line", "loaded_at"});
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->file && all->line && all->loaded_at);

  Result<MetadataOptions> some = ParseMetadataOptions({"line"});
  ASSERT_TRUE(some.has_value());
  EXPECT_FALSE(some->file);
  EXPECT_TRUE(some->line);
  EXPECT_FALSE(some->loaded_at);
  EXPECT_TRUE(some->any());

  Result<MetadataOptions> none = ParseMetadataOptions({});
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->any());
}

TEST(MetadataOptionsTest, RejectsUnknownNames) {
  Result<MetadataOptions> bad = ParseMetadataOptions({"file", "ingested_at"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(),
            "unknown metadata column \"ingested_at\" (valid: file, line, loaded_at)");
}

TEST(MetadataColumnsTest, InFixedOrderAndNotNull) {
  MetadataOptions all{true, true, true};
  EXPECT_EQ(MetadataColumns(all),
            (std::vector<ColumnDef>{{"_file", ColumnType::kString, false},
                                    {"_line", ColumnType::kInteger, false},
                                    {"_loaded_at", ColumnType::kTimestamp, false}}));
  MetadataOptions line_and_time{false, true, true};
  EXPECT_EQ(MetadataColumns(line_and_time),
            (std::vector<ColumnDef>{{"_line", ColumnType::kInteger, false},
                                    {"_loaded_at", ColumnType::kTimestamp, false}}));
  EXPECT_TRUE(MetadataColumns(MetadataOptions{}).empty());
}

TEST(FillMetadataTest, ExtendsTrailingColumnsToEveryRow) {
  MetadataOptions options{true, true, true};
  std::vector<ColumnDef> defs = {{"v", ColumnType::kInteger, true}};
  for (const ColumnDef& d : MetadataColumns(options)) defs.push_back(d);
  Batch batch;
  batch.Reset(defs);
  const std::string file = "/landing/orders-1.csv";
  // What validation leaves behind: schema columns filled, metadata empty.
  for (uint64_t line : {2, 3, 7}) {
    batch.columns()[0].AppendInt(static_cast<int64_t>(line) * 10);
    batch.FinishRow(line);
  }
  FillMetadata(options, file, 1714555800000000, batch);
  const auto& c = batch.columns();
  EXPECT_EQ(c[0].ints, (std::vector<int64_t>{20, 30, 70}));
  ASSERT_EQ(c[1].strings.size(), 3u);
  EXPECT_EQ(c[1].strings[2], file);
  EXPECT_EQ(c[1].strings[0].data(), file.data());  // a view, not a copy
  EXPECT_EQ(c[1].nulls, (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(c[2].ints, (std::vector<int64_t>{2, 3, 7}));
  EXPECT_EQ(c[3].ints, (std::vector<int64_t>(3, 1714555800000000)));

  // More rows later in the same batch: only the new rows are filled.
  batch.columns()[0].AppendInt(90);
  batch.FinishRow(9);
  FillMetadata(options, file, 1714555800000000, batch);
  EXPECT_EQ(c[2].ints, (std::vector<int64_t>{2, 3, 7, 9}));
  EXPECT_EQ(c[1].nulls.size(), 4u);
  EXPECT_EQ(c[3].nulls.size(), 4u);
}

TEST(FillMetadataTest, OnlyTheChosenColumns) {
  MetadataOptions options{false, true, false};
  Batch batch;
  batch.Reset({{"v", ColumnType::kString, true}, {"_line", ColumnType::kInteger, false}});
  batch.columns()[0].AppendString("x");
  batch.FinishRow(42);
  FillMetadata(options, "ignored", 0, batch);
  EXPECT_EQ(batch.columns()[1].ints, (std::vector<int64_t>{42}));
  EXPECT_EQ(batch.columns()[0].strings.size(), 1u);
}

}  // namespace
}  // namespace sluice
