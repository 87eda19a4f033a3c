#include "parquet/byte_stream_split.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "parquet_test_util.h"

namespace sluice::parquet {
namespace {

using testing::Bytes;

// The specification's example: three 4-byte values.
TEST(ByteStreamSplitTest, SpecificationExample) {
  const std::string plain =
      Bytes({0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6});
  const std::string encoded =
      Bytes({0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6});
  std::string out;
  EncodeByteStreamSplit(plain, 4, out);
  EXPECT_EQ(out, encoded);
  ASSERT_TRUE(DecodeByteStreamSplit(encoded, 4, out).ok());
  EXPECT_EQ(out, plain);
}

TEST(ByteStreamSplitTest, RoundTripsEveryWidth) {
  std::mt19937 rng(8);
  for (size_t width = 1; width <= 17; ++width) {
    for (size_t count : {0, 1, 2, 7, 1000}) {
      std::string plain(width * count, '\0');
      for (char& c : plain) c = static_cast<char>(rng());
      std::string encoded = "prefix";
      EncodeByteStreamSplit(plain, width, encoded);
      ASSERT_EQ(encoded.size(), 6 + plain.size());
      std::string out = "stale";
      ASSERT_TRUE(DecodeByteStreamSplit(std::string_view(encoded).substr(6), width, out).ok());
      EXPECT_EQ(out, plain) << width << " x " << count;
    }
  }
}

TEST(ByteStreamSplitTest, PartialValuesAndWidthZeroAreInvalidData) {
  std::string out;
  Status s = DecodeByteStreamSplit("abcdefg", 4, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidData);
  EXPECT_NE(s.message().find("7 bytes are not a whole number of 4-byte values"), std::string::npos)
      << s.message();
  EXPECT_EQ(DecodeByteStreamSplit("abc", 0, out).code(), StatusCode::kInvalidData);
}

size_t WidthOf(const std::string& type) {
  if (type == "FLOAT" || type == "INT32") return 4;
  if (type == "DOUBLE" || type == "INT64") return 8;
  return std::stoul(type.substr(type.find('(') + 1));  // FIXED_LEN_BYTE_ARRAY(n)
}

// byte_stream_split_extended.gzip.parquet stores each column twice, PLAIN and
// BYTE_STREAM_SPLIT: decoding the second must give the first's bytes.
TEST(ByteStreamSplitConformanceTest, ExtendedFileMatchesItsPlainTwins) {
  std::map<std::string, std::string> plain, split;
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    if (page.file != "byte_stream_split_extended.gzip.parquet" || page.page_type == 2) continue;
    const testing::PageValues v = testing::LoadPage(page);
    if (page.encoding == 0) {
      plain[page.column.substr(0, page.column.rfind("_plain"))] += std::string(v.values);
    } else {
      ASSERT_EQ(page.encoding, 9);
      std::string out;
      Status s = DecodeByteStreamSplit(v.values, WidthOf(page.type), out);
      ASSERT_TRUE(s.ok()) << page.column << ": " << s.ToString();
      EXPECT_EQ(out.size(), v.non_null * WidthOf(page.type));
      split[page.column.substr(0, page.column.rfind("_byte_stream_split"))] += out;
    }
  }
  // Columns: float16, float, double, int32, int64, flba5, decimal.
  ASSERT_EQ(split.size(), 7u);
  for (const auto& [name, bytes] : split) {
    ASSERT_TRUE(plain.count(name)) << name;
    EXPECT_EQ(bytes, plain[name]) << name;
  }
}

TEST(ByteStreamSplitConformanceTest, StandardNormalsOfTheZstdFile) {
  int pages = 0;
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    if (page.file != "byte_stream_split.zstd.parquet" || page.page_type == 2) continue;
    const testing::PageValues v = testing::LoadPage(page);
    std::string out;
    ASSERT_TRUE(DecodeByteStreamSplit(v.values, WidthOf(page.type), out).ok());
    double sum = 0, sum_sq = 0;
    const size_t n = out.size() / WidthOf(page.type);
    for (size_t i = 0; i < n; ++i) {
      double x;
      if (page.type == "FLOAT") {
        float f;
        std::memcpy(&f, out.data() + 4 * i, 4);
        x = f;
      } else {
        std::memcpy(&x, out.data() + 8 * i, 8);
      }
      ASSERT_TRUE(std::isfinite(x) && std::fabs(x) < 10) << page.column << " " << x;
      sum += x;
      sum_sq += x * x;
    }
    // Mean near 0 and variance near 1: the bytes were reassembled in order.
    EXPECT_LT(std::fabs(sum / n), 0.3) << page.column;
    EXPECT_NEAR(sum_sq / n, 1.0, 0.4) << page.column;
    ++pages;
  }
  EXPECT_EQ(pages, 2);
}

}  // namespace
}  // namespace sluice::parquet
