#include "parquet/delta.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "parquet_test_util.h"

namespace sluice::parquet {
namespace {

using testing::Bytes;

template <typename T>
std::string EncodeDbp(const std::vector<T>& values) {
  std::string out;
  EncodeDeltaBinaryPacked(std::span<const T>(values), out);
  return out;
}

template <typename T>
std::vector<T> DecodeDbp(std::string_view data, size_t* consumed = nullptr) {
  std::vector<T> out;
  auto used = DecodeDeltaBinaryPacked(data, 1 << 24, out);
  EXPECT_TRUE(used.has_value()) << used.status().ToString();
  if (consumed != nullptr) *consumed = used.has_value() ? *used : 0;
  return out;
}

// The specification's first example: 1..5, every delta 1, bit width 0.
TEST(DeltaBinaryPackedTest, SpecificationExampleConstantDelta) {
  const std::vector<int32_t> values = {1, 2, 3, 4, 5};
  const std::string data = EncodeDbp(values);
  // block 128, 4 miniblocks, 5 values, first 1; min delta 1, widths 0 0 0 0.
  EXPECT_EQ(data, Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0}));
  size_t consumed = 0;
  EXPECT_EQ(DecodeDbp<int32_t>(data, &consumed), values);
  EXPECT_EQ(consumed, data.size());
}

// The specification's second example: deltas -2 -2 -2 1 1 1 1, min delta -2,
// relative deltas 0 0 0 3 3 3 3 in 2 bits.
TEST(DeltaBinaryPackedTest, SpecificationExampleMinDelta) {
  const std::vector<int64_t> values = {7, 5, 3, 1, 2, 3, 4, 5};
  const std::string data = EncodeDbp(values);
  EXPECT_EQ(data, Bytes({0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0, 0,
                         0, 0}));
  EXPECT_EQ(DecodeDbp<int64_t>(data), values);
}

TEST(DeltaBinaryPackedTest, RoundTripsAcrossBlockAndMiniblockBoundaries) {
  std::mt19937_64 rng(1);
  for (size_t n : {0, 1, 2, 31, 32, 33, 127, 128, 129, 200, 257, 1000, 10000}) {
    std::vector<int32_t> v32(n);
    std::vector<int64_t> v64(n);
    for (size_t i = 0; i < n; ++i) {
      // Mixed magnitudes: small steps, then jumps of every width.
      const int shift = static_cast<int>(rng() % 64);
      v64[i] = static_cast<int64_t>(rng() >> shift) * (rng() % 2 ? 1 : -1);
      v32[i] = static_cast<int32_t>(v64[i]);
    }
    size_t consumed = 0;
    EXPECT_EQ(DecodeDbp<int32_t>(EncodeDbp(v32), &consumed), v32) << n;
    EXPECT_EQ(DecodeDbp<int64_t>(EncodeDbp(v64)), v64) << n;
  }
}

TEST(DeltaBinaryPackedTest, ExtremesWrapAsTheFormatSays) {
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
  const std::vector<int32_t> v32 = {kMax32, kMin32, kMax32, 0, kMin32, -1, kMax32, kMin32};
  const std::vector<int64_t> v64 = {kMax64, kMin64, kMax64, 0, kMin64, -1, kMax64, kMin64};
  EXPECT_EQ(DecodeDbp<int32_t>(EncodeDbp(v32)), v32);
  EXPECT_EQ(DecodeDbp<int64_t>(EncodeDbp(v64)), v64);
}

TEST(DeltaBinaryPackedTest, Int32StreamsWithOutOfRangeDeltasWrap) {
  // first value 0, min delta 2^33 + 5 (zigzag), width 0: each step adds 5 mod 2^32.
  std::string data = Bytes({0x80, 0x01, 0x04, 0x03, 0x00});
  uint64_t zz = ((uint64_t{1} << 33) + 5) << 1;
  while (zz >= 0x80) {
    data.push_back(static_cast<char>((zz & 0x7f) | 0x80));
    zz >>= 7;
  }
  data.push_back(static_cast<char>(zz));
  data += Bytes({0, 0, 0, 0});
  EXPECT_EQ(DecodeDbp<int32_t>(data), (std::vector<int32_t>{0, 5, 10}));
}

