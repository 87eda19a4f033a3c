// ColumnReader on column chunks built by hand: levels and nulls, dictionaries,
// CRCs, v2 pages, and damage named with its structure and offset.
#include "parquet/column_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <optional>

#include "parquet/codec.h"
#include "parquet/delta.h"
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
std::string V1LevelsOf(const std::vector<uint32_t>& levels) {
  RleBitPackedEncoder enc(1);
  enc.Put(levels);
  std::string runs;
  enc.Flush(runs);
  uint32_t n = static_cast<uint32_t>(runs.size());
  return std::string(reinterpret_cast<const char*>(&n), 4) + runs;
}

std::string V1Levels(std::initializer_list<uint32_t> levels) {
  return V1LevelsOf(std::vector<uint32_t>(levels));
}

struct PageSpec {
  int type = 0;  // DATA_PAGE
  int32_t num_values = 0;
  int encoding = 0;  // PLAIN
  std::string body;
  bool crc = false;
  bool corrupt_crc = false;
  std::string stored;  // the body as stored, when compressed (empty: body itself)
};

std::string Page(const PageSpec& p) {
  const std::string& stored = p.stored.empty() ? p.body : p.stored;
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, p.type);
  w.FieldI32(2, static_cast<int32_t>(p.body.size()));
  w.FieldI32(3, static_cast<int32_t>(stored.size()));
  if (p.crc) {
    uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(stored.data()), static_cast<uInt>(stored.size())));
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
  return buf + stored;
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

// A zstd page of `n` pseudo-random INT32s (barely compressible, so its body
// spans several of the reader's 1 MiB pieces), and the values' text.
struct LargePage {
  std::string body;
  std::string stored;
  Cells cells;
};
LargePage LargeZstdPage(size_t n) {
  LargePage p;
  uint32_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    int32_t v = static_cast<int32_t>(x);
    p.body.append(reinterpret_cast<const char*>(&v), 4);
    p.cells.push_back(std::to_string(v));
  }
  EXPECT_TRUE(Compress(Codec::kZstd, p.body, p.stored, 1).ok());
  return p;
}

TEST(ColumnReaderTest, ALargeCompressedPageIsReadInPiecesWithItsCrc) {
  LargePage big = LargeZstdPage(700000);
  ASSERT_GT(big.stored.size(), size_t{2} << 20);  // three pieces at least
  std::string small_stored;
  const std::string small = I32s({5, 6});
  ASSERT_TRUE(Compress(Codec::kZstd, small, small_stored, 1).ok());
  std::string pages =
      Page({.num_values = 700000, .body = big.body, .crc = true, .stored = big.stored}) +
      Page({.num_values = 2, .body = small, .crc = true, .stored = small_stored});
  Chunk c = MakeChunk(pages, false);
  c.meta.codec = Codec::kZstd;
  auto got = ReadColumn(c, 700002, 65536);
  ASSERT_TRUE(got) << got.error().ToString();
  Cells want = big.cells;
  want.push_back("5");
  want.push_back("6");
  EXPECT_TRUE(*got == want);
}

