#include "parquet/rle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "parquet_test_util.h"

namespace sluice::parquet {
namespace {

std::vector<uint32_t> DecodeAll(std::string_view data, int bit_width, size_t n) {
  std::vector<uint32_t> out(n);
  RleBitPackedDecoder decoder(data, bit_width);
  auto got = decoder.Get(out.data(), n);
  EXPECT_TRUE(got.has_value()) << got.status().ToString();
  out.resize(got.has_value() ? *got : 0);
  return out;
}

std::string Encode(const std::vector<uint32_t>& values, int bit_width) {
  RleBitPackedEncoder encoder(bit_width);
  encoder.Put(values);
  std::string out;
  encoder.Flush(out);
  return out;
}

using testing::Bytes;

TEST(RleTest, BitWidth) {
  EXPECT_EQ(BitWidth(0), 0);
  EXPECT_EQ(BitWidth(1), 1);
  EXPECT_EQ(BitWidth(2), 2);
  EXPECT_EQ(BitWidth(7), 3);
  EXPECT_EQ(BitWidth(8), 4);
  EXPECT_EQ(BitWidth(UINT32_MAX), 32);
  EXPECT_EQ(BitWidth(UINT64_MAX), 64);
}

// The specification's example: 0..7 with bit width 3, bit-packed LSB-first.
TEST(RleTest, SpecificationBitPackedExample) {
  const std::string run = Bytes({0x03, 0x88, 0xC6, 0xFA});  // 1 group of 8
  EXPECT_EQ(DecodeAll(run, 3, 8), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(Encode({0, 1, 2, 3, 4, 5, 6, 7}, 3), run);
}

// The deprecated BIT_PACKED encoding of the same values, MSB-first.
TEST(RleTest, SpecificationLegacyBitPackedExample) {
  const std::string data = Bytes({0x05, 0x39, 0x77});
  std::vector<int16_t> out(8);
  auto used = DecodeLegacyBitPacked(data, 3, 8, out.data());
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(*used, 3u);
  EXPECT_EQ(out, (std::vector<int16_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(DecodeLegacyBitPacked(data, 3, 9, out.data()).error().code(), StatusCode::kInvalidData);
  EXPECT_EQ(DecodeLegacyBitPacked(data, 16, 1, out.data()).error().code(),
            StatusCode::kInvalidData);
}

TEST(RleTest, RleRunsAndMultiByteValues) {
  // 300 times the value 0x01020304 at width 25: header varint(600), 4 value bytes.
  const std::string run = Bytes({0xD8, 0x04, 0x04, 0x03, 0x02, 0x01});
  const std::vector<uint32_t> got = DecodeAll(run, 25, 400);
  ASSERT_EQ(got.size(), 300u);
  for (uint32_t v : got) ASSERT_EQ(v, 0x01020304u);
  EXPECT_EQ(Encode(std::vector<uint32_t>(300, 0x01020304), 25), run);
}

TEST(RleTest, RoundTripsEveryBitWidthWithRunsAndNoise) {
  std::mt19937 rng(5);
  for (int width = 0; width <= 32; ++width) {
    const uint64_t limit = width == 32 ? UINT32_MAX : (uint64_t{1} << width) - 1;
    std::vector<uint32_t> values;
    while (values.size() < 5000) {
      const uint32_t v = static_cast<uint32_t>(rng() & limit);
      const size_t repeat = rng() % 3 == 0 ? rng() % 40 : 1;
      values.insert(values.end(), repeat, v);
    }
    values.push_back(static_cast<uint32_t>(limit));
    const std::string data = Encode(values, width);
    EXPECT_EQ(DecodeAll(data, width, values.size()), values) << "width " << width;
  }
}

TEST(RleTest, DecodesInPiecesAcrossRuns) {
  std::vector<uint32_t> values;
  for (int i = 0; i < 1000; ++i) values.push_back(i % 50 < 30 ? 3 : static_cast<uint32_t>(i % 7));
  const std::string data = Encode(values, 3);
  RleBitPackedDecoder decoder(data, 3);
  std::vector<uint32_t> got;
  for (size_t piece = 1; got.size() < values.size(); piece = piece * 2 % 97 + 1) {
    std::vector<uint32_t> chunk(piece);
    auto n = decoder.Get(chunk.data(), piece);
    ASSERT_TRUE(n.has_value());
    ASSERT_GT(*n, 0u);
    got.insert(got.end(), chunk.begin(), chunk.begin() + static_cast<long>(*n));
  }
  got.resize(values.size());  // the final group may carry padding values
  EXPECT_EQ(got, values);
  EXPECT_EQ(decoder.bytes_consumed(), data.size());
}

TEST(RleTest, ShortCountWhenTheRunsEnd) {
  const std::string data = Encode(std::vector<uint32_t>(20, 1), 1);
  std::vector<uint32_t> out(50);
  RleBitPackedDecoder decoder(data, 1);
  auto got = decoder.Get(out.data(), out.size());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, 20u);
  EXPECT_EQ(*decoder.Get(out.data(), 5), 0u);
}

TEST(RleTest, EmptyInputAndBitWidthZero) {
  std::vector<uint32_t> out(8, 9);
  RleBitPackedDecoder empty("", 1);
  EXPECT_EQ(*empty.Get(out.data(), 8), 0u);
  // Width 0: an RLE run of zero-byte values, and a bit-packed run of no bytes.
  EXPECT_EQ(DecodeAll(Bytes({0x0A}), 0, 5), std::vector<uint32_t>(5, 0));
  EXPECT_EQ(DecodeAll(Bytes({0x03}), 0, 8), std::vector<uint32_t>(8, 0));
  EXPECT_EQ(Encode(std::vector<uint32_t>(5, 0), 0), Bytes({0x0A}));
}

TEST(RleTest, MalformedInputIsInvalidDataWithTheOffset) {
  std::vector<uint32_t> out(100);
  struct Case {
    std::string data;
    int width;
    const char* why;
  };
  const Case cases[] = {
      {Bytes({0x80}), 3, "truncated or overlong run header at byte 0"},
      {Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x01}), 3, "truncated or overlong run header"},
      {Bytes({0x80, 0x80, 0x80, 0x80, 0x10}), 3, "truncated or overlong run header"},
      {Bytes({0x04}), 8, "truncated RLE run value"},
      {Bytes({0x04, 0x01}), 20, "truncated RLE run value"},
      {Bytes({0x04, 0x09}), 3, "wider than 3 bits"},
      {Bytes({0x02, 0x00}), 33, "bit width 33"},
      {Bytes({0x02, 0x00}), -1, "bit width -1"},
  };
  for (const Case& c : cases) {
    RleBitPackedDecoder decoder(c.data, c.width);
    auto got = decoder.Get(out.data(), out.size());
    ASSERT_FALSE(got.has_value()) << c.why;
    EXPECT_EQ(got.error().code(), StatusCode::kInvalidData);
    EXPECT_NE(got.error().message().find(c.why), std::string::npos) << got.error().message();
    // A failed decoder stays failed.
    EXPECT_FALSE(decoder.Get(out.data(), 1).has_value());
  }
}

TEST(RleTest, ATruncatedBitPackedRunYieldsTheValuesItHolds) {
  // 2 groups (16 values) of width 4 announced, 3 bytes present: 6 values.
  const std::string data = Bytes({0x05, 0x21, 0x43, 0x65});
  EXPECT_EQ(DecodeAll(data, 4, 16), (std::vector<uint32_t>{1, 2, 3, 4, 5, 6}));
}

TEST(RleTest, LevelsAboveInt16AreRefused) {
  std::vector<int16_t> levels(4);
  const std::string too_wide = Bytes({0x08, 0xFF, 0xFF});
  const std::string widest = Bytes({0x08, 0xFF, 0x7F});
  RleBitPackedDecoder rle(too_wide, 16);
  EXPECT_EQ(rle.Get(levels.data(), 4).error().code(), StatusCode::kInvalidData);
  RleBitPackedDecoder ok(widest, 16);
  ASSERT_EQ(*ok.Get(levels.data(), 4), 4u);
  EXPECT_EQ(levels[3], 32767);
}

// Bit-packed runs are unpacked a run at a time, with a careful path for the last
// values of a run: every width, any piece size, and a run cut at every byte of its
// tail give exactly the values a value-at-a-time reading gives.
TEST(RleTest, BitPackedRunsUnpackInAnyPiecesAtEveryWidth) {
  std::mt19937 rng(11);
  for (int width = 0; width <= 32; ++width) {
    const uint64_t limit = width == 32 ? UINT32_MAX : (uint64_t{1} << width) - 1;
    std::vector<uint32_t> values(1003);  // noise: literal runs, the last one padded
    for (uint32_t& v : values) v = static_cast<uint32_t>(rng() & limit);
    values[500] = static_cast<uint32_t>(limit);
    const std::string data = Encode(values, width);
    for (size_t piece : {size_t{1}, size_t{3}, size_t{8}, size_t{61}, size_t{1003}}) {
      RleBitPackedDecoder decoder(data, width);
      std::vector<uint32_t> got;
      while (got.size() < values.size()) {
        std::vector<uint32_t> chunk(std::min(piece, values.size() - got.size()));
        auto n = decoder.Get(chunk.data(), chunk.size());
        ASSERT_TRUE(n.has_value()) << n.error().ToString();
        ASSERT_EQ(*n, chunk.size()) << "width " << width << " piece " << piece;
        got.insert(got.end(), chunk.begin(), chunk.end());
      }
      EXPECT_EQ(got, values) << "width " << width << " piece " << piece;
    }
    // The run cut short at each of its last 12 bytes: the values whose bits remain.
    for (size_t cut = 1; width > 0 && cut <= 12 && cut < data.size(); ++cut) {
      const std::string_view cut_data(data.data(), data.size() - cut);
      std::vector<uint32_t> got = DecodeAll(cut_data, width, values.size());
      ASSERT_LE(got.size(), values.size());
      EXPECT_TRUE(std::equal(got.begin(), got.end(), values.begin()))
          << "width " << width << " cut " << cut;
    }
  }
}

TEST(RleTest, BitPackedLevelsAboveInt16AreRefusedAtAnyPosition) {
  for (size_t at = 0; at < 24; ++at) {
    std::vector<uint32_t> values(24, 7);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint32_t>(i % 5);
    values[at] = 40000;
    const std::string data = Encode(values, 16);
    std::vector<int16_t> levels(values.size());
    RleBitPackedDecoder rle(data, 16);
    auto got = rle.Get(levels.data(), levels.size());
    ASSERT_FALSE(got.has_value()) << "at " << at;
    EXPECT_EQ(got.error().message(), "RLE/bit-packed: value 40000 exceeds the level range");
  }
}

TEST(RleTest, TruncationAtEveryByteNeverCrashes) {
  std::mt19937 rng(9);
  std::vector<uint32_t> values(700);
  for (size_t i = 0; i < values.size(); ++i) values[i] = i % 100 < 50 ? 77 : rng() % 1000;
  const std::string data = Encode(values, 10);
  std::vector<uint32_t> out(values.size());
  for (size_t len = 0; len < data.size(); ++len) {
    RleBitPackedDecoder decoder(std::string_view(data).substr(0, len), 10);
    auto got = decoder.Get(out.data(), out.size());
    // Either an error, or the values whose bytes remain (only padding may be cut
    // from the last run); what was produced is right.
    if (got.has_value()) {
      for (size_t i = 0; i < *got; ++i) ASSERT_EQ(out[i], values[i]) << len;
    } else {
      EXPECT_EQ(got.error().code(), StatusCode::kInvalidData);
    }
  }
}

TEST(RleTest, LengthPrefix) {
  const std::string data = Bytes({0x02, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33});
  auto body = ReadLengthPrefixed(data);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, Bytes({0x11, 0x22}));
  EXPECT_EQ(ReadLengthPrefixed(Bytes({0x01, 0x00})).error().code(), StatusCode::kInvalidData);
  EXPECT_EQ(ReadLengthPrefixed(Bytes({0x09, 0x00, 0x00, 0x00, 0x01})).error().code(),
            StatusCode::kInvalidData);
}

TEST(RleTest, EncoderPrefersRleForLongRunsAndBoundsLiteralRuns) {
  // 1000 alternating values: bit-packed runs of at most 504 values (1-byte headers).
  std::vector<uint32_t> alternating(1000);
  for (size_t i = 0; i < alternating.size(); ++i) alternating[i] = i % 2;
  const std::string packed = Encode(alternating, 1);
  EXPECT_EQ(static_cast<uint8_t>(packed[0]), (63 << 1) | 1);
  EXPECT_EQ(DecodeAll(packed, 1, 1000), alternating);
  // A million equal values: one RLE run.
  EXPECT_EQ(Encode(std::vector<uint32_t>(1000000, 1), 1).size(), 4u);
  // Flush starts afresh.
  RleBitPackedEncoder encoder(2);
  std::string a, b;
  encoder.Put(3);
  encoder.Flush(a);
  encoder.Put(1);
  encoder.Flush(b);
  EXPECT_EQ(DecodeAll(a, 2, 1), std::vector<uint32_t>{3});
  EXPECT_EQ(DecodeAll(b, 2, 1), std::vector<uint32_t>{1});
}

// Dictionary indices and RLE booleans from real writers.
TEST(RleConformanceTest, DictionaryIndicesAndRleBooleansOfParquetTestingFiles) {
  std::map<std::string, size_t> dictionary_size;
  int index_pages = 0;
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    const std::string key = page.file + "/" + page.column;
    if (page.page_type == 2) {
      dictionary_size[key] = page.num_values;
      continue;
    }
    if (page.encoding != 2 && page.encoding != 8) continue;    // PLAIN_/RLE_DICTIONARY
    if (page.column.find('.') != std::string::npos) continue;  // nested: levels differ
    const testing::PageValues v = testing::LoadPage(page);
    ASSERT_FALSE(v.values.empty()) << key;
    const int width = static_cast<uint8_t>(v.values[0]);
    std::vector<uint32_t> indices(v.non_null);
    RleBitPackedDecoder decoder(v.values.substr(1), width);
    auto got = decoder.Get(indices.data(), indices.size());
    ASSERT_TRUE(got.has_value()) << key << ": " << got.status().ToString();
    ASSERT_EQ(*got, v.non_null) << key;
    for (uint32_t i : indices) ASSERT_LT(i, dictionary_size[key]) << key;
    ++index_pages;
  }
  EXPECT_GT(index_pages, 20);

  // rle_boolean_encoding.parquet: 68 rows, 6 nulls; the booleans are RLE with a
  // 4-byte length, bit width 1.
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    if (page.file != "rle_boolean_encoding.parquet") continue;
    const testing::PageValues v = testing::LoadPage(page);
    EXPECT_EQ(v.non_null, 62u);
    auto body = ReadLengthPrefixed(v.values);
    ASSERT_TRUE(body.has_value());
    std::vector<uint32_t> bools(v.non_null);
    RleBitPackedDecoder decoder(*body, 1);
    ASSERT_EQ(*decoder.Get(bools.data(), bools.size()), v.non_null);
    // The file's first values are true, false, (null), true, true, false, false, true.
    EXPECT_EQ(std::vector<uint32_t>(bools.begin(), bools.begin() + 7),
              (std::vector<uint32_t>{1, 0, 1, 1, 0, 0, 1}));
  }
}

}  // namespace
}  // namespace sluice::parquet