TEST(DeltaBinaryPackedTest, ConsumedBytesStopAtTheStream) {
  const std::vector<int32_t> values = {10, 20, 25, 27};
  std::string data = EncodeDbp(values);
  const size_t size = data.size();
  data += "trailing values of a v1 page";
  size_t consumed = 0;
  EXPECT_EQ(DecodeDbp<int32_t>(data, &consumed), values);
  EXPECT_EQ(consumed, size);
}

TEST(DeltaBinaryPackedTest, MalformedHeadersAndBlocksAreInvalidData) {
  struct Case {
    std::string data;
    const char* why;
  };
  const Case cases[] = {
      {"", "truncated or overlong header"},
      {Bytes({0x80, 0x01, 0x04, 0x05}), "truncated or overlong header"},
      {Bytes({0x00, 0x04, 0x05, 0x02}), "block size 0"},
      {Bytes({0x64, 0x04, 0x05, 0x02}), "block size 100"},
      {Bytes({0x80, 0x01, 0x00, 0x05, 0x02}), "0 miniblocks"},
      {Bytes({0x80, 0x01, 0x03, 0x05, 0x02}), "3 miniblocks"},
      {Bytes({0x80, 0x01, 0x08, 0x05, 0x02}), "8 miniblocks"},
      {Bytes({0x80, 0x01, 0x04, 0x05, 0x02}), "truncated block"},
      {Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00}), "truncated bit widths"},
      {Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 33, 0, 0, 0}), "bit width 33 above 32"},
      {Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 8, 0, 0, 0, 1, 2}), "truncated miniblock"},
      {Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}),
       "truncated or overlong header"},
  };
  for (const Case& c : cases) {
    std::vector<int32_t> out;
    auto got = DecodeDeltaBinaryPacked(c.data, 1000, out);
    ASSERT_FALSE(got.has_value()) << c.why;
    EXPECT_EQ(got.error().code(), StatusCode::kInvalidData);
    EXPECT_NE(got.error().message().find(c.why), std::string::npos) << got.error().message();
    EXPECT_EQ(got.error().message().rfind("DELTA_BINARY_PACKED: ", 0), 0u);
  }
  std::vector<int64_t> out64;
  EXPECT_FALSE(
      DecodeDeltaBinaryPacked(Bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 65, 0, 0, 0}), 1000, out64)
          .has_value());
}

TEST(DeltaBinaryPackedTest, ValueCountAboveTheCallersBoundIsRefused) {
  // A header claiming 2^32 values must not allocate for them.
  const std::string data = Bytes({0x80, 0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00});
  std::vector<int64_t> out;
  auto got = DecodeDeltaBinaryPacked(data, 1000, out);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("at most 1000"), std::string::npos);
  EXPECT_LT(out.capacity(), 2000u);
}

TEST(DeltaBinaryPackedTest, TruncationAtEveryByteIsInvalidDataOrOnlyCutPadding) {
  std::vector<int64_t> values(300);
  std::mt19937_64 rng(4);
  for (auto& v : values) v = static_cast<int64_t>(rng() % 100000);
  const std::string data = EncodeDbp(values);
  for (size_t len = 0; len < data.size(); ++len) {
    std::vector<int64_t> out;
    auto got = DecodeDeltaBinaryPacked(std::string_view(data).substr(0, len), 1000, out);
    if (got.has_value()) {
      EXPECT_EQ(out, values) << len;  // only the last miniblock's padding was cut
    } else {
      EXPECT_EQ(got.error().code(), StatusCode::kInvalidData);
    }
  }
}

std::vector<std::string_view> Views(const std::vector<std::string>& strings) {
  return {strings.begin(), strings.end()};
}

TEST(DeltaLengthByteArrayTest, RoundTripsAndStopsAtItsEnd) {
  const std::vector<std::string> strings = {"Hello", "World", "Foobar", "ABCDEF", "", "x"};
  std::string data;
  EncodeDeltaLengthByteArray(Views(strings), data);
  const size_t size = data.size();
  data += "tail";
  std::vector<std::string_view> out;
  auto used = DecodeDeltaLengthByteArray(data, 100, out);
  ASSERT_TRUE(used.has_value()) << used.status().ToString();
  EXPECT_EQ(*used, size);
  EXPECT_EQ(out, Views(strings));
}

