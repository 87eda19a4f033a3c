// ColumnReader on column chunks built by hand: levels and nulls, dictionaries,
// CRCs, v2 pages, and damage named with its structure and offset.
#include "parquet/column_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <optional>

#include "parquet/rle.h"
#include "parquet/string_file.h"
#include "parquet/thrift_writer.h"

namespace sluice::parquet {
namespace {

std::string I32s(std::initializer_list<int32_t> values) {
  std::string out;
  for (int32_t v : values) out.append(reinterpret_cast<const char*>(&v), 4);
  return out;
}

// Definition levels (bit width 1) as a v1 page carries them: length, then runs.
std::string V1Levels(std::initializer_list<uint32_t> levels) {
  RleBitPackedEncoder enc(1);
  for (uint32_t l : levels) enc.Put(l);
  std::string runs;
  enc.Flush(runs);
  uint32_t n = static_cast<uint32_t>(runs.size());
  return std::string(reinterpret_cast<const char*>(&n), 4) + runs;
}

struct PageSpec {
  int type = 0;  // DATA_PAGE
  int32_t num_values = 0;
  int encoding = 0;  // PLAIN
  std::string body;
  bool crc = false;
  bool corrupt_crc = false;
};

std::string Page(const PageSpec& p) {
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, p.type);
  w.FieldI32(2, static_cast<int32_t>(p.body.size()));
  w.FieldI32(3, static_cast<int32_t>(p.body.size()));
  if (p.crc) {
    uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(p.body.data()), static_cast<uInt>(p.body.size())));
    w.FieldI32(4, static_cast<int32_t>(crc ^ (p.corrupt_crc ? 1u : 0u)));
  }
  if (p.type == 2) {
    w.BeginStructField(7);
    w.FieldI32(1, p.num_values);
    w.FieldI32(2, 0);
    w.EndStruct();
  } else {
    w.BeginStructField(5);
    w.FieldI32(1, p.num_values);
    w.FieldI32(2, p.encoding);
    w.FieldI32(3, 3);  // RLE levels
    w.FieldI32(4, 3);
    w.EndStruct();
  }
  w.EndStruct();
  return buf + p.body;
}

struct Chunk {
  LeafColumn leaf;
  ColumnMetaData meta;
  std::unique_ptr<StringFile> file;
};

Chunk MakeChunk(const std::string& pages, bool optional, bool has_dictionary = false) {
  Chunk c;
  c.leaf.name = "x";
  c.leaf.path = {"x"};
  c.leaf.element.name = "x";
  c.leaf.element.type = static_cast<int32_t>(Type::kInt32);
  c.leaf.max_def = optional ? 1 : 0;
  c.meta.type = Type::kInt32;
  c.meta.data_page_offset = 4;
  if (has_dictionary) c.meta.dictionary_page_offset = 4;
  c.meta.total_compressed_size = static_cast<int64_t>(pages.size());
  c.file = std::make_unique<StringFile>("PAR1" + pages + "footer..");
  return c;
}

// Reads `rows` cells; each is its text or nullopt for null.
Result<std::vector<std::optional<std::string>>> ReadColumn(Chunk& c, size_t rows,
                                                           size_t per_read = 2) {
  ColumnReader reader(*c.file, c.leaf, c.meta, static_cast<int64_t>(rows), 0);
  RETURN_IF_ERROR(reader.Open(c.file->size() - 8));
  std::vector<std::optional<std::string>> out;
  TextBatch batch;
  batch.SetColumns({"x"});
  std::vector<BadValue> bad;
  for (size_t done = 0; done < rows;) {
    size_t n = std::min(per_read, rows - done);
    std::vector<Span> cells(n);
    RETURN_IF_ERROR(reader.Read(n, batch, cells.data(), bad));
    for (const Span& s : cells) {
      out.push_back(s.is_null() ? std::nullopt : std::optional<std::string>(batch.View(s)));
    }
    done += n;
  }
  return out;
}

using Cells = std::vector<std::optional<std::string>>;

TEST(ColumnReaderTest, NullsFromDefinitionLevelsAcrossPages) {
  std::string pages = Page({.num_values = 3, .body = V1Levels({1, 0, 1}) + I32s({7, -8})}) +
                      Page({.num_values = 2, .body = V1Levels({0, 1}) + I32s({9})});
  Chunk c = MakeChunk(pages, true);
  auto got = ReadColumn(c, 5);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(*got, (Cells{"7", std::nullopt, "-8", std::nullopt, "9"}));
}

TEST(ColumnReaderTest, DictionaryPageAndIndices) {
  std::string indices(1, '\x02');  // bit width 2
  RleBitPackedEncoder enc(2);
  for (uint32_t i : {2, 0, 1, 2}) enc.Put(i);
  enc.Flush(indices);
  std::string pages = Page({.type = 2, .num_values = 3, .body = I32s({10, 20, 30})}) +
                      Page({.num_values = 4, .encoding = 8, .body = indices, .crc = true});
  Chunk c = MakeChunk(pages, false, true);
  auto got = ReadColumn(c, 4, 3);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(*got, (Cells{"30", "10", "20", "30"}));
}

TEST(ColumnReaderTest, ACrcMismatchNamesThePageAndItsOffset) {
  std::string pages =
      Page({.num_values = 2, .body = I32s({1, 2}), .crc = true, .corrupt_crc = true});
  Chunk c = MakeChunk(pages, false);
  auto got = ReadColumn(c, 2);
  ASSERT_FALSE(got);
  EXPECT_EQ(
      got.error().message(),
      "page of column chunk 'x' of row group 0 at byte 4: CRC mismatch (the page is corrupt)");
}

TEST(ColumnReaderTest, FewerValuesThanLevelsIsDamage) {
  std::string pages = Page({.num_values = 3, .body = I32s({1, 2})});
  Chunk c = MakeChunk(pages, false);
  auto got = ReadColumn(c, 3);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("page of column chunk 'x' of row group 0 at byte 4"),
            std::string::npos)
      << got.error().message();
}

TEST(ColumnReaderTest, AChunkThatEndsBeforeItsRowsIsDamage) {
  std::string pages = Page({.num_values = 2, .body = I32s({1, 2})});
  Chunk c = MakeChunk(pages, false);
  auto got = ReadColumn(c, 3);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("1 of the row group's rows unread"), std::string::npos)
      << got.error().message();
}

TEST(ColumnReaderTest, DictionaryIndicesWithoutADictionaryAreRefused) {
  std::string pages =
      Page({.num_values = 1, .encoding = 8, .body = std::string("\x01\x02\x00", 3)});
  Chunk c = MakeChunk(pages, false);
  auto got = ReadColumn(c, 1);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("no dictionary page"), std::string::npos);
}

TEST(ColumnReaderTest, AChunkOutsideTheFileIsRefusedBeforeReading) {
  Chunk c = MakeChunk(Page({.num_values = 1, .body = I32s({1})}), false);
  c.meta.total_compressed_size = 1 << 30;
  ColumnReader reader(*c.file, c.leaf, c.meta, 1, 3);
  Status s = reader.Open(c.file->size() - 8);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_TRUE(s.message().starts_with("column chunk 'x' of row group 3 at byte 4: "))
      << s.message();
}

}  // namespace
}  // namespace sluice::parquet
