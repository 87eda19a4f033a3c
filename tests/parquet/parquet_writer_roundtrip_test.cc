// ParquetWriter read back by sluice's own reader (ParquetFile, ColumnReader): the
// footer as written (schema, logical types, row groups cut at the row limit,
// created_by) and every cell's text, through dictionary and plain pages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/text_batch.h"
#include "parquet/column_reader.h"
#include "parquet/parquet_file.h"
#include "parquet/parquet_writer.h"
#include "parquet/string_file.h"

namespace sluice::parquet {
namespace {

using Cell = std::optional<std::string>;

std::vector<ColumnDef> Columns() {
  return {{"name", ColumnType::kString, true}, {"n", ColumnType::kInteger, false},
          {"x", ColumnType::kFloat, true},     {"ok", ColumnType::kBoolean, true},
          {"day", ColumnType::kDate, true},    {"at", ColumnType::kTimestamp, true}};
}

// Ten rows; the expected text of each cell as sluice's reader gives it.
std::vector<std::vector<Cell>> Expected() {
  std::vector<std::vector<Cell>> rows;
  for (int r = 0; r < 10; ++r) {
    const bool null = r % 4 == 3;
    rows.push_back(
        {null ? Cell() : Cell(r % 2 == 0 ? "even" : "ödd"), std::to_string(r - 5),
         null ? Cell() : Cell(r % 2 == 0 ? "1.5" : "0.25"),
         null ? Cell() : Cell(r % 3 == 0 ? "true" : "false"),
         null ? Cell() : Cell(r % 2 == 0 ? "1970-01-01" : "1969-12-31"),
         null ? Cell()
              : Cell(r % 2 == 0 ? "1970-01-01T00:00:00.000001Z" : "1969-12-31T23:59:59.999999Z")});
  }
  return rows;
}

std::string WriteTenRows(const ParquetWriterOptions& options) {
  std::string file;
  StringOutput out(&file);
  auto writer = ParquetWriter::Open(Columns(), options, &out);
  EXPECT_TRUE(writer.has_value());
  Batch batch;
  batch.Reset(Columns());
  for (int r = 0; r < 10; ++r) {
    auto& c = batch.columns();
    if (r % 4 == 3) {
      for (int k : {0, 2, 3, 4, 5}) c[k].AppendNull();
    } else {
      c[0].AppendString(r % 2 == 0 ? "even" : "ödd");
      c[2].AppendFloat(r % 2 == 0 ? 1.5 : 0.25);
      c[3].AppendInt(r % 3 == 0 ? 1 : 0);
      c[4].AppendInt(r % 2 == 0 ? 0 : -1);
      c[5].AppendInt(r % 2 == 0 ? 1 : -1);
    }
    c[1].AppendInt(r - 5);
    batch.FinishRow(r + 1);
  }
  EXPECT_TRUE((*writer)->Write(batch).ok());
  EXPECT_TRUE((*writer)->Close().ok());
  return file;
}

void ExpectReadsBack(const std::string& bytes, size_t expected_groups) {
  StringFile input(bytes);
  auto file = ParquetFile::Open(input);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  const FileMetaData& md = (*file)->metadata();
  EXPECT_EQ(md.num_rows, 10);
  EXPECT_EQ(md.created_by.rfind("sluice version ", 0), 0u) << md.created_by;
  ASSERT_EQ(md.row_groups.size(), expected_groups);

  const auto& leaves = (*file)->columns();
  ASSERT_EQ(leaves.size(), 6u);
  EXPECT_EQ(leaves[0].element.logical.kind, LogicalKind::kString);
  EXPECT_EQ(leaves[0].max_def, 1);
  EXPECT_EQ(leaves[1].max_def, 0) << "a non-nullable column is REQUIRED";
  EXPECT_EQ(leaves[4].element.logical.kind, LogicalKind::kDate);
  EXPECT_EQ(leaves[5].element.logical.kind, LogicalKind::kTimestamp);
  EXPECT_EQ(leaves[5].element.logical.unit, TimeUnit::kMicros);
  EXPECT_TRUE(leaves[5].element.logical.adjusted_to_utc);

  const auto expected = Expected();
  size_t row = 0;
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    const RowGroup& group = md.row_groups[g];
    TextBatch text;
    std::vector<std::string> names;
    for (const auto& leaf : leaves) names.push_back(leaf.name);
    text.SetColumns(names);
    std::vector<std::vector<Span>> cells(leaves.size(), std::vector<Span>(group.num_rows));
    for (size_t c = 0; c < leaves.size(); ++c) {
      ColumnReader reader(input, leaves[c], *group.columns[c].meta, group.num_rows, g);
      ASSERT_TRUE(reader.Open((*file)->data_end()).ok());
      std::vector<BadValue> bad;
      Status status = reader.Read(group.num_rows, text, cells[c].data(), bad);
      ASSERT_TRUE(status.ok()) << status.ToString();
      EXPECT_TRUE(bad.empty());
    }
    for (int64_t r = 0; r < group.num_rows; ++r, ++row) {
      ASSERT_LT(row, expected.size());
      for (size_t c = 0; c < leaves.size(); ++c) {
        const Span span = cells[c][r];
        const Cell got = span.is_null() ? Cell() : Cell(std::string(text.View(span)));
        EXPECT_EQ(got, expected[row][c]) << "row " << row << " column " << leaves[c].name;
      }
    }
  }
  EXPECT_EQ(row, 10u);
}

TEST(ParquetWriterRoundTripTest, RowGroupsEndAtTheRowLimit) {
  ParquetWriterOptions options;
  options.row_group_rows = 3;
  const std::string bytes = WriteTenRows(options);
  StringFile input(bytes);
  auto file = ParquetFile::Open(input);
  ASSERT_TRUE(file.has_value());
  std::vector<int64_t> sizes;
  for (const RowGroup& g : (*file)->metadata().row_groups) sizes.push_back(g.num_rows);
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 3, 1}));
  ExpectReadsBack(bytes, 4);
}

