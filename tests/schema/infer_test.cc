#include "schema/infer.h"

#include <gtest/gtest.h>

#include "schema/validator.h"
#include "test_util.h"
#include "text_batch_builder.h"

namespace sluice {
namespace {

using testing::Cell;
using testing::MakeBatch;
using testing::Row;

// Infers the type of one column holding `values`.
ColumnSpec InferOne(const std::vector<Cell>& values) {
  std::vector<Row> rows;
  for (const Cell& v : values) rows.push_back({v});
  Schema schema = InferSchema(MakeBatch({"c"}, rows));
  EXPECT_EQ(schema.columns.size(), 1u);
  return schema.columns.at(0);
}

ColumnType TypeOf(const std::vector<Cell>& values) { return InferOne(values).type; }

TEST(InferSchemaTest, Integers) {
  EXPECT_EQ(TypeOf({"1", "-2", "+3", "0", "9223372036854775807"}), ColumnType::kInteger);
  EXPECT_EQ(TypeOf({"0", "10"}), ColumnType::kInteger);
  EXPECT_EQ(TypeOf({" 42 ", "7"}), ColumnType::kInteger);  // the validator trims too
}

TEST(InferSchemaTest, DeclaredTypesWinOverTheText) {
  // A Parquet string column of digits stays a string; columns without a declared
  // type are inferred from their text.
  Schema schema = InferSchema(MakeBatch({"zip", "n", "x"}, {{"123", "1", "2024-01-01"}}),
                              {ColumnType::kString, std::nullopt, ColumnType::kTimestamp});
  ASSERT_EQ(schema.columns.size(), 3u);
  EXPECT_EQ(schema.columns[0].type, ColumnType::kString);
  EXPECT_EQ(schema.columns[1].type, ColumnType::kInteger);
  EXPECT_EQ(schema.columns[2].type, ColumnType::kTimestamp);
}

TEST(InferSchemaTest, LeadingZerosAreStrings) {
  EXPECT_EQ(TypeOf({"007", "123"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"02134", "90210"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"-01.5", "2.5"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"0.5", "0"}), ColumnType::kFloat);
}

TEST(InferSchemaTest, IntegersTooLongForInt64AreStrings) {
  EXPECT_EQ(TypeOf({"12345678901234567890123", "1"}), ColumnType::kString);
}

TEST(InferSchemaTest, Floats) {
  EXPECT_EQ(TypeOf({"1.5", "2", "-3e-2", ".5"}), ColumnType::kFloat);
  EXPECT_EQ(TypeOf({"1.5", "inf"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"1.5", "NaN"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"0x1A"}), ColumnType::kString);
}

TEST(InferSchemaTest, BooleansFromWordsOnly) {
  EXPECT_EQ(TypeOf({"true", "False", "YES", "no", "t", "F", "y", "N"}), ColumnType::kBoolean);
  EXPECT_EQ(TypeOf({"0", "1", "1"}), ColumnType::kInteger);
  EXPECT_EQ(TypeOf({"true", "1"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"on", "off"}), ColumnType::kString);
}

TEST(InferSchemaTest, DatesAndTimestamps) {
  EXPECT_EQ(TypeOf({"2024-02-29", "1999-12-31"}), ColumnType::kDate);
  EXPECT_EQ(TypeOf({"2023-02-29"}), ColumnType::kString);  // not a real day
  EXPECT_EQ(TypeOf({"2024-05-01T09:30:00Z", "2024-05-01 10:00:00.123+02:00",
                    "2024-05-01T11:00-0430", "2024-05-01T12:00"}),
            ColumnType::kTimestamp);
  EXPECT_EQ(TypeOf({"2024-05-01", "2024-05-01T09:30:00Z"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"2024-05-01T24:00:00Z"}), ColumnType::kString);
}

TEST(InferSchemaTest, MixedValuesAreStrings) {
  EXPECT_EQ(TypeOf({"1", "two", "3"}), ColumnType::kString);
  EXPECT_EQ(TypeOf({"1.5", "2024-01-01"}), ColumnType::kString);
}

TEST(InferSchemaTest, NullabilityFromEmptyAndNullValues) {
  ColumnSpec full = InferOne({"1", "2"});
  EXPECT_EQ(full.type, ColumnType::kInteger);
  EXPECT_FALSE(full.nullable);

  ColumnSpec with_null = InferOne({"1", std::nullopt, "2"});
  EXPECT_EQ(with_null.type, ColumnType::kInteger);
  EXPECT_TRUE(with_null.nullable);

  ColumnSpec with_empty = InferOne({"", "2.5", "  "});
  EXPECT_EQ(with_empty.type, ColumnType::kFloat);
  EXPECT_TRUE(with_empty.nullable);

  ColumnSpec strings = InferOne({"a", "b"});
  EXPECT_EQ(strings.type, ColumnType::kString);
  EXPECT_FALSE(strings.nullable);

  ColumnSpec all_empty = InferOne({"", std::nullopt, " "});
  EXPECT_EQ(all_empty.type, ColumnType::kString);
  EXPECT_TRUE(all_empty.nullable);
}

TEST(InferSchemaTest, KeepsColumnOrderAndNames) {
  TextBatch sample = MakeBatch(
      {"id", "name", "temp", "seen"},
      {{"1", "ann", "21.5", "2024-01-01T00:00:00Z"}, {"2", "bob", "", "2024-01-02T00:00:00Z"}});
  Schema schema = InferSchema(sample);
  ASSERT_EQ(schema.columns.size(), 4u);
  EXPECT_EQ(schema.Defs(), (std::vector<ColumnDef>{{"id", ColumnType::kInteger, false},
                                                   {"name", ColumnType::kString, false},
                                                   {"temp", ColumnType::kFloat, true},
                                                   {"seen", ColumnType::kTimestamp, false}}));
}

TEST(InferSchemaTest, EmptySampleGivesNullableStrings) {
  TextBatch sample = MakeBatch({"a", "b"}, {});
  Schema schema = InferSchema(sample);
  EXPECT_EQ(schema.Defs(), (std::vector<ColumnDef>{{"a", ColumnType::kString, true},
                                                   {"b", ColumnType::kString, true}}));
}

TEST(InferSchemaTest, InferredSchemaValidatesItsSample) {
  TextBatch sample = MakeBatch(
      {"id", "zip", "ratio", "ok", "day", "at", "note", "blank", "flag01"},
      {
          {"1", "02134", "0.5", "yes", "2024-02-29", "2024-02-29T23:59:59.999999-05:00", "a", "",
           "0"},
          {" 2", "90210", "1e3", "N", "2000-01-01", "2024-03-01 00:00", "", std::nullopt, "1"},
          {"-3 ", "007", "", "TRUE", std::nullopt, "1970-01-01T00:00Z", "é", " ", "1"},
      });
  Schema schema = InferSchema(sample);
  EXPECT_EQ(schema.columns[0].type, ColumnType::kInteger);
  EXPECT_EQ(schema.columns[1].type, ColumnType::kString);
  EXPECT_EQ(schema.columns[2].type, ColumnType::kFloat);
  EXPECT_EQ(schema.columns[3].type, ColumnType::kBoolean);
  EXPECT_EQ(schema.columns[4].type, ColumnType::kDate);
  EXPECT_EQ(schema.columns[5].type, ColumnType::kTimestamp);
  EXPECT_EQ(schema.columns[6].type, ColumnType::kString);
  EXPECT_EQ(schema.columns[7].type, ColumnType::kString);
  EXPECT_EQ(schema.columns[8].type, ColumnType::kInteger);

  Result<Validator> validator = Validator::Create(schema);
  ASSERT_TRUE(validator.has_value());
  ASSERT_TRUE(validator->Bind(sample.columns()).ok());
  Batch out;
  out.Reset(schema.Defs());
  testing::CollectingErrors errors;
  EXPECT_EQ(validator->Convert(sample, sample.columns(), out, errors), 0u);
  EXPECT_TRUE(errors.errors.empty()) << errors.errors[0].message;
  EXPECT_EQ(out.rows(), 3u);
}

TEST(TypeFitsTest, SameTypeIntegerIntoFloatAndAnythingIntoString) {
  for (ColumnType t : {ColumnType::kString, ColumnType::kInteger, ColumnType::kFloat,
                       ColumnType::kBoolean, ColumnType::kDate, ColumnType::kTimestamp}) {
    EXPECT_TRUE(TypeFits(t, t));
    EXPECT_TRUE(TypeFits(t, ColumnType::kString));
  }
  EXPECT_TRUE(TypeFits(ColumnType::kInteger, ColumnType::kFloat));
  EXPECT_FALSE(TypeFits(ColumnType::kFloat, ColumnType::kInteger));
  EXPECT_FALSE(TypeFits(ColumnType::kString, ColumnType::kInteger));
  EXPECT_FALSE(TypeFits(ColumnType::kString, ColumnType::kDate));
  EXPECT_FALSE(TypeFits(ColumnType::kDate, ColumnType::kTimestamp));
  EXPECT_FALSE(TypeFits(ColumnType::kBoolean, ColumnType::kInteger));
}

TEST(ParsesAsTest, FollowsTheValidatorsDefaultRules) {
  EXPECT_TRUE(ParsesAs("42", ColumnType::kInteger));
  EXPECT_FALSE(ParsesAs("4.2", ColumnType::kInteger));
  EXPECT_TRUE(ParsesAs("42", ColumnType::kFloat));
  EXPECT_TRUE(ParsesAs("1", ColumnType::kBoolean));  // 0/1 are booleans to the validator
  EXPECT_FALSE(ParsesAs("2", ColumnType::kBoolean));
  EXPECT_TRUE(ParsesAs("2024-02-29", ColumnType::kDate));
  EXPECT_FALSE(ParsesAs("29/02/2024", ColumnType::kDate));
  EXPECT_TRUE(ParsesAs("2024-02-29 10:00", ColumnType::kTimestamp));
  EXPECT_FALSE(ParsesAs("2024-02-29", ColumnType::kTimestamp));
  EXPECT_TRUE(ParsesAs("anything", ColumnType::kString));
}

}  // namespace
}  // namespace sluice
