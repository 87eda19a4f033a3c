// The Validator's typed path: cells whose reader gave typed values beside the
// text (TextBatch::SetTyped). To tell which path converted a cell, some tests give
// a typed value that differs from its text (a reader never does): the typed path
// loads the typed value, the text path the text's.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tuple>

#include "schema/validator.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::CollectingErrors;

// A one-column file "x" (plus a string column "s" so that raw texts show a row)
// whose column x carries typed values.
struct TypedCell {
  std::optional<std::string> text;  // nullopt: null
  int64_t i = 0;
  double f = 0;
};

struct TypedRun {
  TypedRun(ColumnSpec spec, ColumnType typed, const std::vector<TypedCell>& cells) {
    spec.name = "x";
    schema.columns = {spec};
    ColumnSpec s;
    s.name = "s";
    s.type = ColumnType::kString;
    schema.columns.push_back(s);
    out.Reset(schema.Defs());
    in.SetColumns({"x", "s"});
    if (typed != ColumnType::kString) in.SetTyped(0, typed);
    for (size_t r = 0; r < cells.size(); ++r) {
      in.StartRow(r + 1, 0, kNullSpan);
      if (cells[r].text) in.SetCell(0, in.Append(*cells[r].text));
      in.SetCell(1, in.Append("row" + std::to_string(r + 1)));
      if (typed == ColumnType::kFloat) {
        in.SetTypedFloat(0, cells[r].f);
      } else if (typed != ColumnType::kString) {
        in.SetTypedInt(0, cells[r].i);
      }
      in.FinishRow();
    }
    Result<Validator> v = Validator::Create(schema);
    EXPECT_TRUE(v.has_value());
    EXPECT_TRUE(v->Bind(in.columns()).ok());
    rejected = v->Convert(in, in.columns(), out, errors);
  }
  const Column& x() const { return out.columns()[0]; }

  Schema schema;
  TextBatch in;
  Batch out;
  CollectingErrors errors;
  size_t rejected = 0;
};

ColumnSpec Spec(ColumnType type, bool nullable = true) {
  ColumnSpec spec;
  spec.type = type;
  spec.nullable = nullable;
  return spec;
}

TEST(ValidatorTypedTest, IntegerTakesTypedIntegers) {
  TypedRun run(Spec(ColumnType::kInteger), ColumnType::kInteger, {{"5", 7}, {"-3", -3}});
  EXPECT_EQ(run.rejected, 0u);
  EXPECT_EQ(run.x().ints, (std::vector<int64_t>{7, -3}));
}

TEST(ValidatorTypedTest, FloatTakesTypedFloatsAndIntegers) {
  TypedRun floats(Spec(ColumnType::kFloat), ColumnType::kFloat, {{"1.5", 0, 2.5}});
  EXPECT_EQ(floats.x().floats, (std::vector<double>{2.5}));
  TypedRun ints(Spec(ColumnType::kFloat), ColumnType::kInteger, {{"4", 9}});
  EXPECT_EQ(ints.x().floats, (std::vector<double>{9.0}));
}

TEST(ValidatorTypedTest, BooleanDateAndTimestampTakeTheirTypedValues) {
  TypedRun b(Spec(ColumnType::kBoolean), ColumnType::kBoolean, {{"false", 1}, {"true", 0}});
  EXPECT_EQ(b.x().ints, (std::vector<int64_t>{1, 0}));
  TypedRun d(Spec(ColumnType::kDate), ColumnType::kDate, {{"1970-01-02", 40}});
  EXPECT_EQ(d.x().ints, (std::vector<int64_t>{40}));
  TypedRun t(Spec(ColumnType::kTimestamp), ColumnType::kTimestamp,
             {{"1970-01-01T00:00:01Z", 123456789}});
  EXPECT_EQ(t.x().ints, (std::vector<int64_t>{123456789}));
}

TEST(ValidatorTypedTest, NullCellsAreNullAndRejectedWhenNotNullable) {
  TypedRun nullable(Spec(ColumnType::kInteger), ColumnType::kInteger, {{std::nullopt}, {"1", 1}});
  EXPECT_EQ(nullable.rejected, 0u);
  EXPECT_EQ(nullable.x().nulls, (std::vector<uint8_t>{1, 0}));
  TypedRun required(Spec(ColumnType::kFloat, false), ColumnType::kFloat,
                    {{std::nullopt}, {"1", 0, 1}});
  EXPECT_EQ(required.rejected, 1u);
  ASSERT_EQ(required.errors.errors.size(), 1u);
  EXPECT_EQ(required.errors.errors[0].kind, RowErrorKind::kNull);
  EXPECT_EQ(required.errors.errors[0].raw, ",row1");
  EXPECT_EQ(required.out.rows(), 1u);
}