TEST(DeltaLengthByteArrayTest, BadLengthsAreInvalidData) {
  std::vector<std::string_view> out;
  std::string negative;
  EncodeDeltaBinaryPacked(std::vector<int32_t>{3, -1}, negative);
  negative += "abc";
  auto got = DecodeDeltaLengthByteArray(negative, 100, out);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("length -1"), std::string::npos) << got.error().message();

  std::string beyond;
  EncodeDeltaBinaryPacked(std::vector<int32_t>{3, 10}, beyond);
  beyond += "abcdef";
  got = DecodeDeltaLengthByteArray(beyond, 100, out);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), StatusCode::kInvalidData);

  got = DecodeDeltaLengthByteArray("\x80", 100, out);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message().rfind("DELTA_LENGTH_BYTE_ARRAY lengths: ", 0), 0u)
      << got.error().message();
}

// The specification's example of incremental encoding.
TEST(DeltaByteArrayTest, SpecificationExample) {
  const std::vector<std::string> strings = {"axis", "axle", "babble", "babyhood"};
  std::string data;
  EncodeDeltaByteArray(Views(strings), data);
  std::string expected;
  EncodeDeltaBinaryPacked(std::vector<int32_t>{0, 2, 0, 3}, expected);
  EncodeDeltaLengthByteArray(std::vector<std::string_view>{"axis", "le", "babble", "yhood"},
                             expected);
  EXPECT_EQ(data, expected);
  std::string arena;
  std::vector<std::string_view> out;
  auto used = DecodeDeltaByteArray(data, 100, arena, out);
  ASSERT_TRUE(used.has_value()) << used.status().ToString();
  EXPECT_EQ(*used, data.size());
  EXPECT_EQ(out, Views(strings));
}

TEST(DeltaByteArrayTest, RoundTripsSortedAndUnsortedStrings) {
  std::mt19937 rng(2);
  std::vector<std::string> strings;
  for (int i = 0; i < 3000; ++i) {
    std::string s = "customer-" + std::to_string(rng() % 500);
    if (i % 7 == 0) s.clear();
    strings.push_back(s);
  }
  std::string data;
  EncodeDeltaByteArray(Views(strings), data);
  std::string arena;
  std::vector<std::string_view> out;
  ASSERT_TRUE(DecodeDeltaByteArray(data, strings.size(), arena, out).has_value());
  EXPECT_EQ(out, Views(strings));
}

TEST(DeltaByteArrayTest, PrefixesAndCountsAreChecked) {
  auto stream = [](const std::vector<int32_t>& prefixes, const std::vector<std::string_view>& s) {
    std::string data;
    EncodeDeltaBinaryPacked(prefixes, data);
    EncodeDeltaLengthByteArray(s, data);
    return data;
  };
  std::string arena;
  std::vector<std::string_view> out;
  auto got = DecodeDeltaByteArray(stream({1}, {"a"}), 100, arena, out);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("prefix of 1 bytes from a previous value of 0"),
            std::string::npos)
      << got.error().message();
  got = DecodeDeltaByteArray(stream({0, 3}, {"ab", "c"}), 100, arena, out);
  ASSERT_FALSE(got.has_value());
  got = DecodeDeltaByteArray(stream({0, -1}, {"ab", "c"}), 100, arena, out);
  ASSERT_FALSE(got.has_value());
  got = DecodeDeltaByteArray(stream({0, 1, 1}, {"ab", "c"}), 100, arena, out);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("3 prefix lengths but 2 suffixes"), std::string::npos);
}

TEST(DeltaByteArrayTest, ExpansionIsBoundedByMaxBytes) {
  // One 1000-byte value, then 10000 values repeating it whole: 10 MB from ~1 KB.
  std::vector<int32_t> prefixes(10001, 1000);
  prefixes[0] = 0;
  const std::string first(1000, 'q');
  std::vector<std::string_view> suffixes(10001, "");
  suffixes[0] = first;
  std::string data;
  EncodeDeltaBinaryPacked(prefixes, data);
  EncodeDeltaLengthByteArray(suffixes, data);
  std::string arena;
  std::vector<std::string_view> out;
  auto got = DecodeDeltaByteArray(data, 20000, arena, out, 1 << 20);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("beyond 1048576 bytes"), std::string::npos);
  EXPECT_LT(arena.capacity(), size_t{1} << 20);
  ASSERT_TRUE(DecodeDeltaByteArray(data, 20000, arena, out).has_value());
  EXPECT_EQ(out.size(), 10001u);
  EXPECT_EQ(out.back(), first);
}

