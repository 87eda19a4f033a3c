// The Validator on columns typed cell by cell (TextBatch::SetTypedPerCell, as the
// JSON readers give them): every form of JSON value, as text with the typed value
// the reader gives beside it, into integer, float, string and boolean columns,
// converts exactly as the same text with no typed values does (values, NULLs,
// bad rows and their messages), also when the typed cells are textless.
#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schema/validator.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::CollectingErrors;

// A cell as a JSON reader gives it: its text (nullopt: null) and typed value.
struct JsonCell {
  std::optional<std::string> text;
  TypedKind kind = TypedKind::kText;
  int64_t value = 0;  // a kFloat value as the bits of its double
};

JsonCell Int(std::string text, int64_t v) { return {std::move(text), TypedKind::kInteger, v}; }
JsonCell Float(std::string text, double v) {
  return {std::move(text), TypedKind::kFloat, std::bit_cast<int64_t>(v)};
}
JsonCell Bool(bool v) { return {v ? "true" : "false", TypedKind::kBoolean, v ? 1 : 0}; }
JsonCell Text(std::optional<std::string> text) { return {std::move(text)}; }

// Every form the JSON readers make (json_row.cc): integers in and past int64,
// -0, exponents, fractions, integral doubles, booleans, strings (of numbers too),
// null, nested text.
std::vector<JsonCell> AllForms() {
  const int64_t min = std::numeric_limits<int64_t>::min();
  const int64_t max = std::numeric_limits<int64_t>::max();
  return {Int("0", 0),
          Int("7", 7),
          Int("-12", -12),
          Int("-9223372036854775808", min),
          Int("9223372036854775807", max),
          Int("9007199254740993", 9007199254740993),  // 2^53 + 1: rounds as a float
          Text("9223372036854775808"),
          Text("18446744073709551615"),
          Float("-0", -0.0),
          Float("0", 0.0),
          Float("21.5", 21.5),
          Float("100", 100.0),
          Float("1e+21", 1e21),
          Float("-0.0015", -0.0015),
          Float("12345678901234568", 12345678901234568.0),
          Float("1.7976931348623157e+308", 1.7976931348623157e308),
          Float("2.2250738585072014e-308", 2.2250738585072014e-308),
          Text("5e-324"),
          Bool(true),
          Bool(false),
          Int("1", 1),
          Text("12"),
          Text(" 12 "),
          Text("1.5"),
          Text("true"),
          Text("abc"),
          Text(""),
          Text(std::nullopt),
          Text("[1,2]"),
          Text("{\"a\":1}")};
}

enum class Mode { kText, kTyped, kTextless };

// A textless cell's text, as the reader would make it: here, the form's text.
class FormText final : public TypedText {
 public:
  explicit FormText(const std::vector<JsonCell>& cells) : cells_(cells) {}
  void Append(const TypedCells&, size_t row, std::string& out) const override {
    out += *cells_[row].text;
  }

 private:
  const std::vector<JsonCell>& cells_;
};

struct Outcome {
  std::vector<uint8_t> nulls;
  std::vector<int64_t> ints;
  std::vector<uint64_t> float_bits;  // -0 and 0 differ
  std::vector<std::string> strings;
  std::vector<std::string> errors;  // line, column, kind, message, hint, raw
  bool textless_asked = false;      // the Validator would let the reader make x textless
  bool operator==(const Outcome&) const = default;
};

// Converts `cells` as column "x" of type `spec` (one row each, beside a string
// column "s"): as text only, or with the typed values beside the text or
// instead of it.
Outcome Convert(const ColumnSpec& spec, const std::vector<JsonCell>& cells, Mode mode) {
  const bool typed = mode != Mode::kText;
  const FormText form_text(cells);
  Schema schema;
  schema.columns = {spec};
  ColumnSpec s;
  s.name = "s";
  s.type = ColumnType::kString;
  schema.columns.push_back(s);
  TextBatch in;
  in.SetColumns({"x", "s"});
  for (size_t r = 0; r < cells.size(); ++r) {
    const std::string raw = "{\"row\": " + std::to_string(r + 1) + "}";
    in.StartRow(r + 1, r * 100, in.Append(raw));
    const bool typed_cell = typed && cells[r].kind != TypedKind::kText;
    if (typed_cell && mode == Mode::kTextless) {
      in.SetCell(0, in.SpanFrom(in.Mark()));
    } else if (cells[r].text) {
      in.SetCell(0, in.Append(*cells[r].text));
    }
    in.SetCell(1, in.Append("row" + std::to_string(r + 1)));
    if (typed_cell) {
      if (in.Typed(0) == nullptr) {
        in.SetTypedPerCell(0, mode == Mode::kTextless ? &form_text : nullptr);
      }
      in.SetCellInt(0, cells[r].kind, cells[r].value);
    }
    in.FinishRow();
  }
  EXPECT_EQ(in.Typed(0) != nullptr, typed);
  EXPECT_EQ(in.Textless(0), mode == Mode::kTextless);
  Batch out;
  out.Reset(schema.Defs());
  CollectingErrors errors;
  Result<Validator> v = Validator::Create(schema);
  EXPECT_TRUE(v.has_value());
  EXPECT_TRUE(v->Bind(in.columns()).ok());
  v->Convert(in, in.columns(), out, errors);
  Outcome o;
  o.textless_asked = typed && v->TextlessColumns(in)[0];
  const Column& x = out.columns()[0];
  o.nulls = x.nulls;
  o.ints = x.ints;
  for (double f : x.floats) o.float_bits.push_back(std::bit_cast<uint64_t>(f));
  for (std::string_view str : x.strings) o.strings.emplace_back(str);
  for (const RowError& e : errors.errors) {
    o.errors.push_back(std::to_string(e.line) + " " + e.column + " " +
                       std::to_string(static_cast<int>(e.kind)) + " " + e.message + " | " + e.hint +
                       " | " + e.raw);
  }
  return o;
}