TEST(ValidatorTypedTest, MinAndMaxRejectWithTheCellText) {
  ColumnSpec spec = Spec(ColumnType::kInteger);
  spec.rules.min = 1;
  spec.rules.max = 10;
  TypedRun run(spec, ColumnType::kInteger, {{"12", 12}, {"5", 5}, {"0", 0}});
  EXPECT_EQ(run.rejected, 2u);
  ASSERT_EQ(run.errors.errors.size(), 2u);
  EXPECT_EQ(run.errors.errors[0].message, "column \"x\": 12 is above max 10");
  EXPECT_EQ(run.errors.errors[0].raw, "12,row1");
  EXPECT_EQ(run.errors.errors[0].line, 1u);
  EXPECT_EQ(run.errors.errors[0].kind, RowErrorKind::kRange);
  EXPECT_EQ(run.errors.errors[1].message, "column \"x\": 0 is below min 1");
  EXPECT_EQ(run.errors.errors[1].raw, "0,row3");
  EXPECT_EQ(run.x().ints, (std::vector<int64_t>{5}));

  ColumnSpec fspec = Spec(ColumnType::kFloat);
  fspec.rules.max = 100;
  TypedRun f(fspec, ColumnType::kFloat, {{"100.5", 0, 100.5}});
  ASSERT_EQ(f.errors.errors.size(), 1u);
  EXPECT_EQ(f.errors.errors[0].message, "column \"x\": 100.5 is above max 100");
  EXPECT_EQ(f.errors.errors[0].raw, "100.5,row1");
}

TEST(ValidatorTypedTest, OtherTypesAndTextRulesParseTheText) {
  // Types that do not take the typed values: the text's value.
  TypedRun int_from_float(Spec(ColumnType::kInteger), ColumnType::kFloat, {{"5", 0, 7.0}});
  EXPECT_EQ(int_from_float.x().ints, (std::vector<int64_t>{5}));
  TypedRun string_from_int(Spec(ColumnType::kString), ColumnType::kInteger, {{"5", 7}});
  ASSERT_EQ(string_from_int.x().strings.size(), 1u);
  EXPECT_EQ(string_from_int.x().strings[0], "5");
  TypedRun date_from_ts(Spec(ColumnType::kDate), ColumnType::kTimestamp, {{"1970-01-02", 7}});
  EXPECT_EQ(date_from_ts.x().ints, (std::vector<int64_t>{1}));
  // Rules on the text.
  ColumnSpec allowed = Spec(ColumnType::kInteger);
  allowed.rules.allowed = {"5"};
  TypedRun a(allowed, ColumnType::kInteger, {{"5", 7}, {"6", 6}});
  EXPECT_EQ(a.x().ints, (std::vector<int64_t>{5}));
  ASSERT_EQ(a.errors.errors.size(), 1u);
  EXPECT_EQ(a.errors.errors[0].kind, RowErrorKind::kAllowed);
  ColumnSpec regex = Spec(ColumnType::kInteger);
  regex.rules.regex = "[0-9]";
  TypedRun re(regex, ColumnType::kInteger, {{"5", 7}});
  EXPECT_EQ(re.x().ints, (std::vector<int64_t>{5}));
  ColumnSpec format = Spec(ColumnType::kDate);
  format.rules.format = "%d/%m/%Y";
  TypedRun fmt(format, ColumnType::kDate, {{"02/01/1970", 7}});
  EXPECT_EQ(fmt.x().ints, (std::vector<int64_t>{1}));
}

