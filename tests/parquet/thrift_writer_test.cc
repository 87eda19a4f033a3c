// ThriftWriter against byte sequences worked out by hand from the Thrift compact
// protocol specification (thrift/doc/specs/thrift-compact-protocol.md).
#include "parquet/thrift_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "parquet/thrift_reader.h"

namespace sluice::parquet {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Varint(uint64_t v) {
  std::string out;
  ThriftWriter::AppendVarint(out, v);
  return out;
}

TEST(ThriftWriterTest, VarintsAreLittleEndianBase128) {
  EXPECT_EQ(Varint(0), Bytes({0x00}));
  EXPECT_EQ(Varint(1), Bytes({0x01}));
  EXPECT_EQ(Varint(127), Bytes({0x7F}));
  EXPECT_EQ(Varint(128), Bytes({0x80, 0x01}));
  EXPECT_EQ(Varint(300), Bytes({0xAC, 0x02}));
  EXPECT_EQ(Varint(std::numeric_limits<uint64_t>::max()),
            Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST(ThriftWriterTest, ZigZagMapsSignedToUnsigned) {
  EXPECT_EQ(ThriftWriter::ZigZag(0), 0u);
  EXPECT_EQ(ThriftWriter::ZigZag(-1), 1u);
  EXPECT_EQ(ThriftWriter::ZigZag(1), 2u);
  EXPECT_EQ(ThriftWriter::ZigZag(-2), 3u);
  EXPECT_EQ(ThriftWriter::ZigZag(2147483647), 4294967294u);
  EXPECT_EQ(ThriftWriter::ZigZag(-2147483648LL), 4294967295u);
  EXPECT_EQ(ThriftWriter::ZigZag(std::numeric_limits<int64_t>::max()),
            std::numeric_limits<uint64_t>::max() - 1);
  EXPECT_EQ(ThriftWriter::ZigZag(std::numeric_limits<int64_t>::min()),
            std::numeric_limits<uint64_t>::max());
}

TEST(ThriftWriterTest, ShortFieldHeadersCarryTheIdDelta) {
  std::string out;
  ThriftWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, 3);        // delta 1, type 5: 0x15, zigzag(3) = 6
  w.FieldI64(3, -1);       // delta 2, type 6: 0x26, zigzag(-1) = 1
  w.FieldBinary(4, "ab");  // delta 1, type 8: 0x18, length 2
  w.FieldBool(5, true);    // delta 1, type 1
  w.FieldBool(6, false);   // delta 1, type 2
  w.EndStruct();
  EXPECT_EQ(out, Bytes({0x15, 0x06, 0x26, 0x01, 0x18, 0x02, 'a', 'b', 0x11, 0x12, 0x00}));
}

TEST(ThriftWriterTest, LongDeltasWriteTheIdAsAZigZagVarint) {
  std::string out;
  ThriftWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, 0);
  w.FieldI32(17, 0);   // delta 16: type byte 0x05, then zigzag(17) = 34
  w.FieldI32(300, 0);  // zigzag(300) = 600 = 0xD8 0x04
  w.EndStruct();
  EXPECT_EQ(out, Bytes({0x15, 0x00, 0x05, 0x22, 0x00, 0x05, 0xD8, 0x04, 0x00, 0x00}));
}

TEST(ThriftWriterTest, ListHeadersShortAndLong) {
  std::string out;
  ThriftWriter w(&out);
  w.BeginStruct();
  w.BeginListField(1, ThriftType::kI32, 3);  // 0x19, then size 3 << 4 | 5
  w.ListI32(1);
  w.ListI32(-1);
  w.ListI32(64);                                 // zigzag 128 = 0x80 0x01
  w.BeginListField(2, ThriftType::kBinary, 20);  // 0x19, then 0xF8 and varint 20
  for (int i = 0; i < 20; ++i) w.ListBinary("");
  w.EndStruct();
  std::string expected = Bytes({0x19, 0x35, 0x02, 0x01, 0x80, 0x01, 0x19, 0xF8, 0x14});
  expected.append(20, '\0');
  expected.push_back(0);
  EXPECT_EQ(out, expected);
}

TEST(ThriftWriterTest, NestedStructsRestartTheFieldIds) {
  std::string out;
  ThriftWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, 1);
  w.BeginStructField(5);  // delta 4, type 12: 0x4C
  w.FieldI32(1, 2);       // ids restart at 0 inside: 0x15
  w.EndStruct();
  w.FieldI32(6, 3);                             // back in the outer struct: delta 1 from 5
  w.BeginListField(7, ThriftType::kStruct, 2);  // 0x19, 0x2C
  w.BeginListStruct();
  w.FieldI32(2, 4);  // delta 2 from 0: 0x25
  w.EndStruct();
  w.BeginListStruct();
  w.EndStruct();
  w.EndStruct();
  EXPECT_EQ(out, Bytes({0x15, 0x02, 0x4C, 0x15, 0x04, 0x00, 0x15, 0x06, 0x19, 0x2C, 0x25, 0x08,
                        0x00, 0x00, 0x00}));
}

