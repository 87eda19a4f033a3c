#include "parquet/thrift_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "parquet/thrift_writer.h"

namespace sluice::parquet {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(ThriftReaderTest, ReadsWhatThriftWriterWrites) {
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, -7);
  w.FieldI64(2, int64_t{1} << 40);
  w.FieldBool(3, true);
  w.FieldBinary(20, "name");  // a delta above 15: long-form header
  w.BeginListField(21, ThriftType::kI32, 3);
  w.ListI32(1);
  w.ListI32(2);
  w.ListI32(3);
  w.EndStruct();

  ThriftReader r(buf, 100, "footer");
  ASSERT_TRUE(r.StructBegin().ok());
  auto f = r.ReadField();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->id, 1);
  EXPECT_EQ(*r.ReadI32(), -7);
  f = r.ReadField();
  EXPECT_EQ(f->id, 2);
  EXPECT_EQ(*r.ReadI64(), int64_t{1} << 40);
  f = r.ReadField();
  EXPECT_EQ(f->id, 3);
  EXPECT_TRUE(ThriftReader::FieldBool(*f));
  f = r.ReadField();
  EXPECT_EQ(f->id, 20);
  EXPECT_EQ(*r.ReadBinary(), "name");
  f = r.ReadField();
  EXPECT_EQ(f->id, 21);
  auto list = r.ReadListBegin();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size, 3u);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(*r.ReadI32(), i);
  f = r.ReadField();
  EXPECT_EQ(f->type, TType::kStop);
  EXPECT_EQ(r.position(), buf.size());
}

TEST(ThriftReaderTest, SkipsUnknownFieldsOfEveryType) {
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldBinary(1, "x");
  w.BeginStructField(2);
  w.FieldI32(1, 5);
  w.BeginListField(2, ThriftType::kBinary, 2);
  w.ListBinary("a");
  w.ListBinary("b");
  w.EndStruct();
  w.FieldI64(3, 9);
  w.EndStruct();
  // A map<i32,binary> {1: "z"} and a double, appended as field 4 and 5 by hand.
  buf.pop_back();                                      // the stop byte
  buf += Bytes({0x1b, 0x01, 0x58, 0x02, 0x01, 'z'});   // field 4 (delta 1), map, 1 entry
  buf += Bytes({0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f});  // field 5, double 1.0
  buf += Bytes({0x00});

  ThriftReader r(buf, 0, "footer");
  ASSERT_TRUE(r.StructBegin().ok());
  int64_t seen = 0;
  while (true) {
    auto f = r.ReadField();
    ASSERT_TRUE(f) << f.error().ToString();
    if (f->type == TType::kStop) break;
    if (f->id == 3) {
      seen = *r.ReadI64();
    } else {
      ASSERT_TRUE(r.Skip(f->type).ok());
    }
  }
  EXPECT_EQ(seen, 9);
  EXPECT_EQ(r.position(), buf.size());
}

TEST(ThriftReaderTest, TruncatedInputNamesTheStructureAndOffset) {
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldBinary(1, "a longer string");
  w.EndStruct();
  for (size_t keep = 0; keep < buf.size(); ++keep) {
    ThriftReader r(std::string_view(buf).substr(0, keep), 1000, "page header");
    Status s = r.Skip(TType::kStruct);
    ASSERT_FALSE(s.ok()) << keep;
    EXPECT_EQ(s.code(), StatusCode::kInvalidData);
    EXPECT_TRUE(
        s.message().starts_with("page header at byte " + std::to_string(1000 + r.position())))
        << s.message();
  }
}

TEST(ThriftReaderTest, RefusesOverlongVarintsAndOutOfRangeIntegers) {
  std::string ten = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  ThriftReader r64(ten, 0, "footer");
  EXPECT_FALSE(r64.ReadI64());
  std::string big = Bytes({0xff, 0xff, 0xff, 0xff, 0x7f});  // 2^35-1, zigzag: beyond i32
  ThriftReader r32(big, 0, "footer");
  EXPECT_FALSE(r32.ReadI32());
}

TEST(ThriftReaderTest, HostileNestingIsRefusedNotRecursedWithoutBound) {
  // 100000 nested struct fields: field 1 of type struct, again and again.
  std::string deep(100000, static_cast<char>(0x1c));
  ThriftReader r(deep, 0, "footer");
  ASSERT_TRUE(r.StructBegin().ok());
  auto f = r.ReadField();
  ASSERT_TRUE(f);
  Status s = r.Skip(f->type);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nested too deep"), std::string::npos) << s.message();

  // Lists of lists.
  std::string lists(100000, static_cast<char>(0x19));
  ThriftReader l(lists, 0, "footer");
  EXPECT_FALSE(l.Skip(TType::kList).ok());
}

TEST(ThriftReaderTest, ListSizesBeyondTheBytesAreRefusedBeforeAnyAllocation) {
  // A list header claiming 2^31 i32 elements in a few bytes.
  std::string buf = Bytes({0xf5, 0x80, 0x80, 0x80, 0x80, 0x08, 0x02});
  ThriftReader r(buf, 0, "footer");
  auto list = r.ReadListBegin();
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message().find("overruns"), std::string::npos);
  // A binary claiming more bytes than there are.
  std::string bin = Bytes({0xff, 0xff, 0x03, 'a'});
  ThriftReader b(bin, 0, "footer");
  EXPECT_FALSE(b.ReadBinary());
}

TEST(ThriftReaderTest, UnknownTypeIdsAreRefused) {
  std::string buf = Bytes({0x1d});  // field 1 of type 13
  ThriftReader r(buf, 7, "footer");
  ASSERT_TRUE(r.StructBegin().ok());
  auto f = r.ReadField();
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message(), "footer at byte 8: unknown field type 13");
}

}  // namespace
}  // namespace sluice::parquet