TEST(ValidatorTypedTest, ValuesWithoutParsableTextGoToTheTextPath) {
  // NaN and infinities: rejected as the text path rejects them.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  TypedRun f(Spec(ColumnType::kFloat), ColumnType::kFloat,
             {{"NaN", 0, nan}, {"Infinity", 0, std::numeric_limits<double>::infinity()}});
  EXPECT_EQ(f.rejected, 2u);
  ASSERT_EQ(f.errors.errors.size(), 2u);
  EXPECT_EQ(f.errors.errors[0].message, "column \"x\": \"NaN\" is not a float");
  // Dates and timestamps beyond years 1-9999: their text's value.
  TypedRun d(Spec(ColumnType::kDate), ColumnType::kDate, {{"1970-01-01", 2932897}});
  EXPECT_EQ(d.x().ints, (std::vector<int64_t>{0}));
  TypedRun t(Spec(ColumnType::kTimestamp), ColumnType::kTimestamp,
             {{"1970-01-01T00:00:00Z", -719163 * int64_t{86400000000}}});
  EXPECT_EQ(t.x().ints, (std::vector<int64_t>{0}));
}

// Formats a textless cell as "<value>!" so that tests see where text came from.
class MarkedText final : public TypedText {
 public:
  void Append(const TypedCells& cells, size_t row, std::string& out) const override {
    out += cells.type == ColumnType::kFloat ? std::to_string(cells.floats[row])
                                            : std::to_string(cells.ints[row]);
    out += '!';
  }
};

TEST(ValidatorTypedTest, TextlessColumnsMakeTextOnlyForMessages) {
  Schema schema;
  ColumnSpec x = Spec(ColumnType::kInteger, false);
  x.name = "x";
  x.rules.max = 10;
  ColumnSpec y = Spec(ColumnType::kFloat);
  y.name = "y";
  ColumnSpec s = Spec(ColumnType::kString);
  s.name = "s";
  schema.columns = {x, y, s};
  const MarkedText marked;
  TextBatch in;
  in.SetColumns({"x", "y", "s"});
  in.SetTyped(0, ColumnType::kInteger, &marked);
  in.SetTyped(1, ColumnType::kFloat, &marked);
  in.SetTyped(2, ColumnType::kInteger, &marked);  // a string column keeps its text
  const std::vector<std::tuple<int64_t, double, bool>> rows = {
      {5, 1.5, false},
      {12, 2.0, false},
      {3, std::numeric_limits<double>::infinity(), false},
      {0, 0, true}};
  for (size_t r = 0; r < rows.size(); ++r) {
    in.StartRow(r + 1, 0, kNullSpan);
    if (!std::get<2>(rows[r])) {
      in.SetCell(0, Span{0, 0});
      in.SetCell(1, Span{0, 0});
    }
    in.SetTypedInt(0, std::get<0>(rows[r]));
    in.SetTypedFloat(1, std::get<1>(rows[r]));
    in.FinishRow();
  }
  Result<Validator> v = Validator::Create(schema);
  ASSERT_TRUE(v.has_value());
  ASSERT_TRUE(v->Bind(in.columns()).ok());
  EXPECT_EQ(v->TextlessColumns(in), (std::vector<bool>{true, true, false}));
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  EXPECT_EQ(v->Convert(in, in.columns(), out, errors), 3u);
  ASSERT_EQ(errors.errors.size(), 3u);
  EXPECT_EQ(errors.errors[0].message, "column \"x\": 12! is above max 10");
  EXPECT_EQ(errors.errors[0].raw, "12!,2.000000!,");
  EXPECT_EQ(errors.errors[1].message, "column \"y\": \"inf!\" is not a float");
  EXPECT_EQ(errors.errors[2].kind, RowErrorKind::kNull);
  EXPECT_EQ(errors.errors[2].raw, ",,");
  EXPECT_EQ(out.columns()[0].ints, (std::vector<int64_t>{5}));
  EXPECT_EQ(out.columns()[1].floats, (std::vector<double>{1.5}));
}

TEST(ValidatorTypedTest, ARewrittenCellDropsTheColumnsTypedValues) {
  TextBatch in;
  in.SetColumns({"x"});
  in.SetTyped(0, ColumnType::kInteger);
  in.StartRow(1, 0, kNullSpan);
  in.SetCell(0, in.Append("5"));
  in.SetTypedInt(0, 5);
  in.FinishRow();
  ASSERT_NE(in.Typed(0), nullptr);
  EXPECT_EQ(in.Typed(0)->ints, (std::vector<int64_t>{5}));
  in.ReplaceCell(0, 0, in.Append("6"));
  EXPECT_EQ(in.Typed(0), nullptr);
  in.Clear();
  EXPECT_EQ(in.Typed(0), nullptr);
}

}  // namespace
}  // namespace sluice