TEST(ThriftWriterTest, Int64ExtremesUseTenByteVarints) {
  std::string out;
  ThriftWriter w(&out);
  w.BeginStruct();
  w.FieldI64(1, std::numeric_limits<int64_t>::min());
  w.EndStruct();
  EXPECT_EQ(out, Bytes({0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00}));
}

// What the writer encodes, sluice's ThriftReader decodes to the same values.
TEST(ThriftWriterTest, RoundTripsThroughThriftReader) {
  std::string out;
  ThriftWriter w(&out);
  w.BeginStruct();
  w.FieldI32(1, std::numeric_limits<int32_t>::min());
  w.FieldI32(2, std::numeric_limits<int32_t>::max());
  w.FieldI64(3, std::numeric_limits<int64_t>::min());
  w.FieldBool(4, false);
  w.FieldBinary(20, std::string(300, 'x'));
  w.BeginStructField(40);
  w.FieldI64(1, std::numeric_limits<int64_t>::max());
  w.EndStruct();
  w.BeginListField(41, ThriftType::kI32, 100);
  for (int i = 0; i < 100; ++i) w.ListI32(i * 1000 - 50000);
  w.EndStruct();

  ThriftReader r(out, 0, "test struct");
  ASSERT_TRUE(r.StructBegin().ok());
  auto field = [&r](int16_t id, TType type) {
    auto f = r.ReadField();
    ASSERT_TRUE(f.has_value()) << f.error().ToString();
    EXPECT_EQ(f->id, id);
    EXPECT_EQ(f->type, type);
  };
  field(1, TType::kI32);
  EXPECT_EQ(*r.ReadI32(), std::numeric_limits<int32_t>::min());
  field(2, TType::kI32);
  EXPECT_EQ(*r.ReadI32(), std::numeric_limits<int32_t>::max());
  field(3, TType::kI64);
  EXPECT_EQ(*r.ReadI64(), std::numeric_limits<int64_t>::min());
  field(4, TType::kBoolFalse);
  field(20, TType::kBinary);
  EXPECT_EQ(*r.ReadBinary(), std::string(300, 'x'));
  field(40, TType::kStruct);
  ASSERT_TRUE(r.StructBegin().ok());
  field(1, TType::kI64);
  EXPECT_EQ(*r.ReadI64(), std::numeric_limits<int64_t>::max());
  field(0, TType::kStop);
  r.StructEnd();
  field(41, TType::kList);
  auto list = r.ReadListBegin();
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->elem_type, TType::kI32);
  ASSERT_EQ(list->size, 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(*r.ReadI32(), i * 1000 - 50000);
  field(0, TType::kStop);
  r.StructEnd();
  EXPECT_EQ(r.position(), out.size());
}

}  // namespace
}  // namespace sluice::parquet