ColumnSpec Spec(ColumnType type, bool nullable = true) {
  ColumnSpec spec;
  spec.name = "x";
  spec.type = type;
  spec.nullable = nullable;
  return spec;
}

void ExpectSameAsText(const ColumnSpec& spec) {
  const std::vector<JsonCell> cells = AllForms();
  const Outcome text = Convert(spec, cells, Mode::kText);
  for (Mode mode : {Mode::kTyped, Mode::kTextless}) {
    const Outcome typed = Convert(spec, cells, mode);
    // A reader makes only the columns the Validator asks for textless.
    if (mode == Mode::kTextless && !typed.textless_asked) continue;
    EXPECT_EQ(typed.nulls, text.nulls);
    EXPECT_EQ(typed.ints, text.ints);
    EXPECT_EQ(typed.float_bits, text.float_bits);
    EXPECT_EQ(typed.strings, text.strings);
    EXPECT_EQ(typed.errors, text.errors);
  }
  // The forms include bad ones for every type but strings.
  EXPECT_EQ(text.errors.empty(), spec.type == ColumnType::kString);
}

// Only the columns the Validator reads typed may be textless.
TEST(ValidatorPerCellTest, TextlessColumnsAreTheTypedOnes) {
  Schema schema;
  for (auto [name, type] : {std::pair{"i", ColumnType::kInteger},
                            {"f", ColumnType::kFloat},
                            {"b", ColumnType::kBoolean},
                            {"s", ColumnType::kString},
                            {"d", ColumnType::kDate},
                            {"r", ColumnType::kInteger}}) {
    ColumnSpec spec = Spec(type);
    spec.name = name;
    if (spec.name == "r") spec.rules.allowed = {"1"};
    schema.columns.push_back(spec);
  }
  TextBatch in;
  in.SetColumns({"i", "f", "b", "s", "d", "r", "u"});
  in.StartRow(1, 0, kNullSpan);
  for (size_t c = 0; c < 7; ++c) {
    in.SetCell(c, in.Append("1"));
    in.SetTypedPerCell(c);
    in.SetCellInt(c, TypedKind::kInteger, 1);
  }
  in.FinishRow();
  Result<Validator> v = Validator::Create(schema);
  ASSERT_TRUE(v.has_value());
  ASSERT_TRUE(v->Bind({"i", "f", "b", "s", "d", "r"}).ok());
  EXPECT_EQ(v->TextlessColumns(in),
            (std::vector<bool>{true, true, true, false, false, false, false}));
}

TEST(ValidatorPerCellTest, IntegerColumnsAsFromText) {
  ExpectSameAsText(Spec(ColumnType::kInteger));
  ExpectSameAsText(Spec(ColumnType::kInteger, false));
  ColumnSpec bounded = Spec(ColumnType::kInteger);
  bounded.rules.min = -12;
  bounded.rules.max = 100;
  ExpectSameAsText(bounded);
}

TEST(ValidatorPerCellTest, FloatColumnsAsFromText) {
  ExpectSameAsText(Spec(ColumnType::kFloat));
  ColumnSpec bounded = Spec(ColumnType::kFloat, false);
  bounded.rules.min = 0;
  bounded.rules.max = 21.5;
  ExpectSameAsText(bounded);
}

TEST(ValidatorPerCellTest, StringAndBooleanColumnsAsFromText) {
  ExpectSameAsText(Spec(ColumnType::kString));
  ExpectSameAsText(Spec(ColumnType::kBoolean));
  ExpectSameAsText(Spec(ColumnType::kDate));
  ExpectSameAsText(Spec(ColumnType::kTimestamp));
}

TEST(ValidatorPerCellTest, RulesOnTheTextTakeTheTextPath) {
  ColumnSpec allowed = Spec(ColumnType::kInteger);
  allowed.rules.allowed = {"7", "0"};
  ExpectSameAsText(allowed);
  ColumnSpec regex = Spec(ColumnType::kFloat);
  regex.rules.regex = "-?[0-9]+";
  ExpectSameAsText(regex);
}

// The typed path is taken: a typed value that differs from its text (a reader
// never gives one) shows which path converted the cell.
TEST(ValidatorPerCellTest, TypedCellsSkipParsing) {
  const Outcome ints = Convert(Spec(ColumnType::kInteger), {Int("5", 6), Text("5")}, Mode::kTyped);
  EXPECT_EQ(ints.ints, (std::vector<int64_t>{6, 5}));
  const Outcome floats = Convert(Spec(ColumnType::kFloat),
                                 {Float("1.5", 2.5), Int("3", 4), Text("1.5")}, Mode::kTyped);
  EXPECT_EQ(floats.float_bits,
            (std::vector<uint64_t>{std::bit_cast<uint64_t>(2.5), std::bit_cast<uint64_t>(4.0),
                                   std::bit_cast<uint64_t>(1.5)}));
  const Outcome bools =
      Convert(Spec(ColumnType::kBoolean), {{"false", TypedKind::kBoolean, 1}}, Mode::kTyped);
  EXPECT_EQ(bools.ints, (std::vector<int64_t>{1}));
}

}  // namespace
}  // namespace sluice