TEST(ColumnReaderTest, ALargeCompressedPageWithABadCrcOrStreamIsDamage) {
  LargePage big = LargeZstdPage(700000);
  // The CRC is checked over every piece, before the stream's own verdict.
  Chunk c = MakeChunk(Page({.num_values = 700000,
                            .body = big.body,
                            .crc = true,
                            .corrupt_crc = true,
                            .stored = big.stored}),
                      false);
  c.meta.codec = Codec::kZstd;
  auto got = ReadColumn(c, 700000, 65536);
  ASSERT_FALSE(got);
  EXPECT_EQ(
      got.error().message(),
      "page of column chunk 'x' of row group 0 at byte 4: CRC mismatch (the page is corrupt)");
  // Without a CRC, a stream damaged in its second piece is named by its page.
  std::string damaged = big.stored;
  for (size_t i = (size_t{3} << 19); i < (size_t{3} << 19) + 4096; ++i) damaged[i] ^= 0x5a;
  c = MakeChunk(Page({.num_values = 700000, .body = big.body, .stored = damaged}), false);
  c.meta.codec = Codec::kZstd;
  got = ReadColumn(c, 700000, 65536);
  ASSERT_FALSE(got);
  EXPECT_EQ(
      got.error().message().rfind("page of column chunk 'x' of row group 0 at byte 4: ZSTD: ", 0),
      0u)
      << got.error().message();
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

// Bulk decoding (column_reader_bulk.cc): pages of dictionary indices, PLAIN and
// DELTA values with a null at every position, read in pieces that cross page
// boundaries, as text and as typed values.

// Definition levels of `n` rows, all 1 but row `null_at` (none when n or more).
std::vector<uint32_t> LevelsWithNullAt(size_t n, size_t null_at) {
  std::vector<uint32_t> levels(n, 1);
  if (null_at < n) levels[null_at] = 0;
  return levels;
}

std::string DictIndices(const std::vector<uint32_t>& indices, int width) {
  std::string out(1, static_cast<char>(width));
  RleBitPackedEncoder enc(width);
  enc.Put(indices);
  enc.Flush(out);
  return out;
}

// Reads `rows` cells in reads of `per_read` as text, and again as typed values
// without text; both must agree with `want`.
void ExpectColumn(Chunk& c, const Cells& want, size_t per_read, const std::string& what) {
  auto got = ReadColumn(c, want.size(), per_read);
  ASSERT_TRUE(got) << what << ": " << got.error().ToString();
  EXPECT_EQ(*got, want) << what;
  ColumnReader reader(*c.file, c.leaf, c.meta, static_cast<int64_t>(want.size()), 0);
  ASSERT_TRUE(reader.Open(c.file->size() - 8).ok());
  ASSERT_EQ(reader.typed_type(), ColumnType::kInteger);
  TextBatch batch;
  batch.SetColumns({"x"});
  std::vector<BadValue> bad;
  for (size_t done = 0; done < want.size();) {
    size_t n = std::min(per_read, want.size() - done);
    std::vector<Span> cells(n);
    std::vector<int64_t> ints(n, -1);
    ASSERT_TRUE(reader.Read(n, batch, cells.data(), bad, ints.data(), nullptr, false).ok());
    for (size_t i = 0; i < n; ++i) {
      const auto& w = want[done + i];
      EXPECT_EQ(cells[i].is_null(), !w.has_value()) << what << " row " << done + i;
      EXPECT_EQ(ints[i], w ? std::stoll(*w) : -1) << what << " row " << done + i;
    }
    done += n;
  }
  EXPECT_TRUE(bad.empty()) << what;
}

TEST(ColumnReaderBulkTest, DictionaryIndicesWithANullAtEveryPositionAcrossPages) {
  const std::vector<int32_t> dict = {10, 20, 30, 40, 50};
  std::string dict_body;
  for (int32_t v : dict) dict_body += I32s({v});
  for (size_t null_at = 0; null_at <= 20; ++null_at) {
    std::string pages = Page({.type = 2, .num_values = 5, .body = dict_body});
    Cells want;
    for (size_t page = 0; page < 2; ++page) {
      std::vector<uint32_t> levels = LevelsWithNullAt(10, null_at - page * 10);
      std::vector<uint32_t> indices;
      for (size_t i = 0; i < levels.size(); ++i) {
        if (levels[i] == 0) {
          want.push_back(std::nullopt);
          continue;
        }
        uint32_t index = static_cast<uint32_t>((i * 3 + page) % dict.size());
        indices.push_back(index);
        want.push_back(std::to_string(dict[index]));
      }
      pages += Page(
          {.num_values = 10, .encoding = 8, .body = V1LevelsOf(levels) + DictIndices(indices, 3)});
    }
    Chunk c = MakeChunk(pages, true, true);
    for (size_t per_read : {1, 3, 7, 20}) {
      ExpectColumn(c, want, per_read,
                   "null at " + std::to_string(null_at) + ", reads of " + std::to_string(per_read));
    }
  }
}

TEST(ColumnReaderBulkTest, DictionaryIndexOutOfRangeIsRefusedWithThePageAndItsOffset) {
  std::string dict_page = Page({.type = 2, .num_values = 3, .body = I32s({1, 2, 3})});
  std::string pages =
      dict_page +
      Page({.num_values = 9, .encoding = 8, .body = DictIndices({0, 1, 2, 0, 1, 2, 3, 0, 1}, 2)});
  Chunk c = MakeChunk(pages, false, true);
  auto got = ReadColumn(c, 9, 9);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message(), "page of column chunk 'x' of row group 0 at byte " +
                                       std::to_string(4 + dict_page.size()) +
                                       ": dictionary index 3 beyond the dictionary's 3 values");
}

