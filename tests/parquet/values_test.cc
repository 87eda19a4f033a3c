#include "parquet/values.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "parquet_test_util.h"

namespace sluice::parquet {
namespace {

TEST(Float16Test, NormalsSubnormalsZerosInfinitiesAndNan) {
  EXPECT_EQ(Float16ToDouble(0x3C00), 1.0);
  EXPECT_EQ(Float16ToDouble(0xC000), -2.0);
  EXPECT_EQ(Float16ToDouble(0x7BFF), 65504.0);                  // largest finite
  EXPECT_EQ(Float16ToDouble(0x0400), std::ldexp(1.0, -14));     // smallest normal
  EXPECT_EQ(Float16ToDouble(0x03FF), std::ldexp(1023.0, -24));  // largest subnormal
  EXPECT_EQ(Float16ToDouble(0x0001), std::ldexp(1.0, -24));     // smallest subnormal
  EXPECT_EQ(Float16ToDouble(0x8001), -std::ldexp(1.0, -24));
  EXPECT_EQ(Float16ToDouble(0x3555), 0.333251953125);  // exact, not rounded
  EXPECT_EQ(Float16ToDouble(0x0000), 0.0);
  EXPECT_FALSE(std::signbit(Float16ToDouble(0x0000)));
  EXPECT_TRUE(std::signbit(Float16ToDouble(0x8000)));
  EXPECT_EQ(Float16ToDouble(0x7C00), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Float16ToDouble(0xFC00), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(Float16ToDouble(0x7E00)));
  EXPECT_TRUE(std::isnan(Float16ToDouble(0x7C01)));
  EXPECT_TRUE(std::signbit(Float16ToDouble(0xFE00)));
}

TEST(Float16Test, EveryValueWidensExactly) {
  // Each finite binary16 value is m * 2^e with |m| < 2^11: a float holds it
  // exactly, so float and double must agree, and values must be ordered.
  double previous = -std::numeric_limits<double>::infinity();
  for (uint32_t bits = 0xFC00; bits > 0x8000; --bits) {  // -inf .. -smallest, ascending
    const double d = Float16ToDouble(static_cast<uint16_t>(bits));
    EXPECT_EQ(static_cast<double>(static_cast<float>(d)), d);
    if (bits < 0xFC00) {
      EXPECT_GT(d, previous) << bits;
    }
    previous = d;
  }
  for (uint32_t bits = 0; bits <= 0x7C00; ++bits) {  // +0 .. +inf, ascending
    const double d = Float16ToDouble(static_cast<uint16_t>(bits));
    EXPECT_GT(d, previous) << bits;
    previous = d;
  }
}

std::string Int96(int64_t nanos_of_day, int32_t julian_day) {
  std::string out(12, '\0');
  std::memcpy(out.data(), &nanos_of_day, 8);
  std::memcpy(out.data() + 8, &julian_day, 4);
  return out;
}

TEST(Int96Test, JulianDayAndNanosecondsToMicroseconds) {
  EXPECT_EQ(Int96ToMicros(Int96(0, 2440588)), 0);     // 1970-01-01
  EXPECT_EQ(Int96ToMicros(Int96(1999, 2440588)), 1);  // nanoseconds truncated
  EXPECT_EQ(Int96ToMicros(Int96(0, 2440587)), -int64_t{86400} * 1000000);
  // 2024-01-01T12:34:56.123456789
  EXPECT_EQ(Int96ToMicros(Int96(45296123456789, 2460311)), 1704112496123456);
  EXPECT_EQ(Int96ToMicros(Int96(-1, 2440588)), -1);  // floor, even for malformed input
  EXPECT_EQ(Int96ToMicros("short"), std::nullopt);
  // Spark's writer wraps: 290000-12-30T23:00:00Z is stored as day -105862232 with
  // negative nanoseconds (int96_from_spark.md), and wrapping reads it back.
  EXPECT_EQ(Int96ToMicros(Int96(-32509551616000, -105862232)), 9089380393200000000);
  // Extreme inputs wrap rather than overflow (no undefined behaviour).
  EXPECT_TRUE(
      Int96ToMicros(Int96(std::numeric_limits<int64_t>::min(), std::numeric_limits<int32_t>::min()))
          .has_value());
}

TEST(ValuesConformanceTest, Int96FromSpark) {
  // int96_from_spark.md: the values as microseconds (the dictionary holds the
  // five non-null ones in order).
  const std::vector<int64_t> expected = {1704141296123456, 1704070800000000, 253402225200000000,
                                         1735599600000000, 9089380393200000000};
  int pages = 0;
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    if (page.file != "int96_from_spark.parquet" || page.page_type != 2) continue;
    const testing::PageValues v = testing::LoadPage(page);
    ASSERT_EQ(v.values.size(), 12 * expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(Int96ToMicros(v.values.substr(12 * i, 12)), expected[i]) << i;
    }
    ++pages;
  }
  EXPECT_EQ(pages, 1);
}

TEST(ValuesConformanceTest, Float16NonzerosAndNans) {
  // The README's pyarrow script: [None, 1.0, -2.0, NaN, 0.0, -1.0, -0.0, 2.0]; the
  // dictionary holds the distinct non-null values in order.
  int pages = 0;
  for (const testing::ManifestPage& page : testing::ManifestPages()) {
    if (page.file != "float16_nonzeros_and_nans.parquet" || page.page_type != 2) continue;
    const testing::PageValues v = testing::LoadPage(page);
    std::vector<double> got;
    for (size_t i = 0; i + 2 <= v.values.size(); i += 2) {
      uint16_t bits;
      std::memcpy(&bits, v.values.data() + i, 2);
      got.push_back(Float16ToDouble(bits));
    }
    ASSERT_EQ(got.size(), 7u);
    EXPECT_EQ(got[0], 1.0);
    EXPECT_EQ(got[1], -2.0);
    EXPECT_TRUE(std::isnan(got[2]));
    EXPECT_EQ(got[3], 0.0);
    EXPECT_FALSE(std::signbit(got[3]));
    EXPECT_EQ(got[4], -1.0);
    EXPECT_TRUE(std::signbit(got[5]) && got[5] == 0.0);
    EXPECT_EQ(got[6], 2.0);
    ++pages;
  }
  EXPECT_EQ(pages, 1);
}

}  // namespace
}  // namespace sluice::parquet