TEST(ParquetWriterRoundTripTest, KeyValueMetadataReadsBack) {
  ParquetWriterOptions options;
  options.key_value = {{"sluice.source_hash", "0123abcd"}, {"other", ""}};
  const std::string bytes = WriteTenRows(options);
  StringFile input(bytes);
  auto file = ParquetFile::Open(input);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ((*file)->metadata().key_value, options.key_value);
  ExpectReadsBack(bytes, 1);
}

TEST(ParquetWriterRoundTripTest, DictionaryAndPlainPagesEveryCodec) {
  for (Codec codec : {Codec::kZstd, Codec::kSnappy, Codec::kGzip, Codec::kUncompressed}) {
    SCOPED_TRACE(CodecName(codec));
    for (bool dictionary : {true, false}) {
      ParquetWriterOptions options;
      options.codec = codec;
      options.dictionary = dictionary;
      options.page_bytes = 16;  // a page every few values
      ExpectReadsBack(WriteTenRows(options), 1);
    }
  }
}

// The data pages of column chunk `column` of row group 0: their value counts.
std::vector<int32_t> PageValues(const std::string& bytes, size_t column) {
  StringFile input(bytes);
  auto file = ParquetFile::Open(input);
  EXPECT_TRUE(file.has_value());
  if (!file.has_value()) return {};
  const ColumnMetaData& meta = *(*file)->metadata().row_groups[0].columns[column].meta;
  std::vector<int32_t> values;
  int64_t seen = 0;
  uint64_t at = static_cast<uint64_t>(meta.data_page_offset);
  while (seen < meta.num_values) {
    auto header = ParsePageHeader(std::string_view(bytes).substr(at), at);
    EXPECT_TRUE(header.has_value());
    if (!header.has_value() || !header->data_page) return values;
    values.push_back(header->data_page->num_values);
    seen += header->data_page->num_values;
    at += header->header_size + static_cast<uint64_t>(header->compressed_page_size);
  }
  return values;
}

// `columns` nullable integer columns of `rows` rows each, written with `options`.
std::string WriteIntegers(size_t columns, size_t rows, const ParquetWriterOptions& options) {
  std::vector<ColumnDef> defs;
  for (size_t c = 0; c < columns; ++c)
    defs.push_back({"c" + std::to_string(c), ColumnType::kInteger, true});
  std::string file;
  StringOutput out(&file);
  auto writer = ParquetWriter::Open(defs, options, &out);
  EXPECT_TRUE(writer.has_value());
  Batch batch;
  batch.Reset(defs);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < columns; ++c) batch.columns()[c].AppendInt(static_cast<int64_t>(r * c));
    batch.FinishRow(r + 1);
  }
  EXPECT_TRUE((*writer)->Write(batch).ok());
  EXPECT_TRUE((*writer)->Close().ok());
  return file;
}

TEST(ParquetWriterRoundTripTest, WideTablesShareTheOpenPageBudget) {
  // 200 columns share 200 x 9 KiB of open pages: each column's pages close at
  // 9 KiB (1,024 values of 9 bytes: the value and its definition level), where a
  // narrow table's close at page_bytes. Without the budget a chunk of a wide
  // table is one page holding the whole row group uncompressed.
  ParquetWriterOptions options;
  options.open_page_bytes = 200 * 9216;
  // PLAIN and DELTA pages only: a dictionary closes a high-cardinality column's
  // first page early (parquet_writer_encodings_test.cc).
  options.dictionary = false;
  const std::string wide = WriteIntegers(200, 5000, options);
  for (size_t column : {size_t{0}, size_t{199}}) {
    const std::vector<int32_t> pages = PageValues(wide, column);
    EXPECT_EQ(pages, (std::vector<int32_t>{1024, 1024, 1024, 1024, 904})) << column;
  }
  const std::string narrow = WriteIntegers(2, 5000, options);
  EXPECT_EQ(PageValues(narrow, 1), std::vector<int32_t>{5000});
}

TEST(ParquetWriterRoundTripTest, OpenPagesOfManyColumnsKeepAMinimumSize) {
  ParquetWriterOptions options;
  options.open_page_bytes = 1000;  // far below 4 KiB a column
  options.dictionary = false;
  const std::string wide = WriteIntegers(50, 1000, options);
  // 4 KiB pages: 456 values of 9 bytes reach 4,104 bytes.
  EXPECT_EQ(PageValues(wide, 7), (std::vector<int32_t>{456, 456, 88}));
}

}  // namespace
}  // namespace sluice::parquet