// --- The parquet-testing files, against their *_expect.csv.

std::string CleanName(std::string name) {
  while (!name.empty() && (name.back() == ':' || name.back() == ' ')) name.pop_back();
  while (!name.empty() && name.front() == ' ') name.erase(0, 1);
  return name;
}

// Checks every DELTA_* page of `file` against `csv_name`; returns the pages checked.
int CheckDeltaFile(const std::string& file, const std::string& csv_name) {
  const testing::ExpectedCsv csv = testing::ReadExpectedCsv(csv_name);
  std::map<std::string, std::string> headers;
  for (const auto& [name, cells] : csv.columns) headers[CleanName(name)] = name;
  int pages = 0;
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    if (page.file != file || page.page_type == 2) continue;
    const std::string column = CleanName(page.column);
    EXPECT_TRUE(headers.count(column)) << file << " " << column;
    if (!headers.count(column)) continue;
    // One page per column in these files.
    std::vector<std::string> expected;
    const auto& cells = csv.columns.at(headers[column]);
    const auto& nulls = csv.nulls.at(headers[column]);
    for (size_t i = 0; i < cells.size(); ++i) {
      if (!nulls[i]) expected.push_back(cells[i]);
    }
    const testing::PageValues v = testing::LoadPage(page);
    EXPECT_EQ(v.non_null, expected.size()) << file << " " << column;
    std::vector<std::string> got;
    Result<size_t> used = size_t{0};
    if (page.encoding == 5 && page.type == "INT32") {
      std::vector<int32_t> out;
      used = DecodeDeltaBinaryPacked(v.values, v.non_null, out);
      for (int32_t x : out) got.push_back(std::to_string(x));
    } else if (page.encoding == 5) {
      std::vector<int64_t> out;
      used = DecodeDeltaBinaryPacked(v.values, v.non_null, out);
      for (int64_t x : out) got.push_back(std::to_string(x));
    } else if (page.encoding == 7) {
      std::string arena;
      std::vector<std::string_view> out;
      used = DecodeDeltaByteArray(v.values, v.non_null, arena, out);
      got.assign(out.begin(), out.end());
    } else {
      ADD_FAILURE() << file << " " << column << ": encoding " << page.encoding;
      continue;
    }
    EXPECT_TRUE(used.has_value()) << file << " " << column << ": " << used.status().ToString();
    if (used.has_value()) {
      EXPECT_EQ(*used, v.values.size()) << file << " " << column;
    }
    EXPECT_EQ(got, expected) << file << " " << column;
    ++pages;
  }
  return pages;
}

TEST(DeltaConformanceTest, DeltaBinaryPackedEveryBitWidth) {
  // 65 INT64 columns of bit widths 0..64 and an INT32 column, 200 rows each.
  EXPECT_EQ(CheckDeltaFile("delta_binary_packed.parquet", "delta_binary_packed_expect.csv"), 66);
}

TEST(DeltaConformanceTest, DeltaByteArray) {
  EXPECT_EQ(CheckDeltaFile("delta_byte_array.parquet", "delta_byte_array_expect.csv"), 9);
}

TEST(DeltaConformanceTest, DeltaEncodingRequiredAndOptionalColumns) {
  EXPECT_EQ(CheckDeltaFile("delta_encoding_required_column.parquet",
                           "delta_encoding_required_column_expect.csv"),
            17);
  EXPECT_EQ(CheckDeltaFile("delta_encoding_optional_column.parquet",
                           "delta_encoding_optional_column_expect.csv"),
            17);
}

TEST(DeltaConformanceTest, DeltaLengthByteArray) {
  // Arrow's reader test of this file: "apple_banana_mango" followed by i*i.
  int pages = 0;
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    if (page.file != "delta_length_byte_array.parquet") continue;
    const testing::PageValues v = testing::LoadPage(page);
    std::vector<std::string_view> out;
    auto used = DecodeDeltaLengthByteArray(v.values, v.non_null, out);
    ASSERT_TRUE(used.has_value()) << used.status().ToString();
    EXPECT_EQ(*used, v.values.size());
    ASSERT_EQ(out.size(), 1000u);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i], "apple_banana_mango" + std::to_string(i * i)) << i;
    }
    ++pages;
  }
  EXPECT_EQ(pages, 1);
}

}  // namespace
}  // namespace sluice::parquet
