#include "parquet/metadata.h"

#include <gtest/gtest.h>

#include "parquet/thrift_writer.h"

namespace sluice::parquet {
namespace {

SchemaElement Group(std::string name, int children, int repetition = 0) {
  SchemaElement e;
  e.name = std::move(name);
  e.num_children = children;
  e.repetition = repetition;
  return e;
}

SchemaElement Leaf(std::string name, Type type, int repetition) {
  SchemaElement e;
  e.name = std::move(name);
  e.type = static_cast<int32_t>(type);
  e.repetition = repetition;
  return e;
}

TEST(FlattenSchemaTest, FlatLeavesWithTheirLevels) {
  std::vector<SchemaElement> schema = {Group("schema", 2), Leaf("a", Type::kInt32, 0),
                                       Leaf("b", Type::kByteArray, 1)};
  auto leaves = FlattenSchema(schema);
  ASSERT_TRUE(leaves) << leaves.error().ToString();
  ASSERT_EQ(leaves->size(), 2u);
  EXPECT_EQ((*leaves)[0].name, "a");
  EXPECT_EQ((*leaves)[0].max_def, 0);
  EXPECT_FALSE((*leaves)[0].nested);
  EXPECT_EQ((*leaves)[1].max_def, 1);
  EXPECT_EQ((*leaves)[1].max_rep, 0);
}

TEST(FlattenSchemaTest, GroupsAndRepeatedLeavesAreNested) {
  // schema { optional group s { optional int32 x; } repeated int64 r; }
  std::vector<SchemaElement> schema = {Group("schema", 2), Group("s", 1, 1),
                                       Leaf("x", Type::kInt32, 1), Leaf("r", Type::kInt64, 2)};
  auto leaves = FlattenSchema(schema);
  ASSERT_TRUE(leaves);
  ASSERT_EQ(leaves->size(), 2u);
  EXPECT_EQ((*leaves)[0].name, "s.x");
  EXPECT_EQ((*leaves)[0].max_def, 2);
  EXPECT_TRUE((*leaves)[0].nested);
  EXPECT_EQ((*leaves)[1].max_rep, 1);
  EXPECT_TRUE((*leaves)[1].nested);
}

TEST(FlattenSchemaTest, TreesThatDoNotAddUpAreRefused) {
  EXPECT_FALSE(FlattenSchema({Group("schema", 3), Leaf("a", Type::kInt32, 0)}));
  EXPECT_FALSE(
      FlattenSchema({Group("schema", 1), Leaf("a", Type::kInt32, 0), Leaf("b", Type::kInt32, 0)}));
  EXPECT_FALSE(FlattenSchema({Group("schema", 1), Group("g", 0)}));  // neither type nor children
  // A chain of 1000 groups: refused for depth, without recursing 1000 deep.
  std::vector<SchemaElement> deep = {Group("schema", 1)};
  for (int i = 0; i < 1000; ++i) deep.push_back(Group("g", 1));
  deep.push_back(Leaf("x", Type::kInt32, 0));
  auto r = FlattenSchema(deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("too deep"), std::string::npos);
}

std::string Footer(bool with_schema) {
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, 1);
  if (with_schema) {
    w.BeginListField(2, ThriftType::kStruct, 2);
    w.BeginListStruct();
    w.FieldBinary(4, "schema");
    w.FieldI32(5, 1);
    w.EndStruct();
    w.BeginListStruct();
    w.FieldI32(1, 1);  // INT32
    w.FieldI32(3, 1);  // OPTIONAL
    w.FieldBinary(4, "d");
    w.FieldI32(6, 6);  // DATE
    w.BeginStructField(10);
    w.BeginStructField(6);  // LogicalType.DATE
    w.EndStruct();
    w.EndStruct();
    w.EndStruct();
  }
  w.FieldI64(3, 0);
  w.BeginListField(4, ThriftType::kStruct, 0);
  w.FieldBinary(6, "writer 1.0");
  w.EndStruct();
  return buf;
}

TEST(ParseFileMetaDataTest, ReadsSchemaAndLogicalTypes) {
  auto md = ParseFileMetaData(Footer(true), 4);
  ASSERT_TRUE(md) << md.error().ToString();
  ASSERT_EQ(md->schema.size(), 2u);
  EXPECT_EQ(md->schema[1].name, "d");
  EXPECT_EQ(md->schema[1].logical.kind, LogicalKind::kDate);
  EXPECT_EQ(md->created_by, "writer 1.0");
  EXPECT_FALSE(md->encrypted);
}

TEST(ParseFileMetaDataTest, AFooterWithoutSchemaIsRefusedWithItsOffset) {
  auto md = ParseFileMetaData(Footer(false), 1234);
  ASSERT_FALSE(md);
  EXPECT_TRUE(md.error().message().starts_with("footer at byte 1")) << md.error().message();
  EXPECT_NE(md.error().message().find("schema"), std::string::npos);
}

TEST(ParsePageHeaderTest, ReadsADataPageV2Header) {
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, 3);  // DATA_PAGE_V2
  w.FieldI32(2, 100);
  w.FieldI32(3, 60);
  w.FieldI32(4, -5);  // crc
  w.BeginStructField(8);
  w.FieldI32(1, 10);
  w.FieldI32(2, 2);
  w.FieldI32(3, 10);
  w.FieldI32(4, 8);  // RLE_DICTIONARY
  w.FieldI32(5, 3);
  w.FieldI32(6, 0);
  w.FieldBool(7, false);
  w.EndStruct();
  w.EndStruct();
  buf += "page bytes follow";
  auto h = ParsePageHeader(buf, 0);
  ASSERT_TRUE(h) << h.error().ToString();
  EXPECT_EQ(h->type, 3);
  EXPECT_EQ(h->crc, -5);
  ASSERT_TRUE(h->data_page_v2);
  EXPECT_EQ(h->data_page_v2->num_nulls, 2);
  EXPECT_EQ(h->data_page_v2->definition_levels_byte_length, 3);
  EXPECT_FALSE(h->data_page_v2->is_compressed);
  EXPECT_EQ(buf.substr(h->header_size), "page bytes follow");
}

TEST(ParsePageHeaderTest, NegativeSizesAreRefused) {
  std::string buf;
  ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, 0);
  w.FieldI32(2, 10);
  w.FieldI32(3, -1);
  w.EndStruct();
  auto h = ParsePageHeader(buf, 50);
  ASSERT_FALSE(h);
  EXPECT_TRUE(h.error().message().starts_with("page header at byte ")) << h.error().message();
}

}  // namespace
}  // namespace sluice::parquet