TEST(ColumnReaderBulkTest, DictionaryIndicesOfEveryBitWidth) {
  for (int width = 0; width <= 32; ++width) {
    // A dictionary of 2^min(width, 6) entries; indices up to its last.
    const size_t size = size_t{1} << std::min(width, 6);
    std::string dict_body;
    for (size_t i = 0; i < size; ++i) dict_body += I32s({static_cast<int32_t>(i * 11)});
    std::vector<uint32_t> indices;
    Cells want;
    for (size_t i = 0; i < 37; ++i) {
      indices.push_back(static_cast<uint32_t>((i * 7) % size));
      want.push_back(std::to_string(indices.back() * 11));
    }
    std::string pages =
        Page({.type = 2, .num_values = static_cast<int32_t>(size), .body = dict_body}) +
        Page({.num_values = 37, .encoding = 8, .body = DictIndices(indices, width)});
    Chunk c = MakeChunk(pages, false, true);
    ExpectColumn(c, want, 10, "width " + std::to_string(width));
  }
}

TEST(ColumnReaderBulkTest, PlainNumbersWithANullAtEveryPositionAcrossPages) {
  for (size_t null_at = 0; null_at <= 12; ++null_at) {
    std::string pages;
    Cells want;
    for (size_t page = 0; page < 2; ++page) {
      std::vector<uint32_t> levels = LevelsWithNullAt(6, null_at - page * 6);
      std::string values;
      for (size_t i = 0; i < levels.size(); ++i) {
        if (levels[i] == 0) {
          want.push_back(std::nullopt);
          continue;
        }
        int32_t v = static_cast<int32_t>(page * 100 + i) - 3;
        values += I32s({v});
        want.push_back(std::to_string(v));
      }
      pages += Page({.num_values = 6, .body = V1LevelsOf(levels) + values});
    }
    Chunk c = MakeChunk(pages, true);
    for (size_t per_read : {1, 4, 12}) {
      ExpectColumn(c, want, per_read, "null at " + std::to_string(null_at));
    }
  }
}

TEST(ColumnReaderBulkTest, PlainValuesShortOfTheirCountAreDamage) {
  std::string pages = Page({.num_values = 4, .body = V1Levels({1, 0, 1, 1}) + I32s({1, 2})});
  Chunk c = MakeChunk(pages, true);
  auto got = ReadColumn(c, 4, 4);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message(),
            "page of column chunk 'x' of row group 0 at byte 4: its values end before its value "
            "count");
}

TEST(ColumnReaderBulkTest, DeltaBinaryPackedAcrossPagesAndReads) {
  // Blocks of 128 values: pages of 130 values end one block and start another.
  for (size_t null_at : {size_t{0}, size_t{127}, size_t{128}, size_t{129}, size_t{259}}) {
    std::string pages;
    Cells want;
    for (size_t page = 0; page < 2; ++page) {
      std::vector<uint32_t> levels = LevelsWithNullAt(130, null_at - page * 130);
      std::vector<int32_t> values;
      for (size_t i = 0; i < levels.size(); ++i) {
        if (levels[i] == 0) {
          want.push_back(std::nullopt);
          continue;
        }
        values.push_back(static_cast<int32_t>(i * i) - (page == 0 ? 5000 : -7));
        want.push_back(std::to_string(values.back()));
      }
      std::string delta;
      EncodeDeltaBinaryPacked(std::span<const int32_t>(values), delta);
      pages += Page({.num_values = 130, .encoding = 5, .body = V1LevelsOf(levels) + delta});
    }
    Chunk c = MakeChunk(pages, true);
    for (size_t per_read : {1, 64, 129, 260}) {
      ExpectColumn(c, want, per_read, "null at " + std::to_string(null_at));
    }
  }
}

