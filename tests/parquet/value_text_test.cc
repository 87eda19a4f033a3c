#include "parquet/value_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace sluice::parquet {
namespace {

LeafColumn Column(Type type, LogicalType logical = {}, std::optional<ConvertedType> converted = {},
                  int type_length = 0) {
  LeafColumn leaf;
  leaf.name = "c";
  leaf.element.type = static_cast<int32_t>(type);
  leaf.element.logical = logical;
  leaf.element.type_length = type_length;
  if (converted) leaf.element.converted_type = static_cast<int32_t>(*converted);
  return leaf;
}

LogicalType Logical(LogicalKind kind) {
  LogicalType l;
  l.kind = kind;
  return l;
}

LogicalType Temporal(LogicalKind kind, TimeUnit unit) {
  LogicalType l = Logical(kind);
  l.unit = unit;
  l.adjusted_to_utc = true;
  return l;
}

template <typename F>
std::string Text(const LeafColumn& leaf, F f) {
  ValueText text(leaf);
  std::string out;
  EXPECT_TRUE(f(text, out));
  return out;
}

TEST(ValueTextTest, DatesTimesAndTimestamps) {
  auto date = Column(Type::kInt32, Logical(LogicalKind::kDate));
  EXPECT_EQ(Text(date, [](auto& t, auto& o) { return t.Int32(0, o); }), "1970-01-01");
  EXPECT_EQ(Text(date, [](auto& t, auto& o) { return t.Int32(-1, o); }), "1969-12-31");
  EXPECT_EQ(Text(date, [](auto& t, auto& o) { return t.Int32(19723, o); }), "2024-01-01");

  auto millis = Column(Type::kInt64, Temporal(LogicalKind::kTimestamp, TimeUnit::kMillis));
  EXPECT_EQ(Text(millis, [](auto& t, auto& o) { return t.Int64(1'700'000'000'123, o); }),
            "2023-11-14T22:13:20.123000Z");
  auto micros = Column(Type::kInt64, Temporal(LogicalKind::kTimestamp, TimeUnit::kMicros));
  EXPECT_EQ(Text(micros, [](auto& t, auto& o) { return t.Int64(-1, o); }),
            "1969-12-31T23:59:59.999999Z");
  auto nanos = Column(Type::kInt64, Temporal(LogicalKind::kTimestamp, TimeUnit::kNanos));
  // Truncated to microseconds (toward the past).
  EXPECT_EQ(Text(nanos, [](auto& t, auto& o) { return t.Int64(1'999, o); }),
            "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(Text(nanos, [](auto& t, auto& o) { return t.Int64(-1, o); }),
            "1969-12-31T23:59:59.999999Z");
  auto legacy = Column(Type::kInt64, {}, ConvertedType::kTimestampMillis);
  EXPECT_EQ(Text(legacy, [](auto& t, auto& o) { return t.Int64(0, o); }), "1970-01-01T00:00:00Z");

  auto time_ms = Column(Type::kInt32, Temporal(LogicalKind::kTime, TimeUnit::kMillis));
  EXPECT_EQ(Text(time_ms, [](auto& t, auto& o) { return t.Int32(3'723'004, o); }),
            "01:02:03.004000");
  auto time_ns = Column(Type::kInt64, Temporal(LogicalKind::kTime, TimeUnit::kNanos));
  EXPECT_EQ(Text(time_ns, [](auto& t, auto& o) { return t.Int64(86'399'000'000'000, o); }),
            "23:59:59");

  auto int96 = Column(Type::kInt96);
  uint8_t v[12];
  int64_t nanos_of_day = 3'600'000'000'001;  // 01:00:00 and one nanosecond
  int32_t julian = 2'440'589;                // 1970-01-02
  std::memcpy(v, &nanos_of_day, 8);
  std::memcpy(v + 8, &julian, 4);
  EXPECT_EQ(Text(int96, [&](auto& t, auto& o) { return t.Int96(v, o); }), "1970-01-02T01:00:00Z");
}

TEST(ValueTextTest, DecimalsAreExactText) {
  LogicalType dec = Logical(LogicalKind::kDecimal);
  dec.scale = 2;
  dec.precision = 9;
  auto i32 = Column(Type::kInt32, dec);
  EXPECT_EQ(Text(i32, [](auto& t, auto& o) { return t.Int32(-12345, o); }), "-123.45");
  EXPECT_EQ(Text(i32, [](auto& t, auto& o) { return t.Int32(5, o); }), "0.05");
  auto i64 = Column(Type::kInt64, dec);
  EXPECT_EQ(Text(i64, [](auto& t, auto& o) { return t.Int64(INT64_MIN, o); }),
            "-92233720368547758.08");
  dec.scale = 0;
  auto bytes = Column(Type::kFixedLenByteArray, dec, {}, 16);
  // 2^64 as a 16-byte big-endian two's complement, and its negation.
  std::string big(16, '\0');
  big[7] = 1;
  EXPECT_EQ(Text(bytes, [&](auto& t, auto& o) { return t.Bytes(big, o); }), "18446744073709551616");
  std::string minus_one(16, static_cast<char>(0xff));
  EXPECT_EQ(Text(bytes, [&](auto& t, auto& o) { return t.Bytes(minus_one, o); }), "-1");
}

TEST(ValueTextTest, UnsignedIntegersKeepTheirValue) {
  LogicalType u = Logical(LogicalKind::kInteger);
  u.bit_width = 64;
  u.is_signed = false;
  auto col = Column(Type::kInt64, u);
  // Above 2^63-1: exact text, which an integer column refuses (a bad row) and a
  // float or string column keeps.
  EXPECT_EQ(Text(col, [](auto& t, auto& o) { return t.Int64(-1, o); }), "18446744073709551615");
  auto u32 = Column(Type::kInt32, {}, ConvertedType::kUint32);
  EXPECT_EQ(Text(u32, [](auto& t, auto& o) { return t.Int32(-1, o); }), "4294967295");
}

TEST(ValueTextTest, FloatsWidenExactly) {
  auto f = Column(Type::kFloat);
  EXPECT_EQ(Text(f, [](auto& t, auto& o) { return t.Float(0.5f, o); }), "0.5");
  EXPECT_EQ(Text(f, [](auto& t, auto& o) { return t.Float(1.1f, o); }), "1.100000023841858");
  auto d = Column(Type::kDouble);
  EXPECT_EQ(Text(d, [](auto& t, auto& o) { return t.Double(std::nan(""), o); }), "NaN");
  EXPECT_EQ(Text(d, [](auto& t, auto& o) { return t.Double(-INFINITY, o); }), "-Infinity");
  auto half = Column(Type::kFixedLenByteArray, Logical(LogicalKind::kFloat16), {}, 2);
  std::string one_third("\x55\x35", 2);  // 0x3555: 0.333251953125
  EXPECT_EQ(Text(half, [&](auto& t, auto& o) { return t.Bytes(one_third, o); }), "0.333251953125");
}

TEST(ValueTextTest, StringsUuidsAndUnannotatedBytes) {
  auto utf8 = Column(Type::kByteArray, Logical(LogicalKind::kString));
  EXPECT_EQ(Text(utf8, [](auto& t, auto& o) { return t.Bytes("", o); }), "");
  auto uuid = Column(Type::kFixedLenByteArray, Logical(LogicalKind::kUuid), {}, 16);
  std::string u("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x12\x34\x56\x78\x9a\xbc\xde\xf0", 16);
  EXPECT_EQ(Text(uuid, [&](auto& t, auto& o) { return t.Bytes(u, o); }),
            "12345678-9abc-def0-1234-56789abcdef0");
  auto raw = Column(Type::kByteArray);
  EXPECT_EQ(Text(raw, [](auto& t, auto& o) { return t.Bytes("h\xc3\xa9", o); }), "h\xc3\xa9");
  ValueText text(raw);
  std::string out;
  EXPECT_FALSE(text.Bytes("\xff", out));
  EXPECT_FALSE(text.Bytes("\xc3", out));          // truncated sequence
  EXPECT_FALSE(text.Bytes("\xed\xa0\x80", out));  // a surrogate
  EXPECT_FALSE(text.Bytes("\xc0\x80", out));      // overlong
}

TEST(ValueTextTest, KindNamesForInference) {
  EXPECT_EQ(ValueText(Column(Type::kBoolean)).kind_name(), "boolean");
  EXPECT_EQ(ValueText(Column(Type::kInt96)).kind_name(), "timestamp");
  EXPECT_EQ(ValueText(Column(Type::kInt32, Logical(LogicalKind::kDate))).kind_name(), "date");
  EXPECT_EQ(ValueText(Column(Type::kByteArray)).kind_name(), "string");
}

}  // namespace
}  // namespace sluice::parquet
