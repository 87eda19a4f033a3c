// The writer's choice of encodings: dictionaries for low-cardinality columns of
// every type but boolean (numbers keyed by their bits), a dictionary dropped on
// the chunk's first page when the column has too many distinct values (no
// dictionary page, the page written PLAIN or DELTA_BINARY_PACKED), a dictionary
// given up on a later page (both kinds of page in one chunk), and
// DictionaryBuilder itself. Every file is read back by sluice's reader and must
// give the same text as the same rows written without any dictionary.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/text_batch.h"
#include "parquet/column_reader.h"
#include "parquet/dictionary_builder.h"
#include "parquet/metadata.h"
#include "parquet/parquet_file.h"
#include "parquet/parquet_writer.h"
#include "parquet/rle.h"
#include "parquet/string_file.h"

namespace sluice::parquet {
namespace {

using Cell = std::optional<std::string>;

std::vector<ColumnDef> Columns() {
  return {{"s", ColumnType::kString, true},
          {"i", ColumnType::kInteger, false},
          {"f", ColumnType::kFloat, true},
          {"d", ColumnType::kDate, true},
          {"t", ColumnType::kTimestamp, true}};
}

// Row `r` of a column set whose values repeat with period `distinct` (nulls every
// 7th row of the nullable columns), so `distinct` decides dictionary or not.
// The batch holds views: `storage` keeps the strings until the batch is written.
void AppendRow(Batch& batch, int64_t r, int64_t distinct, std::deque<std::string>& storage) {
  auto& c = batch.columns();
  const int64_t k = r % distinct;
  if (r % 7 == 6) {
    for (int col : {0, 2, 3, 4}) c[col].AppendNull();
  } else {
    storage.push_back("value " + std::to_string(k));
    c[0].AppendString(storage.back());
    // -0.0 and 0.0 are distinct dictionary entries; NaN and infinities are values.
    const double special[] = {-0.0, 0.0, std::numeric_limits<double>::infinity(), -1e300};
    c[2].AppendFloat(k < 4 ? special[k] : static_cast<double>(k) / 8.0);
    c[3].AppendInt(k - distinct / 2);
    c[4].AppendInt(1'700'000'000'000'000 + k * 1'000'003);
  }
  c[1].AppendInt(k * 3 - 100);
  batch.FinishRow(static_cast<uint64_t>(r) + 1);
}

// `rows` rows of period `distinct` (or, past `switch_at`, all distinct).
std::string WriteRows(int64_t rows, int64_t distinct, const ParquetWriterOptions& options,
                      int64_t switch_at = -1) {
  std::string file;
  StringOutput out(&file);
  auto writer = ParquetWriter::Open(Columns(), options, &out);
  EXPECT_TRUE(writer.has_value());
  Batch batch;
  batch.Reset(Columns());
  std::deque<std::string> storage;
  for (int64_t r = 0; r < rows; ++r) {
    AppendRow(batch, r, switch_at >= 0 && r >= switch_at ? rows * 2 : distinct, storage);
    if (batch.rows() == 997) {
      EXPECT_TRUE((*writer)->Write(batch).ok());
      batch.Clear();
      storage.clear();
    }
  }
  EXPECT_TRUE((*writer)->Write(batch).ok());
  EXPECT_TRUE((*writer)->Close().ok());
  return file;
}

// Every cell's text as sluice's reader gives it, column by column.
std::vector<std::vector<Cell>> ReadBack(const std::string& bytes) {
  StringFile input(bytes);
  auto file = ParquetFile::Open(input);
  EXPECT_TRUE(file.has_value()) << file.error().ToString();
  std::vector<std::vector<Cell>> columns((*file)->columns().size());
  for (size_t g = 0; g < (*file)->metadata().row_groups.size(); ++g) {
    const RowGroup& group = (*file)->metadata().row_groups[g];
    for (size_t c = 0; c < columns.size(); ++c) {
      TextBatch text;
      text.SetColumns({(*file)->columns()[c].name});
      std::vector<Span> cells(group.num_rows);
      ColumnReader reader(input, (*file)->columns()[c], *group.columns[c].meta, group.num_rows, g);
      EXPECT_TRUE(reader.Open((*file)->data_end()).ok());
      std::vector<BadValue> bad;
      Status status = reader.Read(group.num_rows, text, cells.data(), bad);
      EXPECT_TRUE(status.ok()) << status.ToString();
      for (const Span& span : cells) {
        columns[c].push_back(span.is_null() ? Cell() : Cell(std::string(text.View(span))));
      }
    }
  }
  return columns;
}

// The data pages' encodings of column `column` in row group 0, in order, and
// whether the chunk has a dictionary page.
struct ChunkLayout {
  bool dictionary_page = false;
  std::vector<int32_t> encodings;
};
ChunkLayout Layout(const std::string& bytes, size_t column) {
  StringFile input(bytes);
  auto file = ParquetFile::Open(input);
  EXPECT_TRUE(file.has_value());
  const ColumnMetaData& meta = *(*file)->metadata().row_groups[0].columns[column].meta;
  ChunkLayout layout;
  layout.dictionary_page = meta.dictionary_page_offset.has_value();
  int64_t seen = 0;
  uint64_t at = static_cast<uint64_t>(meta.dictionary_page_offset.value_or(meta.data_page_offset));
  while (seen < meta.num_values) {
    auto header = ParsePageHeader(std::string_view(bytes).substr(at), at);
    EXPECT_TRUE(header.has_value());
    if (!header.has_value()) break;
    if (header->data_page) {
      layout.encodings.push_back(header->data_page->encoding);
      seen += header->data_page->num_values;
    }
    at += header->header_size + static_cast<uint64_t>(header->compressed_page_size);
  }
  return layout;
}

constexpr int32_t kPlain = static_cast<int32_t>(Encoding::kPlain);
constexpr int32_t kDict = static_cast<int32_t>(Encoding::kRleDictionary);
constexpr int32_t kDelta = static_cast<int32_t>(Encoding::kDeltaBinaryPacked);

ParquetWriterOptions NoDictionary() {
  ParquetWriterOptions options;
  options.dictionary = false;
  return options;
}

TEST(ParquetWriterEncodingsTest, LowCardinalityColumnsOfEveryTypeAreDictionaryEncoded) {
  const std::string bytes = WriteRows(5000, 40, ParquetWriterOptions{});
  for (size_t c = 0; c < Columns().size(); ++c) {
    const ChunkLayout layout = Layout(bytes, c);
    EXPECT_TRUE(layout.dictionary_page) << c;
    EXPECT_EQ(layout.encodings, std::vector<int32_t>{kDict}) << c;
  }
  const auto got = ReadBack(bytes);
  EXPECT_EQ(got, ReadBack(WriteRows(5000, 40, NoDictionary())));
  EXPECT_EQ(got[2][0], Cell("-0")) << "-0.0 keeps its sign through the dictionary";
  EXPECT_EQ(got[2][1], Cell("0"));
}

TEST(ParquetWriterEncodingsTest, WithoutADictionaryIntegersAreDeltaAndFloatsPlain) {
  const std::string bytes = WriteRows(5000, 40, NoDictionary());
  EXPECT_EQ(Layout(bytes, 0).encodings, std::vector<int32_t>{kPlain});
  EXPECT_EQ(Layout(bytes, 1).encodings, std::vector<int32_t>{kDelta});
  EXPECT_EQ(Layout(bytes, 2).encodings, std::vector<int32_t>{kPlain});
  EXPECT_EQ(Layout(bytes, 3).encodings, std::vector<int32_t>{kDelta}) << "dates, INT32";
  EXPECT_EQ(Layout(bytes, 4).encodings, std::vector<int32_t>{kDelta});
  const auto got = ReadBack(bytes);
  ASSERT_EQ(got[1].size(), 5000u);
  EXPECT_EQ(got[1][41], Cell("-97"));
  EXPECT_EQ(got[3][40], Cell("1969-12-12")) << "day -20 of the epoch";
}

TEST(ParquetWriterEncodingsTest, ADictionaryFailingOnTheFirstPageIsDropped) {
  // Every value distinct: no dictionary page, and the first page (which held
  // dictionary indices while it filled) is PLAIN or DELTA like the rest; it
  // closes early, once the dictionary cannot pass however the page fills.
  ParquetWriterOptions options;
  options.page_bytes = 64 << 10;
  const std::string bytes = WriteRows(50'000, 1'000'000, options);
  for (size_t c = 0; c < Columns().size(); ++c) {
    const ChunkLayout layout = Layout(bytes, c);
    EXPECT_FALSE(layout.dictionary_page) << c;
    ASSERT_GE(layout.encodings.size(), 2u) << c;
    for (int32_t e : layout.encodings) EXPECT_EQ(e, c == 0 || c == 2 ? kPlain : kDelta) << c;
  }
  options.dictionary = false;
  EXPECT_EQ(ReadBack(bytes), ReadBack(WriteRows(50'000, 1'000'000, options)));
}

TEST(ParquetWriterEncodingsTest, ADictionaryGivenUpOnALaterPageKeepsItsPages) {
  // 20 values for the first pages, then every value distinct: the chunk holds
  // dictionary pages, then PLAIN or DELTA pages.
  ParquetWriterOptions options;
  options.page_bytes = 4096;
  const std::string bytes = WriteRows(30'000, 20, options, 10'000);
  for (size_t c = 0; c < Columns().size(); ++c) {
    const ChunkLayout layout = Layout(bytes, c);
    EXPECT_TRUE(layout.dictionary_page) << c;
    ASSERT_GE(layout.encodings.size(), 2u);
    EXPECT_EQ(layout.encodings.front(), kDict) << c;
    EXPECT_EQ(layout.encodings.back(), c == 0 || c == 2 ? kPlain : kDelta) << c;
  }
  ParquetWriterOptions plain = options;
  plain.dictionary = false;
  EXPECT_EQ(ReadBack(bytes), ReadBack(WriteRows(30'000, 20, plain, 10'000)));
}

// The writer puts a page's indices as a span: the runs must be those of putting
// them one at a time (runs of one, of seven, of eight and more, across the
// 504-value literal blocks).
TEST(RleEncoderTest, PutOfASpanEncodesAsPutOneByOne) {
  std::vector<uint32_t> values;
  uint64_t x = 12345;
  for (int i = 0; i < 20'000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const int run = (x >> 60) < 12 ? 1 : static_cast<int>((x >> 56) % 20);
    for (int k = 0; k < run; ++k) values.push_back(static_cast<uint32_t>((x >> 33) % 1000));
  }
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{7}, size_t{503}, size_t{504}, size_t{505}, values.size()}) {
    RleBitPackedEncoder one(10), span(10);
    for (size_t i = 0; i < n; ++i) one.Put(values[i]);
    span.Put(std::span<const uint32_t>(values.data(), n));
    std::string a, b;
    one.Flush(a);
    span.Flush(b);
    EXPECT_EQ(a, b) << n;
  }
}

TEST(DictionaryBuilderTest, NumbersByTheirBitsInOrderOfFirstAppearance) {
  DictionaryBuilder d(Type::kDouble);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(d.Insert(std::bit_cast<uint64_t>(0.0)), 0u);
  EXPECT_EQ(d.Insert(std::bit_cast<uint64_t>(-0.0)), 1u);
  EXPECT_EQ(d.Insert(std::bit_cast<uint64_t>(nan)), 2u);
  EXPECT_EQ(d.Insert(std::bit_cast<uint64_t>(0.0)), 0u);
  EXPECT_EQ(d.Insert(std::bit_cast<uint64_t>(nan)), 2u);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.plain().size(), 24u);
  EXPECT_EQ(d.number(1), std::bit_cast<uint64_t>(-0.0));
}

TEST(DictionaryBuilderTest, GrowsAndKeepsEveryIndex) {
  DictionaryBuilder ints(Type::kInt32);
  DictionaryBuilder strings(Type::kByteArray);
  for (int round = 0; round < 2; ++round) {
    for (uint32_t i = 0; i < 20'000; ++i) {
      // Sequential and strided keys, the patterns a weak hash clusters.
      ASSERT_EQ(ints.Insert(static_cast<uint64_t>(static_cast<int64_t>(i) * 4096 - 7)), i);
      ASSERT_EQ(strings.Insert("key " + std::to_string(i)), i);
    }
  }
  EXPECT_EQ(ints.size(), 20'000u);
  EXPECT_EQ(ints.plain().size(), 80'000u) << "INT32 entries take 4 bytes";
  EXPECT_EQ(static_cast<int64_t>(ints.number(0)), -7);
  EXPECT_EQ(strings.string(12'345), "key 12345");
  EXPECT_EQ(strings.Insert(""), 20'000u);
  EXPECT_EQ(strings.Insert(std::string_view("\0", 1)), 20'001u) << "a NUL byte is not empty";
  EXPECT_EQ(strings.string(20'000), "");
  strings.Clear();
  EXPECT_TRUE(strings.empty());
  EXPECT_EQ(strings.Insert("key 5"), 0u);
}

}  // namespace
}  // namespace sluice::parquet