TEST(ColumnReaderBulkTest, AStringDictionaryLargerThanTheSharedCopyAndBadValues) {
  // Over 64 KiB of dictionary text (copied value by value) with an invalid UTF-8
  // entry: its rows are reported bad at their index, the others keep their text.
  std::vector<std::string> dict = {std::string(70000, 'a'), "b", std::string("\xff", 1)};
  for (bool small : {false, true}) {
    if (small) dict[0] = "aa";
    std::string dict_body;
    for (const std::string& v : dict) {
      uint32_t n = static_cast<uint32_t>(v.size());
      dict_body += std::string(reinterpret_cast<const char*>(&n), 4) + v;
    }
    std::string pages =
        Page({.type = 2, .num_values = 3, .body = dict_body}) +
        Page({.num_values = 6,
              .encoding = 8,
              .body = V1Levels({1, 1, 0, 1, 1, 1}) + DictIndices({1, 2, 0, 2, 1}, 2)});
    Chunk c = MakeChunk(pages, true, true);
    c.leaf.element.type = static_cast<int32_t>(Type::kByteArray);
    c.meta.type = Type::kByteArray;
    ColumnReader reader(*c.file, c.leaf, c.meta, 6, 0);
    ASSERT_TRUE(reader.Open(c.file->size() - 8).ok());
    TextBatch batch;
    batch.SetColumns({"x"});
    std::vector<BadValue> bad;
    std::vector<Span> cells(6);
    ASSERT_TRUE(reader.Read(2, batch, cells.data(), bad).ok());
    ASSERT_TRUE(reader.Read(4, batch, cells.data() + 2, bad).ok());
    EXPECT_EQ(batch.View(cells[0]), "b");
    EXPECT_TRUE(cells[1].is_null());
    EXPECT_TRUE(cells[2].is_null());
    EXPECT_EQ(batch.View(cells[3]), dict[0]);
    EXPECT_TRUE(cells[4].is_null());
    EXPECT_EQ(batch.View(cells[5]), "b");
    ASSERT_EQ(bad.size(), 2u);
    EXPECT_EQ(bad[0].row, 1u);
    EXPECT_EQ(bad[1].row, 2u);  // row 4 of the chunk, row 2 of the second read
    EXPECT_EQ(bad[0].message, "invalid UTF-8 in a byte array");
  }
}

TEST(ColumnReaderBulkTest, AStringDictionaryGivesItsEntriesAndEachCellsIndex) {
  // A small dictionary (its text in the batch once per read), then a PLAIN page:
  // cells of the dictionary are its entries, by index; PLAIN cells are no entry.
  const std::vector<std::string> dict = {"ok", "warn", "fail"};
  std::string dict_body;
  for (const std::string& v : dict) {
    uint32_t n = static_cast<uint32_t>(v.size());
    dict_body += std::string(reinterpret_cast<const char*>(&n), 4) + v;
  }
  uint32_t four = 4;
  const std::string plain = std::string(reinterpret_cast<const char*>(&four), 4) + "nope";
  std::string pages = Page({.type = 2, .num_values = 3, .body = dict_body}) +
                      Page({.num_values = 5,
                            .encoding = 8,
                            .body = V1Levels({1, 0, 1, 1, 1}) + DictIndices({2, 0, 2, 1}, 2)}) +
                      Page({.num_values = 2, .body = V1Levels({1, 0}) + plain});
  Chunk c = MakeChunk(pages, true, true);
  c.leaf.element.type = static_cast<int32_t>(Type::kByteArray);
  c.meta.type = Type::kByteArray;
  ColumnReader reader(*c.file, c.leaf, c.meta, 7, 0);
  ASSERT_TRUE(reader.Open(c.file->size() - 8).ok());
  ASSERT_EQ(reader.typed_type(), ColumnType::kString);
  TextBatch batch;
  batch.SetColumns({"x"});
  std::vector<BadValue> bad;
  std::vector<Span> cells(7);
  std::vector<int64_t> ints(7, 99);
  std::vector<Span> entries;
  ASSERT_TRUE(reader.Read(3, batch, cells.data(), bad, ints.data(), nullptr, true, &entries).ok());
  // Each read puts the dictionary into the batch once: entries 0-2, then 3-5.
  ASSERT_TRUE(
      reader.Read(4, batch, cells.data() + 3, bad, ints.data() + 3, nullptr, true, &entries).ok());
  EXPECT_TRUE(bad.empty());
  ASSERT_EQ(entries.size(), 6u);
  for (size_t e = 0; e < entries.size(); ++e) EXPECT_EQ(batch.View(entries[e]), dict[e % 3]);
  const std::vector<int64_t> want_entry = {2, 99, 0, 5, 4, -1, 99};
  const Cells want = {"fail", std::nullopt, "ok", "fail", "warn", "nope", std::nullopt};
  for (size_t r = 0; r < 7; ++r) {
    EXPECT_EQ(cells[r].is_null(), !want[r].has_value()) << r;
    if (cells[r].is_null()) continue;
    EXPECT_EQ(batch.View(cells[r]), *want[r]) << r;
    EXPECT_EQ(ints[r], want_entry[r]) << r;
    if (ints[r] >= 0) {
      EXPECT_EQ(cells[r].offset, entries[ints[r]].offset) << r;
      EXPECT_EQ(cells[r].size, entries[ints[r]].size) << r;
    }
  }
}

}  // namespace
}  // namespace sluice::parquet
